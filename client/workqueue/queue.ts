/**
 * A work queue with client-go's guarantees (util/workqueue/doc.go, queue.go):
 * fair (items are handed out in the order added), stingy (an item added many
 * times before it is processed is processed once), and never processed by two
 * workers at once: an item re-added while processing is parked in `dirty` and
 * queued again by `done`.
 */

export class Queue<K = string> {
  /** Keys ready to hand out, in order; each is also in #dirty. */
  #queue: K[] = [];
  /** Keys that need processing (queued, or re-added while processing). */
  readonly #dirty = new Set<K>();
  /** Keys handed out and not yet `done`. */
  readonly #processing = new Set<K>();
  #shuttingDown = false;
  #waiters: Array<() => void> = [];

  /** Marks `item` as needing processing. No-op after shutDown. */
  add(item: K): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    // Processing: `done` queues it, so two workers never hold the same key.
    if (this.#processing.has(item)) return;
    this.#queue.push(item);
    this.#waiters.shift()?.();
  }

  /** Items waiting to be handed out (not counting those being processed). */
  len(): number {
    return this.#queue.length;
  }

  /**
   * Waits for the next item and marks it processing; the caller must call
   * `done(item)`. Resolves undefined once the queue is shut down and, for
   * items already queued, drained.
   */
  async get(): Promise<K | undefined> {
    while (this.#queue.length === 0 && !this.#shuttingDown) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#queue.length === 0) return undefined;
    const item = this.#queue.shift()!;
    this.#processing.add(item);
    this.#dirty.delete(item);
    return item;
  }

  /** Ends processing of `item`; if it was re-added meanwhile it is queued again. */
  done(item: K): void {
    this.#processing.delete(item);
    if (this.#dirty.has(item)) {
      this.#queue.push(item);
      this.#waiters.shift()?.();
    }
  }

  /** Stops accepting items and wakes every waiting `get`. Items still queued are handed out until none remain, then `get` answers undefined. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }
}
