/**
 * Applies one layer blob to an empty directory, producing the directory an
 * overlayfs lowerdir needs (containerd's overlay snapshotter + archive.Apply
 * with overlay whiteout conversion):
 *
 * - the blob is gzip, zstd or plain tar, told by its magic bytes (media types
 *   lie in `docker save` archives);
 * - GNU tar extracts it as root keeping numeric owners, modes, symlinks,
 *   hardlinks and xattrs — except `trusted.*`, which would let a layer forge
 *   overlayfs metadata;
 * - the uncompressed stream is hashed on the way, and the caller checks it
 *   against the config's DiffID, so a layer that is not what the image says
 *   never becomes a lowerdir;
 * - AUFS-style whiteouts become overlayfs ones: `.wh.NAME` → a 0:0 character
 *   device `NAME`, `.wh..wh..opq` → `trusted.overlay.opaque=y` on its directory.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { writeWithBackpressure } from '../io/write-with-backpressure.ts';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

const whiteoutPrefix = '.wh.';
const whiteoutMetaPrefix = '.wh..wh.';
const opaqueWhiteout = '.wh..wh..opq';

export async function detectCompression(path: string): Promise<LayerCompression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

function decompressed(path: string, compression: LayerCompression): Readable {
  const source = createReadStream(path);
  if (compression === 'none') return source;
  const decompressor = compression === 'gzip' ? createGunzip() : createZstdDecompress();
  source.on('error', (err) => decompressor.destroy(err));
  return source.pipe(decompressor);
}

/** Runs a helper binary, failing with its stderr and an install hint when it is missing. */
export async function runTool(command: string, args: readonly string[], installHint: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child.on('error', (err) => {
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`${command} not found: ${installHint}`) : err);
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')}: exit ${code}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
}

/**
 * Extracts the layer in `blobPath` into the empty directory `dest` and
 * converts its whiteouts; returns the DiffID (sha256 of the uncompressed tar).
 */
export async function applyLayer(blobPath: string, dest: string): Promise<{ diffId: string; compression: LayerCompression }> {
  const compression = await detectCompression(blobPath);
  const asRoot = process.getuid?.() === 0;
  const args = ['--extract', '--file=-', `--directory=${dest}`, '--numeric-owner', '--xattrs', '--xattrs-include=*', '--xattrs-exclude=trusted.*'];
  if (asRoot) args.push('--same-owner', '--preserve-permissions');
  const tar = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const exited = new Promise<number>((resolve, reject) => {
    tar.on('error', (err) => reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('tar not found: apt-get install tar') : err));
    tar.on('close', (code) => resolve(code ?? -1));
  });
  // EPIPE after tar has read the end-of-archive marker is harmless: the rest is padding, still hashed below.
  tar.stdin.on('error', () => {});
  const hash = createHash('sha256');
  try {
    for await (const chunk of decompressed(blobPath, compression) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      // Gone early is fine (tar may stop reading after the end-of-archive blocks).
      await writeWithBackpressure(tar.stdin, chunk);
    }
  } catch (err) {
    tar.kill('SIGKILL');
    await exited.catch(() => {});
    throw new Error(`layer ${blobPath}: cannot decompress (${compression}): ${(err as Error).message}`);
  }
  tar.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`layer ${blobPath}: tar exited ${code}: ${stderr.trim().split('\n').slice(0, 3).join('; ')}`);
  await convertWhiteouts(dest);
  return { diffId: `sha256:${hash.digest('hex')}`, compression };
}

/** Turns AUFS whiteout files (as layers carry them) into overlayfs whiteouts under `root`. */
export async function convertWhiteouts(root: string): Promise<void> {
  const opaqueDirs: string[] = [];
  const whiteouts: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === opaqueWhiteout) {
        opaqueDirs.push(dir);
        await unlink(path);
      } else if (entry.name.startsWith(whiteoutMetaPrefix)) {
        // Other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs) means nothing to overlayfs.
        await rm(path, { recursive: true, force: true });
      } else if (entry.name.startsWith(whiteoutPrefix)) {
        whiteouts.push(join(dir, entry.name.slice(whiteoutPrefix.length)));
        await rm(path, { recursive: true, force: true });
      } else if (entry.isDirectory()) {
        await walk(path);
      }
    }
  };
  await walk(root);
  for (const path of whiteouts) {
    await rm(path, { recursive: true, force: true });
    await runTool('mknod', ['--mode=0', path, 'c', '0', '0'], 'apt-get install coreutils');
  }
  if (opaqueDirs.length > 0) {
    await runTool('setfattr', ['--name=trusted.overlay.opaque', '--value=y', '--', ...opaqueDirs], 'apt-get install attr');
  }
}
