/**
 * The node's image service (CRI ImageService) and the runtime's image
 * provider, over one directory `<rootDir>/images`:
 *
 *   blobs/sha256/<hex>        verified content (content-store.ts)
 *   layers/<chainid>/fs       each layer unpacked once (layer-store.ts)
 *   snapshots/<key>/          containers' writable layers (snapshotter.ts)
 *   images.json               names → images (image-metadata.ts)
 *
 * As containerd's CRI plugin: an image's ID is its config digest, a name
 * points at one image at a time (a re-tagged image keeps its other names or
 * stays as a dangling image until removed), and RemoveImage removes the image
 * with all its names. Unlike containerd, removing an image a container
 * snapshot still uses is refused (FailedPrecondition), as `docker rmi` does
 * without -f: its layers are needed either way, and kubelet's image GC never
 * asks for an image in use.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthConfig, Image, ImageFilter, ImageFsInfoResponse, ImageService, ImageSpec } from '../cri/api.ts';
import { CriError, type CriErrorCode } from '../cri/errors.ts';
import type { ContainerImageProvider, LocalImage, RootfsMount } from '../cri/image-provider.ts';
import { chainIds } from './chain-id.ts';
import { ContentStore } from './content-store.ts';
import { digestHex } from './digest.ts';
import { readImageArchive, type ImportArchiveOptions } from './image-archive.ts';
import { ImageMetadataStore, type ImageRecord } from './image-metadata.ts';
import { LayerStore } from './layer-store.ts';
import { isLayerMediaType } from './media-types.ts';
import { parseImageConfig, parseManifest, runtimeConfigOf, type Descriptor, type ImageConfig, type ImageManifest, type Platform } from './oci-image-spec.ts';
import { defaultPlatform, selectPlatformManifest } from './platform.ts';
import { InvalidImageReferenceError, parseDockerRef, referenceName, referenceString } from './reference.ts';
import { RegistryClient, RegistryError } from './registry-client.ts';
import { Snapshotter } from './snapshotter.ts';
import { removeStaleTemps } from './stale-temp.ts';

export interface ImageStoreOptions {
  /** The agent's state directory; the store lives in `<rootDir>/images`. */
  rootDir: string;
  /** Registries (`host[:port]`) pulled from over plain HTTP besides loopback ones. */
  insecureRegistries?: readonly string[];
  /** The platform picked from multi-platform images; linux/amd64. */
  platform?: Platform;
  /** Blob downloads in parallel per pull; 3, Docker's max-concurrent-downloads default. */
  maxConcurrentDownloads?: number;
}

/** An image added by importImageArchive. */
export interface ImportedImage {
  id: string;
  repoTags: string[];
}

/** What commit() records: content already in the store. */
interface ImageContent {
  targetDigest: string;
  manifestDigest: string;
  manifest: ImageManifest;
  repoTags: string[];
  repoDigests: string[];
}

export class ImageStore implements ImageService, ContainerImageProvider {
  readonly dir: string;
  private readonly content: ContentStore;
  private readonly layers: LayerStore;
  private readonly snapshots: Snapshotter;
  private readonly metadata: ImageMetadataStore;
  private readonly insecureRegistries: readonly string[];
  private readonly platform: Platform;
  private readonly maxConcurrentDownloads: number;
  private readonly configs = new Map<string, ImageConfig>();
  private readonly pulls = new Map<string, Promise<string>>();
  /** Pulls and imports under way: their blobs are not yet referenced, so garbage collection waits. */
  private busy = 0;
  private opening: Promise<void> | undefined;

  constructor(options: ImageStoreOptions) {
    this.dir = join(options.rootDir, 'images');
    this.content = new ContentStore(this.dir);
    this.layers = new LayerStore(this.dir);
    this.snapshots = new Snapshotter(this.dir, this.layers);
    this.metadata = new ImageMetadataStore(join(this.dir, 'images.json'));
    this.insecureRegistries = options.insecureRegistries ?? [];
    this.platform = options.platform ?? defaultPlatform;
    this.maxConcurrentDownloads = options.maxConcurrentDownloads ?? 3;
  }

