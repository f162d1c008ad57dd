/**
 * The pod's volumes on this host (kubelet's volume manager and the
 * empty-dir, host-path, configmap and secret plugins), each under the pod
 * directory as the kubelet lays it out:
 *
 *   <podsDir>/<uid>/volumes/kubernetes.io~empty-dir/<name>
 *   <podsDir>/<uid>/volumes/kubernetes.io~configmap/<name>
 *   <podsDir>/<uid>/volumes/kubernetes.io~secret/<name>     (a tmpfs, so secrets never reach the disk)
 *
 * ConfigMap and Secret contents are written as the kubelet's AtomicWriter
 * does: a timestamped directory, a `..data` symlink swapped atomically to
 * it, and one symlink per top-level path through `..data`, so a container
 * never sees half an update. They are refreshed when the pod syncs, at most
 * once per refresh interval, and mounted read-only.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readdir, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { quantityValue } from '../../client/api/quantity.ts';
import type { Mount } from '../cri/api.ts';
import { mountsUnder, readMountInfo } from '../runtime/mountinfo.ts';
import type { ConfigSource } from './container-config.ts';
import type { Container, HostPathType, KeyToPath, Pod, Volume } from './pod-types.ts';

/** A volume that could not be set up (kubelet: event FailedMount, the pod stays ContainerCreating). */
export class VolumeSetUpError extends Error {
  readonly volume: string;
  constructor(volume: string, message: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.name = 'VolumeSetUpError';
    this.volume = volume;
  }
}

/** A container mount that cannot be made (bad subPath, unknown volume): CreateContainerConfigError. */
export class VolumeMountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeMountError';
  }
}

export interface VolumeManagerOptions {
  /** `<rootDir>/pods`. */
  podsDir: string;
  configs: ConfigSource;
  /** How often ConfigMap and Secret volumes are re-read from the API. Default 60 s. */
  refreshIntervalMs?: number;
}

const pluginDirs = {
  emptyDir: 'kubernetes.io~empty-dir',
  hostPath: 'kubernetes.io~host-path',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
} as const;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, (err, _stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve())),
  );
}

async function pathKind(path: string): Promise<'missing' | 'dir' | 'file' | 'socket' | 'char' | 'block' | 'other'> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return 'missing';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return 'other';
}

/** hostPath's type check (pkg/volume/hostpath checkType). */
export async function checkHostPathType(path: string, type: HostPathType | undefined): Promise<void> {
  const kind = await pathKind(path);
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (kind === 'missing') {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
      if (kind !== 'dir') throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'Directory':
      if (kind === 'missing') throw new Error(`hostPath type check failed: ${path} is not a directory`);
      if (kind !== 'dir') throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (kind === 'missing') {
        await writeFile(path, '', { mode: 0o644, flag: 'a' });
        return;
      }
      if (kind !== 'file') throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'File':
      if (kind !== 'file') throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (kind !== 'socket') throw new Error(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (kind !== 'char') throw new Error(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (kind !== 'block') throw new Error(`hostPath type check failed: ${path} is not a block device`);
      return;
  }
}

/** A payload path must be relative and stay inside the volume (validation does the same). */
function safeRelativePath(path: string): boolean {
  if (path === '' || isAbsolute(path)) return false;
  return !normalize(path).split(sep).includes('..');
}

/**
 * The files of a ConfigMap or Secret volume: all keys, or just `items`
 * (key → path, each with its mode or the default mode).
 */
export function volumePayload(
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  kind: 'configmap' | 'secret',
): Map<string, { content: Buffer; mode: number }> {
  const out = new Map<string, { content: Buffer; mode: number }>();
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) out.set(k, { content: v, mode: defaultMode });
    return out;
  }
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new Error(`${kind} references non-existent ${kind === 'configmap' ? 'config' : 'secret'} key: ${item.key}`);
    }
    if (!safeRelativePath(item.path)) throw new Error(`invalid path ${item.path}`);
    out.set(item.path, { content, mode: item.mode ?? defaultMode });
  }
  return out;
}

