/**
 * The "something changed, sync soon" flag of a level-triggered sync loop
 * (kube-proxy's and the route controller's runners): event handlers call
 * request(); the loop waits until a request, a timeout or its stop, then
 * takes the pending flag and syncs everything from its caches.
 */
export class SyncTrigger {
  #pending = true;
  #wake: (() => void) | undefined;

  /** True until take(): a change arrived since the last sync started (initially true: nothing synced yet). */
  get pending(): boolean {
    return this.#pending;
  }

  /** Marks work pending and wakes a waiting loop. */
  request(): void {
    this.#pending = true;
    this.#wake?.();
  }

  /** Clears the flag as a sync starts; returns whether work was pending. */
  take(): boolean {
    const was = this.#pending;
    this.#pending = false;
    return was;
  }

  /** Resolves on request(), after `ms`, or when `signal` aborts, whichever comes first. */
  wait(signal: AbortSignal, ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      // setTimeout caps at 2^31-1 ms; longer waits (a 15-minute full resync is fine) would fire at once.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }
}
