/**
 * Temporary names under the image store carry the writing process's pid
 * (`<pid>-<random>`), so a store opened while another process (the agent, a
 * `pier image` command) is writing removes only the debris of dead writers.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export function tempName(prefix = ''): string {
  return `${prefix}${process.pid}-${randomBytes(6).toString('hex')}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes entries of `dir` named `<prefix><pid>-…` whose pid is no longer running. */
export async function removeStaleTemps(dir: string, prefix = ''): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
}
