/**
 * The content-addressed blob store (containerd's content store, file layout as
 * an OCI image layout): `blobs/sha256/<hex>`. Content enters only through
 * `write`, which streams to `ingest/`, hashes and measures as it goes, and
 * renames into `blobs/` only when digest and size match — so a path under
 * `blobs/` is always trustworthy, and a crash leaves at most ingest debris that
 * `open` sweeps away (see stale-temp.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assertSha256Digest, digestHex, DigestMismatchError } from './digest.ts';
import { removeStaleTemps, tempName } from './stale-temp.ts';

export class ContentStore {
  readonly blobsDir: string;
  /** Where content is written before it verifies; also scratch space for archive imports. */
  readonly ingestDir: string;

  /** `dir` is the image store's root; blobs live in `dir/blobs/sha256`. */
  constructor(dir: string) {
    this.blobsDir = join(dir, 'blobs', 'sha256');
    this.ingestDir = join(dir, 'ingest');
  }

  /** Creates the directories and removes half-written blobs from an earlier crash. */
  async open(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
    await removeStaleTemps(this.ingestDir);
  }

  blobPath(digest: string): string {
    return join(this.blobsDir, digestHex(assertSha256Digest(digest, 'blob')));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(digest))).isFile();
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch {
      return undefined;
    }
  }

  async read(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /**
   * Streams `source` into the store. With `expected`, the content must hash
   * to `expected.digest` and measure `expected.size` bytes (checked while
   * streaming, so an oversized body is cut off early); otherwise its digest is
   * computed. Nothing lands in `blobs/` unless it verifies.
   */
  async write(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, expected: { digest: string; size?: number } | undefined, what: string): Promise<{ digest: string; size: number }> {
    if (expected) assertSha256Digest(expected.digest, what);
    const tmp = join(this.ingestDir, tempName());
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(tmp, 'wx', 0o644);
    try {
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (expected?.size !== undefined && size > expected.size) {
          throw new DigestMismatchError(`${what}: size`, `${expected.size} bytes`, `more than ${expected.size} bytes`);
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await fh.close();
    const digest = `sha256:${hash.digest('hex')}`;
    try {
      if (expected?.size !== undefined && size !== expected.size) throw new DigestMismatchError(`${what}: size`, `${expected.size} bytes`, `${size} bytes`);
      if (expected && digest !== expected.digest) throw new DigestMismatchError(what, expected.digest, digest);
      await rename(tmp, this.blobPath(digest));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    return { digest, size };
  }

  async writeBytes(data: Uint8Array, expected: { digest: string; size?: number } | undefined, what: string): Promise<{ digest: string; size: number }> {
    return this.write([data], expected, what);
  }

  async delete(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  /** Every stored digest. */
  async list(): Promise<string[]> {
    const names = await readdir(this.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
