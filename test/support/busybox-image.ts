/**
 * Builds a real, small OCI image from Debian's busybox-static, written as an
 * OCI image layout by this file (no registry, no network), reproducibly: the
 * same busybox binary gives the same image ID every time.
 *
 * Layers, bottom first:
 *  1. gzip: /bin/busybox, /bin/sh (a hardlink), a symlink per applet,
 *     /etc/{passwd,group,shadow(0600),doomed}, /opt/replaced/{old-1,old-2,sub/old-3},
 *     /opt/kept/file, /tmp (1777), /root (0700);
 *  2. zstd: /etc/.wh.doomed (whiteout), /opt/replaced/.wh..wh..opq (opaque)
 *     + /opt/replaced/new, /home/app (1000:1000, 0750) with hello.txt (0640);
 *  3. plain tar: /etc/pier-release.
 * Config: Entrypoint ["/bin/busybox"], Cmd ["sh"], Env PATH + PIER_IMAGE, WorkingDir /home/app.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, link, mkdir, readFile, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';

const execFileAsync = promisify(execFile);

export const busyboxPath = '/bin/busybox';

export interface BusyboxImageOptions {
  /** Tag in the layout (`org.opencontainers.image.ref.name`); `1.0`. */
  tag?: string;
  /** Repository recorded as `io.containerd.image.name`; `docker.io/pier/busybox`. */
  name?: string;
  /** Wrap the image in an index beside a fake linux/arm64 image (arm64 listed first). */
  multiPlatform?: boolean;
  entrypoint?: string[];
  cmd?: string[];
}

export interface BusyboxImage {
  layoutDir: string;
  tag: string;
  /** `name:tag`, as the layout's `io.containerd.image.name`. */
  reference: string;
  /** The linux/amd64 image's ID (config digest). */
  imageId: string;
  /** The linux/amd64 manifest. */
  manifestDigest: string;
  /** What the layout's index.json points at: the index when multiPlatform, else the manifest. */
  targetDigest: string;
  /** The arm64 image's ID when multiPlatform. */
  otherPlatformImageId?: string;
  diffIds: string[];
  config: { Entrypoint: string[]; Cmd: string[]; Env: string[]; WorkingDir: string };
}

/** Fails with one line when busybox-static is missing (a dynamic busybox would not run in a bare rootfs). */
export function requireBusyboxStatic(): string {
  if (!existsSync(busyboxPath)) throw new Error('apt-get install busybox-static');
  const head = readFileSync(busyboxPath).subarray(0, 8192).toString('latin1');
  if (head.includes('ld-linux')) throw new Error(`${busyboxPath} is dynamically linked: apt-get install busybox-static`);
  return busyboxPath;
}

type Entry = { path: string; mode: number; uid?: number; gid?: number } & ({ type: 'dir' } | { type: 'file'; content: string | Buffer } | { type: 'symlink'; target: string } | { type: 'hardlink'; target: string } | { type: 'copy'; from: string });

async function stage(dir: string, entries: Entry[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  for (const e of entries) {
    const path = join(dir, e.path);
    await mkdir(dirname(path), { recursive: true });
    if (e.type === 'dir') await mkdir(path, { recursive: true });
    else if (e.type === 'file') await writeFile(path, e.content);
    else if (e.type === 'copy') await copyFile(e.from, path);
    else if (e.type === 'symlink') await symlink(e.target, path);
    else await link(join(dir, e.target), path);
    if (e.type !== 'symlink' && e.type !== 'hardlink') {
      await chmod(path, e.mode);
      await chown(path, e.uid ?? 0, e.gid ?? 0);
    }
  }
}

/** A reproducible tar of `dir` (GNU format, sorted, mtime 0, numeric owners). */
async function tarOf(dir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--create', '--file=-', '--format=gnu', '--numeric-owner', '--sort=name', '--mtime=@0', `--directory=${dir}`, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    tar.stdout.on('data', (d: Buffer) => out.push(d));
    tar.stderr.on('data', (d: Buffer) => (err += d.toString()));
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`tar: ${err.trim()}`))));
  });
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

interface Blob {
  mediaType: string;
  digest: string;
  size: number;
}

async function putBlob(layoutDir: string, mediaType: string, data: Buffer | string): Promise<Blob> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const digest = sha256(buf);
  await writeFile(join(layoutDir, 'blobs', 'sha256', digest.slice(7)), buf);
  return { mediaType, digest, size: buf.length };
}

