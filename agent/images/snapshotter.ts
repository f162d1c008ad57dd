/**
 * Container snapshots over the layer store (containerd's overlay snapshotter,
 * "active" snapshots only): `snapshots/<key>/{upper,work}` plus the image's
 * layer directories as lowerdirs. The mount is returned, not performed: the
 * runtime mounts it inside the container's mount namespace.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriError } from '../cri/errors.ts';
import type { RootfsMount } from '../cri/image-provider.ts';
import type { LayerStore } from './layer-store.ts';
import { removeStaleTemps, tempName } from './stale-temp.ts';

/** What a snapshot was made from; kept in `snapshots/<key>/snapshot.json`. */
export interface SnapshotInfo {
  key: string;
  imageId: string;
  /** The image's layers, bottom first. */
  chainIds: string[];
  createdAt: string;
}

const tempPrefix = '.tmp-';
const keyPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class Snapshotter {
  readonly dir: string;
  private readonly layers: LayerStore;
  /** The lowerdir of an image without layers: overlayfs needs at least one. */
  private readonly emptyDir: string;

  constructor(imagesDir: string, layers: LayerStore) {
    this.dir = join(imagesDir, 'snapshots');
    this.emptyDir = join(imagesDir, 'empty');
    this.layers = layers;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.emptyDir, { recursive: true });
    await removeStaleTemps(this.dir, tempPrefix);
  }

  /** Creates (or finds) the writable layer `key` over `chainIds` and returns the overlay mount. */
  async prepare(key: string, imageId: string, chainIds: readonly string[]): Promise<RootfsMount> {
    if (!keyPattern.test(key)) throw new CriError('InvalidArgument', `snapshot key "${key}" must match ${keyPattern.source}`);
    for (const chainId of chainIds) {
      if (!(await this.layers.has(chainId))) throw new CriError('NotFound', `layer ${chainId} of image ${imageId} is not unpacked`);
    }
    const existing = await this.get(key);
    if (existing) {
      if (existing.imageId !== imageId) {
        throw new CriError('AlreadyExists', `snapshot "${key}" exists for image ${existing.imageId}, not ${imageId}`);
      }
      return this.mountFor(key, existing.chainIds);
    }
    const tmp = join(this.dir, tempName(tempPrefix));
    try {
      await mkdir(join(tmp, 'upper'), { recursive: true, mode: 0o755 });
      await mkdir(join(tmp, 'work'), { recursive: true, mode: 0o700 });
      const info: SnapshotInfo = { key, imageId, chainIds: [...chainIds], createdAt: new Date().toISOString() };
      await writeFile(join(tmp, 'snapshot.json'), `${JSON.stringify(info, null, 2)}\n`);
      try {
        await rename(tmp, join(this.dir, key));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        // A concurrent prepare of the same key won; answer as the idempotent path does.
        return await this.prepare(key, imageId, chainIds);
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return this.mountFor(key, chainIds);
  }

  private mountFor(key: string, chainIds: readonly string[]): RootfsMount {
    const lower = chainIds.length === 0 ? [this.emptyDir] : [...chainIds].reverse().map((c) => this.layers.fsPath(c));
    return {
      type: 'overlay',
      source: 'overlay',
      // index=off as containerd sets it: the inode index would tie a shared lower layer to one upper.
      options: [`lowerdir=${lower.join(':')}`, `upperdir=${join(this.dir, key, 'upper')}`, `workdir=${join(this.dir, key, 'work')}`, 'index=off'],
    };
  }

  async get(key: string): Promise<SnapshotInfo | undefined> {
    if (!keyPattern.test(key)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.dir, key, 'snapshot.json'), 'utf8')) as SnapshotInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Deletes the writable layer; the runtime has unmounted it. Idempotent. */
  async remove(key: string): Promise<void> {
    if (!keyPattern.test(key)) throw new CriError('InvalidArgument', `snapshot key "${key}" must match ${keyPattern.source}`);
    const tmp = join(this.dir, tempName(tempPrefix));
    try {
      await rename(join(this.dir, key), tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(tmp, { recursive: true, force: true });
  }

  async list(): Promise<SnapshotInfo[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: SnapshotInfo[] = [];
    for (const name of names) {
      if (name.startsWith(tempPrefix)) continue;
      const info = await this.get(name).catch(() => undefined);
      if (info) out.push(info);
    }
    return out;
  }
}
