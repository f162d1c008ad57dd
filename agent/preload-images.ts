/**
 * Air-gapped images, as k3s's `agent/images/` directory: every image
 * tarball in a directory (OCI image layout or `docker save`, optionally
 * gzip- or zstd-compressed) is imported into the node's image store when
 * the agent starts, so pods can run without a registry.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from './images/image-store.ts';

/** File names taken as image archives. */
const archiveName = /\.(tar|tar\.gz|tgz|tar\.zst|tar\.zstd)$/;

export interface PreloadedImage {
  file: string;
  repoTags: string[];
}

/** Imports every archive in `dir` (absent dir: nothing); one bad archive is reported and skipped. */
export async function preloadImages(images: ImageStore, dir: string, onError?: (err: Error) => void): Promise<PreloadedImage[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => archiveName.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const loaded: PreloadedImage[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const imported = await images.importImageArchive(file);
      loaded.push({ file, repoTags: imported.flatMap((i) => i.repoTags) });
    } catch (err) {
      onError?.(new Error(`image archive ${file}: ${(err as Error).message}`, { cause: err }));
    }
  }
  return loaded;
}
