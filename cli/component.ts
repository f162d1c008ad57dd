/**
 * What `pier up` runs: an ordered list of components, started in order and
 * stopped in reverse, so each one's dependencies outlive it (etcd outlives
 * the API server, which will outlive the scheduler and controllers).
 */

/** One piece of a `pier up` cluster. */
export interface Component {
  readonly name: string;
  /**
   * Resolves once the component serves. `onCrash` is for a later,
   * unexpected death; `pier up` then stops everything and exits non-zero.
   */
  start(onCrash: (err: Error) => void): Promise<void>;
  /** Stops it; must be safe to call when start failed or never ran. */
  stop(): Promise<void>;
}

/** Starts and stops a list of components as one. */
export class ComponentGroup {
  private readonly components: readonly Component[];
  private started: Component[] = [];
  private stopping: Promise<void> | undefined;

  constructor(components: readonly Component[]) {
    this.components = components;
  }

  /** Starts each in order; if one fails, stops those already started and rethrows. */
  async start(onCrash: (component: string, err: Error) => void): Promise<void> {
    for (const component of this.components) {
      if (this.stopping) return;
      // Registered before start so a stop during a slow start still reaches it.
      this.started.push(component);
      try {
        await component.start((err) => onCrash(component.name, err));
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
  }

  /** Stops started components in reverse order; every stop runs even if one fails. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const errors: string[] = [];
      for (const component of [...this.started].reverse()) {
        try {
          await component.stop();
        } catch (err) {
          errors.push(`${component.name}: ${(err as Error).message}`);
        }
      }
      if (errors.length > 0) throw new Error(`stopping failed: ${errors.join('; ')}`);
    })();
    return this.stopping;
  }
}
