/**
 * Reading image archives into the content store (containerd's
 * archive.ImportIndex): an OCI image layout tarball (`oci-layout`,
 * `index.json`, `blobs/`) or a `docker save` tarball (`manifest.json` with
 * Config/RepoTags/Layers; Docker 25+ writes both, and manifest.json wins
 * because it carries the names). Every blob is verified on the way in: OCI
 * blobs against their descriptors, docker-save layers later against the
 * config's DiffIDs when they are unpacked.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { z } from 'zod';
import { detectCompression } from './apply-layer.ts';
import type { ContentStore } from './content-store.ts';
import { digestHex, sha256Of } from './digest.ts';
import * as mediaTypes from './media-types.ts';
import { indexSchema, parseManifest, type Descriptor, type ImageManifest, type Platform } from './oci-image-spec.ts';
import { defaultPlatform, selectPlatformManifest } from './platform.ts';
import { tempName } from './stale-temp.ts';
import { isValidTag, parseDockerRef, parseNormalizedNamed, referenceName, referenceString, type ImageReference } from './reference.ts';

/** One image found in an archive, its blobs already in the content store. */
export interface ArchiveImage {
  /** Normalised `name:tag`s the archive gives it; empty when it names none. */
  repoTags: string[];
  /** `name@digest` for OCI layout entries (the digest a registry would serve them under); none for docker save. */
  repoDigests: string[];
  /** The index or manifest the archive lists. */
  targetDigest: string;
  /** The platform manifest (synthesised, Docker schema 2, for a docker-save archive). */
  manifestDigest: string;
  manifest: ImageManifest;
}

export interface ImportArchiveOptions {
  /** Repository for OCI layout entries named by a bare tag (`org.opencontainers.image.ref.name: 1.0`). */
  baseName?: string;
  platform?: Platform;
}

const dockerManifestSchema = z.array(
  z.object({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string()),
  }),
);

const containerdImageName = 'io.containerd.image.name';
const ociRefName = 'org.opencontainers.image.ref.name';

/** Unpacks `archivePath` into a scratch dir under `workDir` (named as stale-temp.ts expects), stores its blobs and describes its images. */
export async function readImageArchive(archivePath: string, content: ContentStore, workDir: string, options: ImportArchiveOptions = {}): Promise<ArchiveImage[]> {
  const st = await stat(archivePath).catch(() => undefined);
  if (!st?.isFile()) throw new Error(`${archivePath}: no such file`);
  const dir = join(workDir, tempName());
  await mkdir(dir, { mode: 0o700 });
  try {
    await extract(archivePath, dir);
    if (await exists(dir, 'manifest.json')) return await readDockerSave(dir, content);
    if (await exists(dir, 'index.json')) return await readOciLayout(dir, content, options);
    throw new Error(`${archivePath}: neither an OCI image layout (index.json) nor a docker save archive (manifest.json)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function extract(archivePath: string, dir: string): Promise<void> {
  // Owners, modes and xattrs of the archive's own entries do not matter: only file contents are read.
  const args = ['--extract', `--file=${archivePath}`, `--directory=${dir}`, '--no-same-owner', '--no-same-permissions', '--no-xattrs'];
  await new Promise<void>((resolvePromise, reject) => {
    const tar = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    tar.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2048) stderr += d.toString();
    });
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${archivePath}: not a readable tar archive: ${stderr.trim().split('\n')[0] ?? `exit ${code}`}`))));
  });
}

/** A path named by the archive, which must stay inside it (symlinks included: docker save links shared layers). */
async function member(dir: string, name: string): Promise<string> {
  if (isAbsolute(name)) throw new Error(`archive member "${name}" is absolute`);
  const path = resolve(dir, name);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new Error(`archive member "${name}" is missing`);
  }
  const root = await realpath(dir);
  if (real !== root && !real.startsWith(root + sep)) throw new Error(`archive member "${name}" points outside the archive (${relative(root, real)})`);
  if (!(await stat(real)).isFile()) throw new Error(`archive member "${name}" is not a regular file`);
  return real;
}

