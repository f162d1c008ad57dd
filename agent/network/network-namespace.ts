/**
 * Named, bind-mounted network namespaces: the file a sandbox's netns lives
 * in, so it outlives the processes in it (containerd's pkg/netns, `ip netns`).
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CommandError, runCommand } from '../host/run-command.ts';

/** The directory `ip netns` uses; iproute2 has it compiled in. */
export const defaultNetnsDir = '/run/netns';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/**
 * Creates netnsDir/name holding a fresh network namespace and returns its
 * path. Under /run/netns this is `ip netns add`, which also makes the
 * directory a shared mount so the namespace is visible from containers'
 * mount namespaces; elsewhere `unshare --net=FILE` does the bind mount.
 */
export async function createNetworkNamespace(name: string, netnsDir = defaultNetnsDir): Promise<string> {
  if (!namePattern.test(name)) throw new Error(`invalid network namespace name ${JSON.stringify(name)}`);
  const path = join(netnsDir, name);
  if (netnsDir === defaultNetnsDir) {
    await runCommand('ip', ['netns', 'add', name]);
    return path;
  }
  await mkdir(netnsDir, { recursive: true, mode: 0o755 });
  // `wx`: never reuse a file someone else created; unshare bind-mounts over it.
  await writeFile(path, '', { flag: 'wx', mode: 0o444 });
  try {
    await runCommand('unshare', [`--net=${path}`, 'true']);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return path;
}

/** Unmounts and deletes a namespace file made by createNetworkNamespace. Idempotent. */
export async function removeNetworkNamespace(path: string): Promise<void> {
  if (!(await exists(path))) return;
  if (dirname(path) === defaultNetnsDir) {
    // A file under /run/netns that `ip` refuses (say, never mounted) is still
    // ours to remove below.
    const deleted = await runCommand('ip', ['netns', 'delete', basename(path)]).then(() => true, () => false);
    if (deleted || !(await exists(path))) return;
  }
  try {
    // Lazy, like `ip netns delete` (MNT_DETACH): a process still inside keeps
    // the namespace alive, but the name goes now.
    await runCommand('umount', ['-l', path]);
  } catch (err) {
    if (!(err instanceof CommandError && /not mounted|no mount point/i.test(err.stderr))) throw err;
  }
  await rm(path, { force: true });
}

/** Runs a command inside the namespace at `path` (nsenter, so any directory works). */
export function runInNetworkNamespace(path: string, file: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  return runCommand('nsenter', [`--net=${path}`, '--', file, ...args], timeoutMs !== undefined ? { timeoutMs } : {});
}

export async function networkNamespaceExists(path: string): Promise<boolean> {
  return exists(path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
