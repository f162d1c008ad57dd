/**
 * The cgroup facts the runtime needs with the cgroupfs driver: which version
 * runc will use, where a container's controllers live, whether the OOM killer
 * fired, and removing a pod's cgroup tree.
 *
 * runc picks v2 only when /sys/fs/cgroup itself is cgroup2 ("unified");
 * a hybrid host (v1 controllers plus /sys/fs/cgroup/unified) is driven as v1.
 */
import { readFile, readdir, rmdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { readMountInfo } from './mountinfo.ts';

const cgroup2SuperMagic = 0x63677270;

export type CgroupVersion = 'v1' | 'v2';

export async function cgroupVersion(root = '/sys/fs/cgroup'): Promise<CgroupVersion> {
  const st = await statfs(root);
  return st.type === cgroup2SuperMagic ? 'v2' : 'v1';
}

/** Every mounted cgroup hierarchy (v1 controllers, named hierarchies, and the unified one). */
export async function cgroupHierarchies(): Promise<{ mountPoint: string; controllers: string[]; version: CgroupVersion }[]> {
  return (await readMountInfo())
    .filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2')
    .map((m) => ({
      mountPoint: m.mountPoint,
      controllers: m.fsType === 'cgroup2' ? [] : m.superOptions.filter((o) => o !== 'rw' && o !== 'ro' && o !== 'relatime'),
      version: m.fsType === 'cgroup2' ? ('v2' as const) : ('v1' as const),
    }));
}

/** The directory of `cgroupsPath` for one controller (`memory`, `cpu`, `pids`…). */
export async function controllerDir(cgroupsPath: string, controller: string): Promise<string> {
  if ((await cgroupVersion()) === 'v2') return join('/sys/fs/cgroup', cgroupsPath);
  const h = (await cgroupHierarchies()).find((x) => x.version === 'v1' && x.controllers.includes(controller));
  if (!h) throw new Error(`cgroup v1 controller ${controller} is not mounted`);
  return join(h.mountPoint, cgroupsPath);
}

/** Whether the OOM killer killed a process of the cgroup (v2 memory.events, v1 memory.oom_control). */
export async function oomKilled(cgroupsPath: string): Promise<boolean> {
  try {
    const dir = await controllerDir(cgroupsPath, 'memory');
    const version = await cgroupVersion();
    const text = await readFile(join(dir, version === 'v2' ? 'memory.events' : 'memory.oom_control'), 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m !== null && Number(m[1]) > 0;
  } catch {
    return false;
  }
}

async function rmdirTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(join(dir, e.name));
  // A cgroup is busy for a moment after its last process exits.
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Removes `cgroupsPath` and everything under it from every hierarchy. Idempotent. */
export async function removeCgroup(cgroupsPath: string): Promise<void> {
  if (cgroupsPath === '/' || cgroupsPath === '') throw new Error('refusing to remove the root cgroup');
  for (const h of await cgroupHierarchies()) await rmdirTree(join(h.mountPoint, cgroupsPath));
}

/** The hierarchies where `cgroupsPath` exists (for checks that nothing was left). */
export async function cgroupLeftovers(cgroupsPath: string): Promise<string[]> {
  const left: string[] = [];
  for (const h of await cgroupHierarchies()) {
    const dir = join(h.mountPoint, cgroupsPath);
    try {
      await readdir(dir);
      left.push(dir);
    } catch {
      // absent
    }
  }
  return left;
}
