/**
 * framework.CycleState: scratch space for one scheduling attempt of one pod.
 * PreFilter computes per-pod data (requests, parsed affinity) once so Filter
 * and Score, called per node, only read it. Discarded after the attempt.
 */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter/PreScore said Skip; the framework consults these. */
  readonly skipFilterPlugins = new Set<string>();
  readonly skipScorePlugins = new Set<string>();

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }

  /** Typed read of a value a PreFilter/PreScore wrote; throws if it is missing, as Go's Read returns ErrNotFound. */
  read<T>(key: string): T {
    if (!this.data.has(key)) throw new Error(`error reading ${JSON.stringify(key)} from cycleState: not found`);
    return this.data.get(key) as T;
  }

  has(key: string): boolean {
    return this.data.has(key);
  }

  delete(key: string): void {
    this.data.delete(key);
  }
}
