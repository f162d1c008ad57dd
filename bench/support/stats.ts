/** Latency percentiles and throughput, printed the same way by every benchmark. */

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const idx = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[idx]!;
}

export interface Summary {
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Every latency, sorted (for pooling runs). */
  latenciesMs: number[];
}

export function summarize(latenciesMs: number[], seconds: number): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { count: sorted.length, seconds, perSecond: sorted.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), latenciesMs: sorted };
}

/** Several runs of one phase as one: all their operations over all their time. */
export function pooled(runs: readonly Summary[]): Summary {
  return summarize(
    runs.flatMap((r) => r.latenciesMs),
    runs.reduce((t, r) => t + r.seconds, 0),
  );
}

/** Runs `op(i)` for i in [0,total) with `concurrency` in flight; returns per-op latencies in ms. */
export async function runConcurrent(total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Summary> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t0 = performance.now();
      await op(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return summarize(latencies, (performance.now() - start) / 1000);
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
