/**
 * The worker loop every controller runs (replica_set.go worker /
 * processNextWorkItem): take a key, sync it, forget its backoff on success or
 * requeue it rate-limited on failure, and always mark it done. `run` ends once
 * `signal` aborts and the workers have finished their current keys.
 */
import { ApiError } from '../../client/rest/api-error.ts';
import type { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';

export interface QueueWorkersOptions {
  /** The controller's name, used in error messages. */
  name: string;
  queue: RateLimitingQueue<string>;
  workers: number;
  signal: AbortSignal;
  sync(key: string): Promise<void>;
  onError(err: unknown): void;
}

/** A lost optimistic-concurrency race: retried, not worth reporting. */
function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}

export async function runQueueWorkers(opts: QueueWorkersOptions): Promise<void> {
  const { queue, signal } = opts;
  if (signal.aborted) queue.shutDown();
  else signal.addEventListener('abort', () => queue.shutDown(), { once: true });
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        if (signal.aborted) continue;
        await opts.sync(key);
        queue.forget(key);
      } catch (err) {
        if (!isConflict(err)) opts.onError(new Error(`${opts.name}: sync ${key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.workers) }, () => worker()));
}
