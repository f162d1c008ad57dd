/**
 * Unpacked layers, one directory per ChainID: `layers/<chainid-hex>/fs` holds
 * that layer's own changes (an overlayfs lowerdir) and `diffid` its verified
 * DiffID. Each is unpacked once, however many images or containers use it.
 * A layer is unpacked under a temporary name and renamed into place only when
 * complete and verified, and removed by renaming it away first: a directory
 * named by a ChainID is always whole.
 */
import { mkdir, rename, rm, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyLayer } from './apply-layer.ts';
import { digestHex, DigestMismatchError } from './digest.ts';
import { removeStaleTemps, tempName } from './stale-temp.ts';

const tempPrefix = '.tmp-';

export class LayerStore {
  readonly dir: string;
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(imagesDir: string) {
    this.dir = join(imagesDir, 'layers');
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await removeStaleTemps(this.dir, tempPrefix);
  }

  /** The lowerdir of a layer. */
  fsPath(chainId: string): string {
    return join(this.dir, digestHex(chainId), 'fs');
  }

  async has(chainId: string): Promise<boolean> {
    try {
      return (await stat(this.fsPath(chainId))).isDirectory();
    } catch {
      return false;
    }
  }

  /** Unpacks `blobPath` as the layer `chainId` unless present; concurrent calls for one chainId share the work. */
  async unpack(chainId: string, diffId: string, blobPath: string): Promise<void> {
    const running = this.inflight.get(chainId);
    if (running) return running;
    const work = (async () => {
      if (await this.has(chainId)) return;
      const tmp = join(this.dir, tempName(tempPrefix));
      try {
        await mkdir(join(tmp, 'fs'), { recursive: true });
        const { diffId: actual } = await applyLayer(blobPath, join(tmp, 'fs'));
        if (actual !== diffId) throw new DigestMismatchError(`layer ${chainId} (uncompressed content)`, diffId, actual);
        await writeFile(join(tmp, 'diffid'), `${diffId}\n`);
        try {
          await rename(tmp, join(this.dir, digestHex(chainId)));
        } catch (err) {
          // Another process unpacked the same layer first: theirs is as good as ours.
          const code = (err as NodeJS.ErrnoException).code;
          if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await this.has(chainId))) return;
          throw err;
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    })();
    this.inflight.set(chainId, work);
    try {
      await work;
    } finally {
      this.inflight.delete(chainId);
    }
  }

  async remove(chainId: string): Promise<void> {
    const tmp = join(this.dir, tempName(tempPrefix));
    try {
      await rename(join(this.dir, digestHex(chainId)), tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(tmp, { recursive: true, force: true });
  }

  /** ChainIDs of the layers present. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