  /** Creates the directories and sweeps debris of crashed writers; every method calls it. */
  open(): Promise<void> {
    this.opening ??= (async () => {
      await this.content.open();
      await this.layers.open();
      await this.snapshots.open();
      await removeStaleTemps(this.dir, 'images.json.');
      await this.metadata.locked(() => this.metadata.load());
    })().catch((err: unknown) => {
      // Let a later call retry (say, once the directory is writable) instead of replaying the failure.
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  // ---- CRI ImageService ------------------------------------------------------

  /** Pulls `image` from its registry (with `auth` when given) and unpacks it; returns the image ID. */
  async pullImage(image: ImageSpec | string, auth?: AuthConfig): Promise<string> {
    const text = typeof image === 'string' ? image : image.image;
    await this.open();
    let key: string;
    try {
      key = `${referenceString(parseDockerRef(text))} ${auth ? JSON.stringify(auth) : ''}`;
    } catch (err) {
      throw pullError(text, err);
    }
    // Two pods asking for one image at once share one pull, as kubelet's serialized puller would.
    const running = this.pulls.get(key);
    if (running) return running;
    const pull = this.pull(text, auth);
    this.pulls.set(key, pull);
    try {
      return await pull;
    } finally {
      this.pulls.delete(key);
    }
  }

  async listImages(filter?: ImageFilter): Promise<Image[]> {
    await this.open();
    if (filter?.image?.image) {
      const r = await this.find(filter.image.image);
      return r ? [await this.criImage(r)] : [];
    }
    await this.reload();
    return Promise.all(this.metadata.all().map((r) => this.criImage(r)));
  }

  /** CRI ImageStatus: no image (not an error) when absent; `verbose` adds the config as `info.info`. */
  async imageStatus(image: ImageSpec | string, verbose = false): Promise<{ image?: Image; info: Record<string, string> }> {
    await this.open();
    const r = await this.find(typeof image === 'string' ? image : image.image);
    if (!r) return { info: {} };
    const info: Record<string, string> = {};
    if (verbose) info.info = JSON.stringify({ imageSpec: await this.config(r.id), chainID: r.layers.at(-1)?.chainId ?? '' });
    return { image: await this.criImage(r), info };
  }

  /**
   * Removes the image and all its names; succeeds when it is already gone.
   * Throws FailedPrecondition while a container snapshot uses it.
   */
  async removeImage(image: ImageSpec | string, options: { allowIdPrefix?: boolean } = {}): Promise<void> {
    await this.open();
    const r = await this.find(typeof image === 'string' ? image : image.image, options.allowIdPrefix ?? false);
    if (!r) return;
    await this.metadata.update(async (records) => {
      const users = (await this.snapshots.list()).filter((s) => s.imageId === r.id).map((s) => s.key);
      if (users.length > 0) {
        throw new CriError('FailedPrecondition', `image ${r.id} is in use by container snapshot${users.length > 1 ? 's' : ''} ${users.join(', ')}`);
      }
      records.delete(r.id);
    });
    this.configs.delete(r.id);
    await this.garbageCollect();
  }

  /** Bytes and inodes used by images (blobs, layers, index) and by containers' writable layers. */
  async imageFsInfo(): Promise<ImageFsInfoResponse> {
    await this.open();
    const timestamp = BigInt(Date.now()) * 1_000_000n;
    const images = { bytes: 0, inodes: 0 };
    const seen = new Set<string>();
    for (const name of await readdir(this.dir)) {
      if (name !== 'snapshots') await usage(join(this.dir, name), images, seen);
    }
    const containers = await usage(this.snapshots.dir, { bytes: 0, inodes: 0 }, seen);
    return {
      imageFilesystems: [{ timestamp, fsId: { mountpoint: this.dir }, usedBytes: images.bytes, inodesUsed: images.inodes }],
      containerFilesystems: [{ timestamp, fsId: { mountpoint: this.snapshots.dir }, usedBytes: containers.bytes, inodesUsed: containers.inodes }],
    };
  }

  // ---- ContainerImageProvider ------------------------------------------------

  async resolve(image: string): Promise<LocalImage | undefined> {
    await this.open();
    const r = await this.find(image);
    return r ? this.localImage(r) : undefined;
  }

  async prepareRootfs(key: string, imageId: string): Promise<RootfsMount> {
    await this.open();
    // Under the metadata lock, so a concurrent removeImage sees this snapshot or runs entirely before it.
    return this.metadata.locked(async () => {
      await this.metadata.load();
      const r = this.metadata.get(imageId);
      if (!r) throw new CriError('NotFound', `image ${imageId} not found`);
      return this.snapshots.prepare(
        key,
        r.id,
        r.layers.map((l) => l.chainId),
      );
    });
  }

  async removeRootfs(key: string): Promise<void> {
    await this.open();
    await this.snapshots.remove(key);
  }

  // ---- beyond CRI --------------------------------------------------------------

  /** Every image, as the runtime sees them (for `pier image ls`). */
  async listLocalImages(): Promise<LocalImage[]> {
    await this.open();
    await this.reload();
    return Promise.all(this.metadata.all().map((r) => this.localImage(r)));
  }

  /** Finds an image by name or ID; with `allowIdPrefix`, also by a unique ID prefix (as `docker rmi 3f5`). */
  async findImage(image: string, allowIdPrefix = false): Promise<LocalImage | undefined> {
    await this.open();
    const r = await this.find(image, allowIdPrefix);
    return r ? this.localImage(r) : undefined;
  }

  /** Imports every image of an OCI image layout tarball or a `docker save` tarball. */
  async importImageArchive(path: string, options: ImportArchiveOptions = {}): Promise<ImportedImage[]> {
    await this.open();
    this.busy++;
    let failed = false;
    try {
      const found = await readImageArchive(path, this.content, this.content.ingestDir, { platform: this.platform, ...options });
      const out: ImportedImage[] = [];
      for (const image of found) {
        const id = await this.commit(image);
        out.push({ id, repoTags: image.repoTags });
      }
      return out;
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      this.busy--;
      if (failed) await this.garbageCollect().catch(() => {});
    }
  }

  /** The snapshots of containers (key, image, layers). */
  async listSnapshots(): Promise<{ key: string; imageId: string }[]> {
    await this.open();
    return (await this.snapshots.list()).map((s) => ({ key: s.key, imageId: s.imageId }));
  }

  // ---- internals -----------------------------------------------------------------

  private async pull(text: string, auth: AuthConfig | undefined): Promise<string> {
    this.busy++;
    let failed = false;
    try {
      const ref = parseDockerRef(text);
      const client = new RegistryClient({ insecureRegistries: this.insecureRegistries, ...(auth ? { auth } : {}) });
      const top = await client.getManifest(ref, ref.digest ?? ref.tag!);
      await this.content.writeBytes(top.body, { digest: top.digest, size: top.body.length }, `manifest ${top.digest}`);
      const parsed = parseManifest(top.body, top.mediaType, `manifest ${top.digest}`);
      let manifest: ImageManifest;
      let manifestDigest = top.digest;
      if (parsed.kind === 'index') {
        const chosen = selectPlatformManifest(parsed.index, this.platform, referenceString(ref));
        const m = await client.getManifest(ref, chosen.digest);
        if (m.body.length !== chosen.size) throw new Error(`manifest ${chosen.digest}: ${m.body.length} bytes, the index says ${chosen.size}`);
        await this.content.writeBytes(m.body, { digest: m.digest, size: m.body.length }, `manifest ${m.digest}`);
        const platformManifest = parseManifest(m.body, chosen.mediaType, `manifest ${chosen.digest}`);
        if (platformManifest.kind !== 'manifest') throw new Error(`manifest ${chosen.digest}: an index inside an index is not supported`);
        manifest = platformManifest.manifest;
        manifestDigest = chosen.digest;
      } else {
        manifest = parsed.manifest;
      }
      for (const layer of manifest.layers) {
        if (!isLayerMediaType(layer.mediaType)) throw new Error(`layer ${layer.digest}: unsupported media type ${layer.mediaType}`);
      }
      await this.fetchBlobs(client, ref, [manifest.config, ...manifest.layers]);
      const name = referenceName(ref);
      return await this.commit({
        targetDigest: top.digest,
        manifestDigest,
        manifest,
        repoTags: ref.tag !== undefined ? [referenceString(ref)] : [],
        repoDigests: [`${name}@${top.digest}`],
      });
    } catch (err) {
      failed = true;
      throw pullError(text, err);
    } finally {
      this.busy--;
      // What a failed pull fetched is verified but belongs to no image: drop it rather than keep orphans.
      if (failed) await this.garbageCollect().catch(() => {});
    }
  }

  private async fetchBlobs(client: RegistryClient, ref: { domain: string; path: string }, descriptors: Descriptor[]): Promise<void> {
    const queue: Descriptor[] = [];
    for (const d of descriptors) if (!(await this.content.has(d.digest)) && !queue.some((q) => q.digest === d.digest)) queue.push(d);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queue.length) {
        const d = queue[next++]!;
        try {
          await this.content.write(await client.getBlob(ref, d), { digest: d.digest, size: d.size }, `blob ${d.digest}`);
        } catch (err) {
          next = queue.length;
          throw err;
        }
      }
    };
    // Settle every download before failing, so no write lands after the failed pull has cleaned up.
    const results = await Promise.allSettled(Array.from({ length: Math.min(this.maxConcurrentDownloads, queue.length) }, worker));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Unpacks the image's layers and records it under its names; returns the image ID. */
  private async commit(c: ImageContent): Promise<string> {
    const id = c.manifest.config.digest;
    const config = parseImageConfig(await this.content.read(id), `config ${id}`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== c.manifest.layers.length) {
      throw new Error(`image ${id}: the manifest has ${c.manifest.layers.length} layers but the config lists ${diffIds.length} diff_ids`);
    }
    const chain = chainIds(diffIds);
    for (const [i, layer] of c.manifest.layers.entries()) {
      await this.layers.unpack(chain[i]!, diffIds[i]!, this.content.blobPath(layer.digest));
    }
    await this.metadata.update((records) => {
      for (const other of records.values()) {
        if (other.id === id) continue;
        other.repoTags = other.repoTags.filter((t) => !c.repoTags.includes(t));
        other.repoDigests = other.repoDigests.filter((d) => !c.repoDigests.includes(d));
      }
      const existing = records.get(id);
      if (existing) {
        existing.repoTags = [...new Set([...existing.repoTags, ...c.repoTags])];
        existing.repoDigests = [...new Set([...existing.repoDigests, ...c.repoDigests])];
        return;
      }
      const record: ImageRecord = {
        id,
        repoTags: [...c.repoTags],
        repoDigests: [...c.repoDigests],
        targetDigest: c.targetDigest,
        manifestDigest: c.manifestDigest,
        layers: c.manifest.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, chainId: chain[i]! })),
        size: c.manifest.layers.reduce((sum, l) => sum + l.size, 0),
        createdAt: new Date().toISOString(),
      };
      records.set(id, record);
    });
    this.configs.set(id, config);
    return id;
  }

  /** Deletes blobs and layers no image or snapshot needs; skipped while a pull or import is under way. */
  private async garbageCollect(): Promise<void> {
    await this.metadata.locked(async () => {
      if (this.busy > 0) return;
      await this.metadata.load();
      const blobs = new Set<string>();
      const layers = new Set<string>();
      for (const r of this.metadata.all()) {
        blobs.add(r.id).add(r.targetDigest).add(r.manifestDigest);
        for (const l of r.layers) {
          blobs.add(l.digest);
          layers.add(l.chainId);
        }
      }
      for (const s of await this.snapshots.list()) for (const c of s.chainIds) layers.add(c);
      for (const digest of await this.content.list()) if (!blobs.has(digest)) await this.content.delete(digest);
      for (const chainId of await this.layers.list()) if (!layers.has(chainId)) await this.layers.remove(chainId);
    });
  }

  private async reload(): Promise<void> {
    await this.metadata.locked(() => this.metadata.load());
  }

  private async find(image: string, allowIdPrefix = false): Promise<ImageRecord | undefined> {
    await this.reload();
    const records = this.metadata.all();
    if (/^sha256:[a-f0-9]{64}$/.test(image)) return this.metadata.get(image);
    if (/^[a-f0-9]{64}$/.test(image)) return this.metadata.get(`sha256:${image}`);
    let ref;
    try {
      ref = parseDockerRef(image);
    } catch {
      ref = undefined;
    }
    if (ref) {
      const name = referenceName(ref);
      let found: ImageRecord | undefined;
      if (ref.digest !== undefined) {
        const d = ref.digest;
        found =
          records.find((r) => r.repoDigests.includes(`${name}@${d}`)) ??
          records.find((r) => (r.targetDigest === d || r.manifestDigest === d) && [...r.repoTags, ...r.repoDigests].some((n) => n.startsWith(`${name}:`) || n.startsWith(`${name}@`)));
      } else {
        found = records.find((r) => r.repoTags.includes(referenceString(ref)));
      }
      if (found) return found;
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{4,64})$/.exec(image)?.[1];
    if (allowIdPrefix && prefix !== undefined) {
      const matches = records.filter((r) => digestHex(r.id).startsWith(prefix));
      if (matches.length > 1) throw new CriError('InvalidArgument', `image ID prefix "${image}" is ambiguous (${matches.length} images)`);
      return matches[0];
    }
    return undefined;
  }

  private async config(id: string): Promise<ImageConfig> {
    let config = this.configs.get(id);
    if (!config) {
      config = parseImageConfig(await this.content.read(id), `config ${id}`);
      this.configs.set(id, config);
    }
    return config;
  }

  private async localImage(r: ImageRecord): Promise<LocalImage> {
    return { id: r.id, repoTags: [...r.repoTags], repoDigests: [...r.repoDigests], size: r.size, config: runtimeConfigOf(await this.config(r.id)) };
  }

  private async criImage(r: ImageRecord): Promise<Image> {
    const image: Image = { id: r.id, repoTags: [...r.repoTags], repoDigests: [...r.repoDigests], size: r.size, spec: { image: r.id }, pinned: false };
    // As containerd's getUserFromImage: a numeric user becomes uid (kubelet checks runAsNonRoot with it), a name username.
    const user = runtimeConfigOf(await this.config(r.id)).User?.split(':')[0] ?? '';
    if (/^\d+$/.test(user)) image.uid = { value: Number(user) };
    else if (user !== '') image.username = user;
    return image;
  }
}

function pullError(image: string, err: unknown): CriError {
  if (err instanceof CriError) return err;
  let code: CriErrorCode = 'Unknown';
  if (err instanceof InvalidImageReferenceError) code = 'InvalidArgument';
  else if (err instanceof RegistryError) code = err.status === 404 ? 'NotFound' : err.status === 401 || err.status === 403 ? 'PermissionDenied' : 'Unknown';
  return new CriError(code, `failed to pull image "${image}": ${(err as Error).message}`, { cause: err });
}

/** du-style usage: allocated bytes and inodes, a hardlinked inode counted once, symlinks not followed. */
async function usage(path: string, acc: { bytes: number; inodes: number }, seen: Set<string>): Promise<{ bytes: number; inodes: number }> {
  let st;
  try {
    st = await lstat(path, { bigint: false });
  } catch {
    return acc;
  }
  const id = `${st.dev}:${st.ino}`;
  if (!seen.has(id)) {
    seen.add(id);
    acc.inodes++;
    acc.bytes += st.blocks * 512;
  }
  if (st.isDirectory()) for (const name of await readdir(path).catch(() => [] as string[])) await usage(join(path, name), acc, seen);
  return acc;
}
