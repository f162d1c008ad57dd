/**
 * CPU time a process has used, from /proc/<pid>/stat (utime + stime), so a
 * benchmark can say which component was busy during a measured window.
 */
import { readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond;
}

/** Samples several processes at once: `sample()` now, and `since(earlier)` for the CPU seconds used in between. */
export class CpuSampler {
  readonly #pids: ReadonlyMap<string, number>;

  constructor(pids: ReadonlyMap<string, number>) {
    this.#pids = pids;
  }

  sample(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, pid] of this.#pids) {
      try {
        out.set(name, processCpuSeconds(pid));
      } catch {
        out.set(name, Number.NaN);
      }
    }
    return out;
  }

  static since(earlier: ReadonlyMap<string, number>, later: ReadonlyMap<string, number>): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, value] of later) out.set(name, value - (earlier.get(name) ?? Number.NaN));
    return out;
  }
}