async function putImage(layoutDir: string, architecture: string, layers: { tar: Buffer; compression: 'gzip' | 'zstd' | 'none' }[], runtime: Record<string, unknown>): Promise<{ manifest: Blob; config: Blob; diffIds: string[] }> {
  const diffIds = layers.map((l) => sha256(l.tar));
  const layerBlobs: Blob[] = [];
  for (const l of layers) {
    if (l.compression === 'gzip') layerBlobs.push(await putBlob(layoutDir, 'application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(l.tar)));
    else if (l.compression === 'zstd') layerBlobs.push(await putBlob(layoutDir, 'application/vnd.oci.image.layer.v1.tar+zstd', zstdCompressSync(l.tar)));
    else layerBlobs.push(await putBlob(layoutDir, 'application/vnd.oci.image.layer.v1.tar', l.tar));
  }
  const config = await putBlob(
    layoutDir,
    'application/vnd.oci.image.config.v1+json',
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      architecture,
      os: 'linux',
      config: runtime,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `pier test layer ${i + 1}` })),
    }),
  );
  const manifest = await putBlob(
    layoutDir,
    'application/vnd.oci.image.manifest.v1+json',
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: layerBlobs }),
  );
  return { manifest, config, diffIds };
}

/** Writes the image as an OCI layout in `dir/layout` (scratch in `dir/stage`, removed after). */
export async function buildBusyboxImage(dir: string, options: BusyboxImageOptions = {}): Promise<BusyboxImage> {
  const busybox = requireBusyboxStatic();
  const tag = options.tag ?? '1.0';
  const name = options.name ?? 'docker.io/pier/busybox';
  const layoutDir = join(dir, 'layout');
  const stageDir = join(dir, 'stage');
  await mkdir(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  try {
    const { stdout } = await execFileAsync(busybox, ['--list']);
    const applets = stdout.split('\n').filter((a) => a !== '' && a !== 'busybox' && a !== 'sh' && /^[a-z0-9_.[-]+$/.test(a));
    const base: Entry[] = [
      { path: 'bin', type: 'dir', mode: 0o755 },
      { path: 'bin/busybox', type: 'copy', from: busybox, mode: 0o755 },
      { path: 'bin/sh', type: 'hardlink', target: 'bin/busybox', mode: 0o755 },
      ...applets.map((a): Entry => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox', mode: 0o777 })),
      { path: 'etc', type: 'dir', mode: 0o755 },
      { path: 'etc/passwd', type: 'file', mode: 0o644, content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
      { path: 'etc/group', type: 'file', mode: 0o644, content: 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' },
      { path: 'etc/shadow', type: 'file', mode: 0o600, content: 'root:*:19000:0:99999:7:::\n' },
      { path: 'etc/doomed', type: 'file', mode: 0o644, content: 'removed by a whiteout in layer 2\n' },
      { path: 'opt/replaced/old-1', type: 'file', mode: 0o644, content: 'old 1\n' },
      { path: 'opt/replaced/old-2', type: 'file', mode: 0o644, content: 'old 2\n' },
      { path: 'opt/replaced/sub/old-3', type: 'file', mode: 0o644, content: 'old 3\n' },
      { path: 'opt/kept/file', type: 'file', mode: 0o644, content: 'kept\n' },
      { path: 'tmp', type: 'dir', mode: 0o1777 },
      { path: 'root', type: 'dir', mode: 0o700 },
      { path: 'proc', type: 'dir', mode: 0o755 },
      { path: 'sys', type: 'dir', mode: 0o755 },
      { path: 'dev', type: 'dir', mode: 0o755 },
    ];
    const changes: Entry[] = [
      { path: 'etc', type: 'dir', mode: 0o755 },
      { path: 'etc/.wh.doomed', type: 'file', mode: 0o644, content: '' },
      { path: 'opt/replaced', type: 'dir', mode: 0o755 },
      { path: 'opt/replaced/.wh..wh..opq', type: 'file', mode: 0o644, content: '' },
      { path: 'opt/replaced/new', type: 'file', mode: 0o644, content: 'new\n' },
      { path: 'home', type: 'dir', mode: 0o755 },
      { path: 'home/app', type: 'dir', mode: 0o750, uid: 1000, gid: 1000 },
      { path: 'home/app/hello.txt', type: 'file', mode: 0o640, uid: 1000, gid: 1000, content: 'hello from layer 2\n' },
    ];
    const release: Entry[] = [{ path: 'etc/pier-release', type: 'file', mode: 0o644, content: 'pier busybox test image\n' }];
    await stage(join(stageDir, '1'), base);
    await stage(join(stageDir, '2'), changes);
    await stage(join(stageDir, '3'), release);
    await chmod(join(stageDir, '3', 'etc'), 0o755);
    const config = {
      Entrypoint: options.entrypoint ?? ['/bin/busybox'],
      Cmd: options.cmd ?? ['sh'],
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PIER_IMAGE=busybox'],
      WorkingDir: '/home/app',
    };
    const amd64 = await putImage(
      layoutDir,
      'amd64',
      [
        { tar: await tarOf(join(stageDir, '1')), compression: 'gzip' },
        { tar: await tarOf(join(stageDir, '2')), compression: 'zstd' },
        { tar: await tarOf(join(stageDir, '3')), compression: 'none' },
      ],
      { ...config, Labels: { 'org.opencontainers.image.title': 'pier busybox' }, StopSignal: 'SIGTERM' },
    );
    let target: Blob = amd64.manifest;
    let otherPlatformImageId: string | undefined;
    if (options.multiPlatform) {
      await stage(join(stageDir, 'arm64'), [{ path: 'arch', type: 'file', mode: 0o644, content: 'arm64\n' }]);
      const arm64 = await putImage(layoutDir, 'arm64', [{ tar: await tarOf(join(stageDir, 'arm64')), compression: 'none' }], { Cmd: ['sh'] });
      otherPlatformImageId = arm64.config.digest;
      target = await putBlob(
        layoutDir,
        'application/vnd.oci.image.index.v1+json',
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            { ...arm64.manifest, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
            { ...amd64.manifest, platform: { architecture: 'amd64', os: 'linux' } },
          ],
        }),
      );
    }
    await writeFile(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      join(layoutDir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ ...target, annotations: { 'org.opencontainers.image.ref.name': tag, 'io.containerd.image.name': `${name}:${tag}` } }],
      }),
    );
    const image: BusyboxImage = {
      layoutDir,
      tag,
      reference: `${name}:${tag}`,
      imageId: amd64.config.digest,
      manifestDigest: amd64.manifest.digest,
      targetDigest: target.digest,
      diffIds: amd64.diffIds,
      config,
    };
    if (otherPlatformImageId !== undefined) image.otherPlatformImageId = otherPlatformImageId;
    return image;
  } finally {
    await rm(stageDir, { recursive: true, force: true });
  }
}

