/**
 * What a controller is still waiting to see in its informer after acting
 * (pkg/controller controller_utils.go ControllerExpectations and
 * UIDTrackingControllerExpectations): a controller that just asked for N pods
 * must not count again until the N creations arrive, or it creates them twice.
 * Deletions are tracked by pod key, so only the deletes this controller asked
 * for lower the count. Expectations older than `expectationsTimeoutMs` are
 * treated as met, so a lost watch event cannot wedge a controller.
 */

/** ExpectationsTimeout: 5 minutes. */
export const expectationsTimeoutMs = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  timestamp: number;
  /** Keys of the pods whose deletion is awaited. */
  deleteKeys: Set<string>;
}

export class ControllerExpectations {
  readonly #store = new Map<string, Expectation>();
  readonly #now: () => number;
  readonly #timeoutMs: number;

  constructor(options: { now?: () => number; timeoutMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? expectationsTimeoutMs;
  }

  /** True when the controller may act on `key`: nothing awaited, all seen, or the wait expired. */
  satisfiedExpectations(key: string): boolean {
    const exp = this.#store.get(key);
    if (!exp) return true;
    if (exp.add <= 0 && exp.del <= 0) return true;
    return this.#now() - exp.timestamp > this.#timeoutMs;
  }

  /** Awaits `adds` creations (replacing whatever was awaited). */
  expectCreations(key: string, adds: number): void {
    this.#store.set(key, { add: adds, del: 0, timestamp: this.#now(), deleteKeys: new Set() });
  }

  /** Awaits the deletion of exactly these pods (replacing whatever was awaited). */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#store.set(key, { add: 0, del: podKeys.length, timestamp: this.#now(), deleteKeys: new Set(podKeys) });
  }

  creationObserved(key: string): void {
    const exp = this.#store.get(key);
    if (exp) exp.add--;
  }

  /** A pod went away: counts only if it is one this controller is waiting for. */
  deletionObserved(key: string, podKey: string): void {
    const exp = this.#store.get(key);
    if (exp?.deleteKeys.delete(podKey)) exp.del--;
  }

  /** Gives up on creations that were never sent (the rest of a failed slow-start batch). */
  lowerExpectations(key: string, adds: number, dels: number): void {
    const exp = this.#store.get(key);
    if (!exp) return;
    exp.add -= adds;
    exp.del -= dels;
  }

  deleteExpectations(key: string): void {
    this.#store.delete(key);
  }

  /** For tests and diagnostics: what is still awaited for `key`. */
  pending(key: string): { add: number; del: number } | undefined {
    const exp = this.#store.get(key);
    return exp ? { add: exp.add, del: exp.del } : undefined;
  }
}
