/**
 * Runs `count` calls in growing batches (1, 2, 4, …), stopping after the
 * first batch with a failure (pkg/controller/replicaset slowStartBatch): a
 * controller whose creates all fail the same way (quota, admission) sends a
 * handful of doomed requests instead of hundreds.
 */

export interface SlowStartResult {
  successes: number;
  /** The first error of the batch that failed, if one did. */
  error?: unknown;
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<SlowStartResult> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failures.length;
    if (failures.length > 0) return { successes, error: failures[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}