/** Tars an OCI layout directory (what `skopeo copy … oci-archive:` or `docker save` on Docker 25+ produce). */
export async function writeOciArchive(layoutDir: string, file: string): Promise<void> {
  await execFileAsync('tar', ['--create', `--file=${file}`, `--directory=${layoutDir}`, '.']);
}

/**
 * Writes the layout's linux/amd64 image as `docker save` does (Docker < 25):
 * `<config hex>.json`, `<layer id>/layer.tar` (uncompressed), `manifest.json`
 * with Config/RepoTags/Layers, and the legacy `repositories` file. Written
 * here rather than by skopeo, which refuses zstd layers in Docker formats.
 */
export async function writeDockerSaveArchive(image: BusyboxImage, file: string, repoTag: string): Promise<void> {
  const dir = `${file}.d`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const manifest = JSON.parse((await readLayoutBlob(image.layoutDir, image.manifestDigest)).toString()) as { config: Blob; layers: Blob[] };
    const configHex = manifest.config.digest.slice(7);
    await writeFile(join(dir, `${configHex}.json`), await readLayoutBlob(image.layoutDir, manifest.config.digest));
    const layerNames: string[] = [];
    for (const layer of manifest.layers) {
      const blob = await readLayoutBlob(image.layoutDir, layer.digest);
      const tar = layer.mediaType.endsWith('+gzip') ? gunzipSync(blob) : layer.mediaType.endsWith('+zstd') ? zstdDecompressSync(blob) : blob;
      const id = sha256(tar).slice(7);
      await mkdir(join(dir, id));
      await writeFile(join(dir, id, 'layer.tar'), tar);
      await writeFile(join(dir, id, 'VERSION'), '1.0');
      layerNames.push(`${id}/layer.tar`);
    }
    await writeFile(join(dir, 'manifest.json'), JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [repoTag], Layers: layerNames }]));
    const colon = repoTag.lastIndexOf(':');
    await writeFile(join(dir, 'repositories'), JSON.stringify({ [repoTag.slice(0, colon)]: { [repoTag.slice(colon + 1)]: layerNames.at(-1)!.split('/')[0] } }));
    await execFileAsync('tar', ['--create', `--file=${file}`, `--directory=${dir}`, '.']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runSkopeo(args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('apt-get install skopeo') : e));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}

/** The bytes of a blob in a layout (tests tamper with copies of them). */
export async function readLayoutBlob(layoutDir: string, digest: string): Promise<Buffer> {
  return readFile(join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
}
