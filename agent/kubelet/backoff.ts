/**
 * Per-key exponential back-off (client-go util/flowcontrol/backoff.go), as
 * the kubelet uses it for crash loops and image pulls: the first failure
 * retries at once and arms `initial`; each failure seen while armed doubles
 * it up to `max`; a key quiet for twice `max` starts over.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  now?: () => number;
}

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 10_000;
    this.maxMs = options.maxMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  #expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > this.maxMs * 2;
  }

  /** Records a failure at `eventTime`: arms the initial delay, or doubles an armed one. */
  next(key: string, eventTime: number = this.#now()): void {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(eventTime, entry.lastUpdate)) {
      this.#entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.#now() });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxMs);
    entry.lastUpdate = this.#now();
  }

  /** The current delay of `key` (0 when none). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Whether `key` still waits for a failure at `eventTime` (e.g. the container's finish time). */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(eventTime, entry.lastUpdate)) return false;
    return this.#now() - eventTime < entry.backoffMs;
  }

  /** Whether `key` still waits, counting from its last failure (image pulls). */
  isInBackOffSinceUpdate(key: string, eventTime: number = this.#now()): boolean {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(eventTime, entry.lastUpdate)) return false;
    return eventTime - entry.lastUpdate < entry.backoffMs;
  }

  /** When the wait of `key` ends, measured from `since`; undefined when it does not wait. */
  remainingMs(key: string, since: number): number | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const left = since + entry.backoffMs - this.#now();
    return left > 0 ? left : undefined;
  }

  /** When the wait of `key` ends, counted from its last failure; undefined when it does not wait. */
  remainingSinceUpdateMs(key: string): number | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const left = entry.lastUpdate + entry.backoffMs - this.#now();
    return left > 0 ? left : undefined;
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Drops keys quiet for twice the maximum (GC). */
  gc(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (this.#expired(now, entry.lastUpdate)) this.#entries.delete(key);
  }

  /** Drops every key starting with `prefix` (a pod that went away). */
  forgetPrefix(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
