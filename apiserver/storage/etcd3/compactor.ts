/**
 * etcd history compaction, as kube-apiserver's (storage/etcd3/compact.go):
 * every interval, each API server tries one transaction on `compact_rev_key`
 * that succeeds only if nobody else moved it since this server last looked.
 * The winner records the current revision there and compacts to the revision
 * it recorded one interval earlier, so etcd keeps at least one interval of
 * history for watches to resume from, and several API servers on one etcd
 * compact once per interval between them.
 *
 * Without it etcd keeps every revision forever, and deleted keys pile up as
 * tombstones that make every later write slower.
 */
import type { Etcd3 } from 'etcd3';

/** The key kube-apiserver uses, so a pier and a kube API server on one etcd would take turns. */
export const compactRevisionKey = 'compact_rev_key';

/** kube-apiserver's --etcd-compaction-interval default. */
export const defaultCompactionIntervalMs = 5 * 60_000;

/** What one server knows between ticks: the key's version it last saw and the revision it recorded. */
export interface CompactorState {
  version: number;
  revision: number;
}

/**
 * One tick. Returns the state for the next tick; compacts to `state.revision`
 * when this server won the round and had recorded a revision before.
 */
export async function compactOnce(client: Etcd3, state: CompactorState): Promise<CompactorState & { compactedTo?: number }> {
  const key = Buffer.from(compactRevisionKey);
  const res = await client.kv.txn({
    compare: [{ key, target: 'Version', result: 'Equal', version: state.version }],
    success: [{ request_put: { key, value: Buffer.from(String(state.revision)) } }],
    failure: [{ request_range: { key } }],
  });
  const revision = Number(res.header.revision);
  if (!res.succeeded) {
    // Someone else compacted (or this server just started): catch up with their version.
    const kv = res.responses[0]?.response_range?.kvs[0];
    return { version: kv ? Number(kv.version) : 0, revision };
  }
  const next = { version: state.version + 1, revision };
  // Never on the first round: there is no revision from one interval ago yet.
  if (state.revision === 0) return next;
  await client.kv.compact({ revision: String(state.revision), physical: false });
  return { ...next, compactedTo: state.revision };
}

export interface CompactorOptions {
  client: Etcd3;
  intervalMs: number;
  onError?: (err: unknown) => void;
  /** Told after each compaction this server made (tests, logs). */
  onCompacted?: (revision: number) => void;
}

export class Compactor {
  readonly #o: CompactorOptions;
  #state: CompactorState = { version: 0, revision: 0 };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: CompactorOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      // A tick still waiting on etcd is not stacked on.
      this.#running ??= this.#tick().finally(() => (this.#running = undefined));
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #tick(): Promise<void> {
    try {
      const next = await compactOnce(this.#o.client, this.#state);
      this.#state = { version: next.version, revision: next.revision };
      if (next.compactedTo !== undefined) this.#o.onCompacted?.(next.compactedTo);
    } catch (err) {
      // kube logs and tries again next interval; so do we.
      this.#o.onError?.(err);
    }
  }
}
