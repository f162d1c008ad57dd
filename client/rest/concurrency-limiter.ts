/**
 * Bounds how many requests a component has in flight (as client-go's
 * client-side rate limiting bounds QPS): work beyond the limit waits in FIFO
 * order. Used where one process writes for thousands of objects at once.
 */
export class ConcurrencyLimiter {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // Hand the slot straight to the next waiter, so #active never dips and overshoots.
      if (next) next();
      else this.#active--;
    }
  }
}