function timestampDirName(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.${randomBytes(5).toString('hex')}`;
}

/** AtomicWriter.Write: a new timestamped dir, `..data` swapped to it, top-level symlinks through `..data`. */
export async function atomicWritePayload(dir: string, payload: Map<string, { content: Buffer; mode: number }>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const oldTarget = await readlink(join(dir, '..data')).catch(() => undefined);
  if (oldTarget !== undefined && (await payloadUnchanged(join(dir, oldTarget), payload))) return;
  const tsName = timestampDirName();
  const tsDir = join(dir, tsName);
  await mkdir(tsDir, { mode: 0o755 });
  for (const [path, { content, mode }] of payload) {
    const file = join(tsDir, path);
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(file, content);
    await chmod(file, mode);
  }
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(tsName, tmpLink);
  await rename(tmpLink, join(dir, '..data'));
  const topLevel = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of topLevel) {
    const link = join(dir, name);
    const current = await readlink(link).catch(() => undefined);
    if (current === join('..data', name)) continue;
    await rm(link, { recursive: true, force: true });
    await symlink(join('..data', name), link);
  }
  // Names no longer in the payload go, as does the previous data dir.
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..') || topLevel.has(entry)) continue;
    await rm(join(dir, entry), { recursive: true, force: true });
  }
  if (oldTarget !== undefined && oldTarget !== tsName) await rm(join(dir, oldTarget), { recursive: true, force: true });
}

async function payloadUnchanged(dataDir: string, payload: Map<string, { content: Buffer; mode: number }>): Promise<boolean> {
  const existing = await listFiles(dataDir).catch(() => undefined);
  if (!existing || existing.length !== payload.size) return false;
  for (const [path, { content, mode }] of payload) {
    const file = join(dataDir, path);
    const st = await stat(file).catch(() => undefined);
    if (!st || (st.mode & 0o7777) !== mode) return false;
    if (!(await readFile(file)).equals(content)) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}

export class VolumeManager {
  readonly podsDir: string;
  readonly #configs: ConfigSource;
  readonly #refreshMs: number;
  readonly #refreshedAt = new Map<string, number>();

  constructor(options: VolumeManagerOptions) {
    this.podsDir = options.podsDir;
    this.#configs = options.configs;
    this.#refreshMs = options.refreshIntervalMs ?? 60_000;
  }

  podDir(uid: string): string {
    return join(this.podsDir, uid);
  }

  /** Where container logs of the pod go (kubelet: /var/log/pods/<ns>_<name>_<uid>). */
  podLogDir(pod: Pod): string {
    return join(this.podDir(pod.metadata.uid ?? ''), 'logs');
  }

  /**
   * Makes every volume of the pod ready and returns volume name → host path.
   * ConfigMap and Secret contents are re-read at most once per refresh interval.
   */
  async setUpPodVolumes(pod: Pod): Promise<Map<string, string>> {
    const uid = pod.metadata.uid ?? '';
    const volumesDir = join(this.podDir(uid), 'volumes');
    await mkdir(volumesDir, { recursive: true, mode: 0o750 });
    const refresh = Date.now() - (this.#refreshedAt.get(uid) ?? 0) >= this.#refreshMs;
    const paths = new Map<string, string>();
    for (const v of pod.spec.volumes ?? []) {
      try {
        paths.set(v.name, await this.#setUp(pod, v, volumesDir, refresh));
      } catch (err) {
        if (err instanceof VolumeSetUpError) throw err;
        throw new VolumeSetUpError(v.name, (err as Error).message);
      }
    }
    if (refresh) this.#refreshedAt.set(uid, Date.now());
    return paths;
  }

  async #setUp(pod: Pod, v: Volume, volumesDir: string, refresh: boolean): Promise<string> {
    const namespace = pod.metadata.namespace ?? 'default';
    if (v.hostPath) {
      if (!isAbsolute(v.hostPath.path)) throw new Error(`hostPath ${v.hostPath.path} must be absolute`);
      await checkHostPathType(v.hostPath.path, v.hostPath.type);
      return v.hostPath.path;
    }
    if (v.configMap) {
      const dir = join(volumesDir, pluginDirs.configMap, v.name);
      if (!refresh && (await exists(join(dir, '..data')))) return dir;
      const name = v.configMap.name ?? '';
      const cm = await this.#configs.getConfigMap(namespace, name);
      if (!cm && !v.configMap.optional) throw new Error(`configmap "${name}" not found`);
      const data: Record<string, Buffer> = {};
      for (const [k, val] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(val, 'utf8');
      for (const [k, val] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(val, 'base64');
      const payload = volumePayload(data, v.configMap.items, v.configMap.defaultMode ?? 0o644, v.configMap.optional ?? false, 'configmap');
      await atomicWritePayload(dir, payload);
      return dir;
    }
    if (v.secret) {
      const dir = join(volumesDir, pluginDirs.secret, v.name);
      if (!refresh && (await exists(join(dir, '..data')))) return dir;
      const name = v.secret.secretName ?? '';
      const s = await this.#configs.getSecret(namespace, name);
      if (!s && !v.secret.optional) throw new Error(`secret "${name}" not found`);
      await mkdir(dir, { recursive: true, mode: 0o750 });
      if (!(await isMountPoint(dir))) await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', dir]);
      const data: Record<string, Buffer> = {};
      for (const [k, val] of Object.entries(s?.data ?? {})) data[k] = Buffer.from(val, 'base64');
      const payload = volumePayload(data, v.secret.items, v.secret.defaultMode ?? 0o644, v.secret.optional ?? false, 'secret');
      await atomicWritePayload(dir, payload);
      return dir;
    }
    const known = ['emptyDir', 'hostPath', 'configMap', 'secret'];
    const other = Object.keys(v).find((k) => k !== 'name' && !known.includes(k) && v[k] !== undefined && v[k] !== null);
    if (other !== undefined) throw new Error(`volume type ${other} is not supported by pier`);
    // emptyDir (also the default when no source is given).
    const dir = join(volumesDir, pluginDirs.emptyDir, v.name);
    if (v.emptyDir?.medium === 'Memory') {
      await mkdir(dir, { recursive: true, mode: 0o777 });
      if (!(await isMountPoint(dir))) {
        const size = v.emptyDir.sizeLimit ? `,size=${quantityValue(v.emptyDir.sizeLimit)}` : '';
        await run('mount', ['-t', 'tmpfs', '-o', `mode=0777${size}`, 'tmpfs', dir]);
      }
    } else {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o777);
    }
    return dir;
  }

  /** The container's CRI mounts from its volumeMounts (subPath resolved inside the volume). */
  async containerMounts(pod: Pod, container: Container, volumePaths: ReadonlyMap<string, string>): Promise<Mount[]> {
    const mounts: Mount[] = [];
    const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
    for (const vm of container.volumeMounts ?? []) {
      const volume = byName.get(vm.name);
      const hostPath = volumePaths.get(vm.name);
      if (!volume || hostPath === undefined) throw new VolumeMountError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      const alwaysReadOnly = volume.configMap !== undefined || volume.secret !== undefined;
      let source = hostPath;
      if (vm.subPath) {
        if (!safeRelativePath(vm.subPath)) throw new VolumeMountError(`invalid subPath "${vm.subPath}": must be a relative path without '..'`);
        source = join(hostPath, vm.subPath);
        if (!(await exists(source))) {
          if (alwaysReadOnly) throw new VolumeMountError(`subPath "${vm.subPath}" does not exist in volume "${vm.name}"`);
          await mkdir(source, { recursive: true, mode: 0o755 });
        }
        // Symlinks inside the volume must not lead out of it (kubelet's safe subpath).
        const real = await realpath(source);
        const root = await realpath(hostPath);
        if (real !== root && !real.startsWith(`${root}/`)) throw new VolumeMountError(`subPath "${vm.subPath}" leads outside volume "${vm.name}"`);
        source = real;
      }
      mounts.push({ containerPath: vm.mountPath, hostPath: source, readonly: alwaysReadOnly || (vm.readOnly ?? false) });
    }
    return mounts;
  }

  /** Unmounts the pod's tmpfs volumes and removes its directory. */
  async tearDownPod(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    for (const m of (await mountsUnder(dir)).sort((a, b) => b.length - a.length)) {
      await run('umount', [m]).catch(() => run('umount', ['-l', m]));
    }
    await rm(dir, { recursive: true, force: true });
    this.#refreshedAt.delete(uid);
  }

  /** UIDs with a pod directory on this host (housekeeping finds orphans among them). */
  async podUids(): Promise<string[]> {
    const entries = await readdir(this.podsDir, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }
}

function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function isMountPoint(dir: string): Promise<boolean> {
  return (await readMountInfo()).some((m) => m.mountPoint === dir);
}
