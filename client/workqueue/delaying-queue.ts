/**
 * A Queue that can add an item after a delay (client-go delaying_queue.go).
 * An item waiting twice keeps the earlier ready time.
 */
import { Queue } from './queue.ts';

export class DelayingQueue<K = string> extends Queue<K> {
  readonly #waiting = new Map<K, { readyAt: number; timer: NodeJS.Timeout }>();

  /** Adds `item` once `delayMs` have passed (at once when ≤ 0). */
  addAfter(item: K, delayMs: number): void {
    if (this.shuttingDown()) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const readyAt = Date.now() + delayMs;
    const existing = this.#waiting.get(item);
    if (existing !== undefined) {
      if (existing.readyAt <= readyAt) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.#waiting.delete(item);
      this.add(item);
    }, delayMs);
    this.#waiting.set(item, { readyAt, timer });
  }

  /** Items waiting for their delay to pass. */
  waitingLen(): number {
    return this.#waiting.size;
  }

  override shutDown(): void {
    super.shutDown();
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
  }
}