async function exists(dir: string, name: string): Promise<boolean> {
  return stat(join(dir, name)).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function storeDescriptor(dir: string, content: ContentStore, d: Pick<Descriptor, 'digest' | 'size'>): Promise<void> {
  if (await content.has(d.digest)) return;
  const path = await member(dir, join('blobs', 'sha256', digestHex(d.digest)));
  await content.write(createReadStream(path), { digest: d.digest, size: d.size }, `archive blob ${d.digest}`);
}

async function readOciLayout(dir: string, content: ContentStore, options: ImportArchiveOptions): Promise<ArchiveImage[]> {
  const parsedIndex = indexSchema.safeParse(JSON.parse(await readFile(await member(dir, 'index.json'), 'utf8')));
  if (!parsedIndex.success) throw new Error(`index.json: ${z.prettifyError(parsedIndex.error).replace(/\n/g, '; ')}`);
  const images: ArchiveImage[] = [];
  for (const entry of parsedIndex.data.manifests) {
    await storeDescriptor(dir, content, entry);
    const top = parseManifest(await content.read(entry.digest), entry.mediaType, `index.json entry ${entry.digest}`);
    let manifestDigest = entry.digest;
    let manifest: ImageManifest;
    if (top.kind === 'index') {
      const chosen = selectPlatformManifest(top.index, options.platform ?? defaultPlatform, `index.json entry ${entry.digest}`);
      await storeDescriptor(dir, content, chosen);
      const parsed = parseManifest(await content.read(chosen.digest), chosen.mediaType, `manifest ${chosen.digest}`);
      if (parsed.kind !== 'manifest') throw new Error(`manifest ${chosen.digest}: nested image indexes are not supported`);
      manifest = parsed.manifest;
      manifestDigest = chosen.digest;
    } else {
      manifest = top.manifest;
    }
    await storeDescriptor(dir, content, manifest.config);
    for (const layer of manifest.layers) {
      if (!mediaTypes.isLayerMediaType(layer.mediaType)) throw new Error(`layer ${layer.digest}: unsupported media type ${layer.mediaType}`);
      await storeDescriptor(dir, content, layer);
    }
    const names = ociEntryNames(entry, options.baseName);
    images.push({
      repoTags: names.filter((n) => n.tag !== undefined).map((n) => referenceString({ domain: n.domain, path: n.path, tag: n.tag! })),
      repoDigests: names.map((n) => `${referenceName(n)}@${entry.digest}`),
      targetDigest: entry.digest,
      manifestDigest,
      manifest,
    });
  }
  return images;
}

/** containerd's full name annotation first; then ref.name, a full reference or a tag for `baseName`. */
function ociEntryNames(entry: Descriptor, baseName: string | undefined): ImageReference[] {
  const full = entry.annotations?.[containerdImageName];
  if (full) return [parseNormalizedNamed(full)];
  const refName = entry.annotations?.[ociRefName];
  if (!refName) return [];
  if (/[/:@]/.test(refName)) return [parseNormalizedNamed(refName)];
  if (baseName !== undefined && isValidTag(refName)) return [parseNormalizedNamed(`${baseName}:${refName}`)];
  return [];
}

async function readDockerSave(dir: string, content: ContentStore): Promise<ArchiveImage[]> {
  const parsed = dockerManifestSchema.safeParse(JSON.parse(await readFile(await member(dir, 'manifest.json'), 'utf8')));
  if (!parsed.success) throw new Error(`manifest.json: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  const images: ArchiveImage[] = [];
  for (const entry of parsed.data) {
    const configBytes = await readFile(await member(dir, entry.Config));
    const configDigest = sha256Of(configBytes);
    // The file is named by its digest (`<hex>.json`, or `blobs/sha256/<hex>` since Docker 25): hold it to that.
    const named = /([a-f0-9]{64})(?:\.json)?$/.exec(entry.Config)?.[1];
    if (named !== undefined && named !== digestHex(configDigest)) throw new Error(`config ${entry.Config}: content hashes to ${configDigest}`);
    await content.writeBytes(configBytes, { digest: configDigest, size: configBytes.length }, `config ${entry.Config}`);
    const layers: Descriptor[] = [];
    for (const layerName of entry.Layers) {
      const path = await member(dir, layerName);
      const compression = await detectCompression(path);
      const stored = await content.write(createReadStream(path), undefined, `layer ${layerName}`);
      const mediaType = compression === 'gzip' ? mediaTypes.dockerLayerGzip : compression === 'zstd' ? mediaTypes.ociLayerZstd : mediaTypes.dockerLayer;
      layers.push({ mediaType, digest: stored.digest, size: stored.size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: mediaTypes.dockerManifest,
      config: { mediaType: mediaTypes.dockerImageConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const { digest: manifestDigest } = await content.writeBytes(manifestBytes, undefined, 'synthesised manifest');
    const repoTags = (entry.RepoTags ?? []).map((t) => referenceString(parseDockerRef(t)));
    images.push({ repoTags, repoDigests: [], targetDigest: manifestDigest, manifestDigest, manifest });
  }
  return images;
}
