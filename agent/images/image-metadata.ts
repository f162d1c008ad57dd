/**
 * The image index of the store (containerd's metadata "images" bucket, as one
 * JSON file): which names point at which image, and each image's manifest and
 * layers. Writes are serialized in-process and land by rename, so a reader
 * never sees half a file. Every mutation re-reads the file first, which keeps
 * a `pier image` command and a running agent from losing each other's
 * updates unless they write at the same instant.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tempName } from './stale-temp.ts';

export interface ImageLayerRecord {
  /** The blob as stored (compressed or not). */
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
  chainId: string;
}

/** One image on this node. */
export interface ImageRecord {
  /** The config digest: the image ID. */
  id: string;
  /** Normalised `name:tag`. */
  repoTags: string[];
  /** Normalised `name@digest` (the digest a registry serves for the name). */
  repoDigests: string[];
  /** What a name resolved to: an index or a manifest. */
  targetDigest: string;
  /** The platform manifest whose layers are unpacked. */
  manifestDigest: string;
  layers: ImageLayerRecord[];
  /** Bytes of the stored layer blobs. */
  size: number;
  /** When the image first landed on this node (RFC 3339). */
  createdAt: string;
}

interface IndexFile {
  version: 1;
  images: ImageRecord[];
}

export class ImageMetadataStore {
  private readonly path: string;
  private records = new Map<string, ImageRecord>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  async load(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.records = new Map();
        return;
      }
      throw err;
    }
    const parsed = JSON.parse(text) as IndexFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.images)) throw new Error(`${this.path}: unknown image index format`);
    this.records = new Map(parsed.images.map((r) => [r.id, r]));
  }

  all(): ImageRecord[] {
    return [...this.records.values()];
  }

  get(id: string): ImageRecord | undefined {
    return this.records.get(id);
  }

  /** Runs `fn` alone (no other update or locked section in between), on freshly read records; persists when it returns. */
  async update<T>(fn: (records: Map<string, ImageRecord>) => T | Promise<T>): Promise<T> {
    return this.locked(async () => {
      await this.load();
      const result = await fn(this.records);
      const file: IndexFile = { version: 1, images: [...this.records.values()].sort((a, b) => a.id.localeCompare(b.id)) };
      const tmp = `${this.path}.${tempName()}`;
      await writeFile(tmp, `${JSON.stringify(file, null, 1)}\n`);
      await rename(tmp, this.path);
      return result;
    });
  }

  /** Runs `fn` serialized with updates, without writing (garbage collection reads under it). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}
