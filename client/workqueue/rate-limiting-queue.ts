/**
 * The queue controllers use (client-go rate_limiting_queue.go): a worker
 * `get`s a key, syncs, and on failure `addRateLimited(key)` (backing off per
 * key), on success `forget(key)` (resetting the backoff); `done(key)` always.
 */
import { DelayingQueue } from './delaying-queue.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiters.ts';

export class RateLimitingQueue<K = string> extends DelayingQueue<K> {
  readonly #rateLimiter: RateLimiter<K>;

  constructor(rateLimiter: RateLimiter<K> = defaultControllerRateLimiter<K>()) {
    super();
    this.#rateLimiter = rateLimiter;
  }

  /** Adds `item` after the rate limiter's delay for it. */
  addRateLimited(item: K): void {
    this.addAfter(item, this.#rateLimiter.when(item));
  }

  /** Clears `item`'s failure history; call after a successful sync. It does not remove the item from the queue. */
  forget(item: K): void {
    this.#rateLimiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.#rateLimiter.numRequeues(item);
  }
}
