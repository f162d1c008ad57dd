/**
 * One serialized worker per pod UID (kubelet's pod_workers.go): syncs of a
 * pod never overlap, an update arriving during a sync runs one more sync
 * afterwards (several updates collapse into one, and the sync reads the
 * newest pod itself), and each sync may ask to run again after a delay
 * (a back-off ending, the periodic resync). A sync that reports `done`
 * retires the worker: the pod was terminated and cleaned up.
 */

export interface PodSyncOutcome {
  /** Run again after this many ms (unless an update comes first). */
  requeueAfterMs?: number;
  /** The pod is gone and cleaned up: drop the worker. */
  done?: boolean;
}

export type PodSyncFunction = (uid: string) => Promise<PodSyncOutcome>;

interface Worker {
  dirty: boolean;
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Consecutive failed syncs, for the retry delay. */
  failures: number;
}

export interface PodWorkersOptions {
  sync: PodSyncFunction;
  onError?: (uid: string, err: unknown) => void;
  /** Delay after a failed sync, doubled per consecutive failure up to 60 s. Default 1 s. */
  errorBackoffMs?: number;
}

export class PodWorkers {
  readonly #o: PodWorkersOptions;
  readonly #workers = new Map<string, Worker>();
  #stopped = false;

  constructor(options: PodWorkersOptions) {
    this.#o = options;
  }

  /** Asks for a sync of the pod (UpdatePod). */
  update(uid: string): void {
    if (this.#stopped) return;
    let w = this.#workers.get(uid);
    if (!w) {
      w = { dirty: false, running: undefined, timer: undefined, failures: 0 };
      this.#workers.set(uid, w);
    }
    w.dirty = true;
    if (w.timer) {
      clearTimeout(w.timer);
      w.timer = undefined;
    }
    if (!w.running) w.running = this.#loop(uid, w);
  }

  /** UIDs with a live worker. */
  uids(): string[] {
    return [...this.#workers.keys()];
  }

  has(uid: string): boolean {
    return this.#workers.has(uid);
  }

  async #loop(uid: string, w: Worker): Promise<void> {
    try {
      while (w.dirty && !this.#stopped) {
        w.dirty = false;
        let outcome: PodSyncOutcome;
        try {
          outcome = await this.#o.sync(uid);
          w.failures = 0;
        } catch (err) {
          this.#o.onError?.(uid, err);
          w.failures++;
          const base = this.#o.errorBackoffMs ?? 1000;
          outcome = { requeueAfterMs: Math.min(60_000, base * 2 ** Math.min(w.failures - 1, 6)) };
        }
        if (outcome.done && !w.dirty) {
          this.#workers.delete(uid);
          return;
        }
        if (!w.dirty && outcome.requeueAfterMs !== undefined && !this.#stopped) {
          const delay = Math.max(0, outcome.requeueAfterMs);
          w.timer = setTimeout(() => {
            w.timer = undefined;
            this.update(uid);
          }, delay);
        }
      }
    } finally {
      w.running = undefined;
    }
  }

  /** Stops scheduling and waits for syncs in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running: Promise<void>[] = [];
    for (const w of this.#workers.values()) {
      if (w.timer) clearTimeout(w.timer);
      if (w.running) running.push(w.running);
    }
    await Promise.all(running);
  }
}
