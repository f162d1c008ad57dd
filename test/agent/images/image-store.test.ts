/**
 * The image store against real archives of a real busybox image: import,
 * unpacked layers (whiteouts, opaque dirs, owners, modes, links), overlay
 * rootfs mounts, removal and garbage collection. Needs root (mknod, chown,
 * trusted xattrs, mount).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError } from '../../../agent/cri/errors.ts';
import { digestHex } from '../../../agent/images/digest.ts';
import { ImageStore } from '../../../agent/images/image-store.ts';
import { buildBusyboxImage, writeDockerSaveArchive, writeOciArchive, type BusyboxImage } from '../../support/busybox-image.ts';

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the image store tests need root (mknod, chown, trusted xattrs, mount): run them as root');
  for (const [tool, pkg] of [['setfattr', 'attr'], ['getfattr', 'attr'], ['mount', 'mount'], ['tar', 'tar']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`apt-get install ${pkg}`);
  }
}

function getfattr(path: string, name: string): string | undefined {
  const r = spawnSync('getfattr', ['--only-values', `--name=${name}`, path], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

describe('ImageStore (archives, layers, snapshots)', () => {
  let dir: string;
  let image: BusyboxImage;
  let ociArchive: string;
  let dockerArchive: string;
  const mounts: string[] = [];

  before(async () => {
    requireRoot();
    dir = await mkdtemp(join(tmpdir(), `pier-images-${process.pid}-`));
    image = await buildBusyboxImage(join(dir, 'image'));
    ociArchive = join(dir, 'busybox-oci.tar');
    dockerArchive = join(dir, 'busybox-docker.tar');
    await writeOciArchive(image.layoutDir, ociArchive);
    await writeDockerSaveArchive(image, dockerArchive, 'pier/busybox:saved');
  });

  after(async () => {
    for (const m of mounts.reverse()) spawnSync('umount', ['--lazy', m]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('imports an OCI layout tarball under its name, with the runtime config', async () => {
    const store = new ImageStore({ rootDir: join(dir, 'oci') });
    const imported = await store.importImageArchive(ociArchive);
    assert.deepEqual(imported, [{ id: image.imageId, repoTags: ['docker.io/pier/busybox:1.0'] }]);
    for (const name of ['pier/busybox:1.0', 'docker.io/pier/busybox:1.0', image.imageId, digestHex(image.imageId), `pier/busybox@${image.manifestDigest}`]) {
      const found = await store.resolve(name);
      assert.equal(found?.id, image.imageId, name);
    }
    assert.equal(await store.resolve('pier/busybox'), undefined, 'latest was never imported');
    assert.equal(await store.resolve('busybox:1.0'), undefined);
    const local = await store.resolve('pier/busybox:1.0');
    assert.deepEqual(local?.repoDigests, [`docker.io/pier/busybox@${image.manifestDigest}`]);
    assert.deepEqual(local?.config.Entrypoint, ['/bin/busybox']);
    assert.deepEqual(local?.config.Cmd, ['sh']);
    assert.equal(local?.config.WorkingDir, '/home/app');
    assert.ok(local?.config.Env?.includes('PIER_IMAGE=busybox'));
    assert.equal(local?.config.StopSignal, 'SIGTERM');
    assert.ok(local!.size > 500_000 && local!.size < 3_000_000, `size ${local?.size}`);
  });

  it('unpacks each layer once, converting whiteouts and keeping owners, modes and links', async () => {
    const root = join(dir, 'oci');
    const store = new ImageStore({ rootDir: root });
    const layersDir = join(root, 'images', 'layers');
    const layerDirs = (await readdir(layersDir)).filter((n) => !n.startsWith('.'));
    assert.equal(layerDirs.length, 3);
    const mount = await store.prepareRootfs(`pier-images-${process.pid}-probe`, image.imageId);
    const lower = mount.options.find((o) => o.startsWith('lowerdir='))!.slice('lowerdir='.length).split(':');
    assert.equal(lower.length, 3);
    const [top, middle, base] = lower as [string, string, string];
    for (const [i, l] of [base, middle, top].entries()) assert.equal((await readFile(join(l, '..', 'diffid'), 'utf8')).trim(), image.diffIds[i]);

    const busybox = await stat(join(base, 'bin/busybox'));
    assert.equal(busybox.mode & 0o7777, 0o755);
    assert.equal((await stat(join(base, 'bin/sh'))).ino, busybox.ino, 'bin/sh is a hardlink to bin/busybox');
    assert.ok((await lstat(join(base, 'bin/ls'))).isSymbolicLink());
    assert.equal((await stat(join(base, 'tmp'))).mode & 0o7777, 0o1777);
    assert.equal((await stat(join(base, 'root'))).mode & 0o7777, 0o700);
    assert.equal((await stat(join(base, 'etc/shadow'))).mode & 0o7777, 0o600);
    assert.ok((await stat(join(base, 'etc/doomed'))).isFile());

    const doomed = await lstat(join(middle, 'etc/doomed'));
    assert.ok(doomed.isCharacterDevice(), 'etc/.wh.doomed became a character device');
    assert.equal(doomed.rdev, 0);
    assert.equal(getfattr(join(middle, 'opt/replaced'), 'trusted.overlay.opaque'), 'y');
    assert.equal(getfattr(join(base, 'opt/replaced'), 'trusted.overlay.opaque'), undefined);
    const home = await stat(join(middle, 'home/app'));
    assert.deepEqual([home.uid, home.gid, home.mode & 0o7777], [1000, 1000, 0o750]);
    const hello = await stat(join(middle, 'home/app/hello.txt'));
    assert.deepEqual([hello.uid, hello.gid, hello.mode & 0o7777], [1000, 1000, 0o640]);
    const leftovers = execFileSync('find', [layersDir, '-name', '.wh.*'], { encoding: 'utf8' });
    assert.equal(leftovers, '', 'no AUFS whiteout file is left');
    assert.ok((await stat(join(top, 'etc/pier-release'))).isFile());
    await store.removeRootfs(`pier-images-${process.pid}-probe`);
  });

  it('imports a docker save tarball as the same image ID, adding its name', async () => {
    const store = new ImageStore({ rootDir: join(dir, 'oci') });
    const imported = await store.importImageArchive(dockerArchive);
    assert.deepEqual(imported, [{ id: image.imageId, repoTags: ['docker.io/pier/busybox:saved'] }]);
    assert.equal((await store.listImages()).length, 1);
    assert.deepEqual((await store.resolve('pier/busybox:saved'))?.repoTags.sort(), ['docker.io/pier/busybox:1.0', 'docker.io/pier/busybox:saved']);
    assert.equal((await readdir(join(dir, 'oci', 'images', 'layers'))).length, 3, 'no layer unpacked twice');

    const fresh = new ImageStore({ rootDir: join(dir, 'docker') });
    const [only] = await fresh.importImageArchive(dockerArchive);
    assert.equal(only?.id, image.imageId);
    const status = await fresh.imageStatus({ image: 'pier/busybox:saved' });
    assert.equal(status.image?.id, image.imageId);
    assert.deepEqual(status.image?.repoDigests, [], 'docker save carries no registry digest');
  });

  it('mounts overlay rootfs: the image files show, writes go to upper only, two containers share the layers', async () => {
    const store = new ImageStore({ rootDir: join(dir, 'oci') });
    const layersBefore = (await readdir(join(dir, 'oci', 'images', 'layers'))).sort();
    const keys = [`pier-images-${process.pid}-c1`, `pier-images-${process.pid}-c2`];
    const targets: string[] = [];
    const specs = [];
    for (const key of keys) {
      const spec = await store.prepareRootfs(key, image.imageId);
      assert.deepEqual(await store.prepareRootfs(key, image.imageId), spec, 'prepareRootfs is idempotent');
      assert.equal(spec.type, 'overlay');
      const target = join(dir, 'mnt', key);
      await mkdir(target, { recursive: true });
      execFileSync('mount', ['-t', spec.type, spec.source, '-o', spec.options.join(','), target]);
      mounts.push(target);
      targets.push(target);
      specs.push(spec);
    }
    const lowerOf = (s: { options: string[] }) => s.options.find((o) => o.startsWith('lowerdir='));
    assert.equal(lowerOf(specs[0]!), lowerOf(specs[1]!), 'both containers use the same layer directories');
    assert.deepEqual((await readdir(join(dir, 'oci', 'images', 'layers'))).sort(), layersBefore);

    const [m1, m2] = targets as [string, string];
    assert.equal(await readFile(join(m1, 'etc/pier-release'), 'utf8'), 'pier busybox test image\n');
    assert.equal(await readFile(join(m1, 'home/app/hello.txt'), 'utf8'), 'hello from layer 2\n');
    assert.equal(await readFile(join(m1, 'opt/kept/file'), 'utf8'), 'kept\n');
    await assert.rejects(stat(join(m1, 'etc/doomed')), { code: 'ENOENT' });
    assert.deepEqual((await readdir(join(m1, 'opt/replaced'))).sort(), ['new'], 'the opaque dir hides the lower entries');
    assert.equal(execFileSync('chroot', [m1, '/bin/sh', '-c', 'cat /etc/pier-release; ls /bin | grep -c .'], { encoding: 'utf8' }).split('\n')[0], 'pier busybox test image');

    await writeFile(join(m1, 'etc/new-file'), 'written by c1\n');
    await writeFile(join(m1, 'etc/passwd'), 'changed\n');
    await rm(join(m1, 'opt/kept/file'));
    const upper1 = join(dir, 'oci', 'images', 'snapshots', keys[0]!, 'upper');
    assert.equal(await readFile(join(upper1, 'etc/new-file'), 'utf8'), 'written by c1\n');
    assert.equal(await readFile(join(upper1, 'etc/passwd'), 'utf8'), 'changed\n');
    assert.ok((await lstat(join(upper1, 'opt/kept/file'))).isCharacterDevice(), 'a delete is a whiteout in upper');
    await assert.rejects(stat(join(m2, 'etc/new-file')), { code: 'ENOENT' });
    assert.match(await readFile(join(m2, 'etc/passwd'), 'utf8'), /^root:x:0:0/);
    assert.equal(await readFile(join(m2, 'opt/kept/file'), 'utf8'), 'kept\n');
    const lowerDirs = lowerOf(specs[0]!)!.slice('lowerdir='.length).split(':');
    for (const l of lowerDirs) await assert.rejects(stat(join(l, 'etc/new-file')), { code: 'ENOENT' });
    assert.match(await readFile(join(lowerDirs[2]!, 'etc/passwd'), 'utf8'), /^root:x:0:0/);

    await assert.rejects(store.removeImage(image.imageId), (err: unknown) => {
      assert.ok(err instanceof CriError && err.code === 'FailedPrecondition', String(err));
      assert.match(err.message, new RegExp(`in use by container snapshots ${keys[0]}, ${keys[1]}|in use by container snapshots ${keys[1]}, ${keys[0]}`));
      return true;
    });
    assert.equal((await store.resolve('pier/busybox:1.0'))?.id, image.imageId, 'a refused removal changes nothing');

    const info = await store.imageFsInfo();
    assert.ok(info.imageFilesystems[0]!.usedBytes > 2_000_000, `image bytes ${info.imageFilesystems[0]!.usedBytes}`);
    assert.ok(info.imageFilesystems[0]!.inodesUsed > 300, `image inodes ${info.imageFilesystems[0]!.inodesUsed}`);
    assert.ok(info.containerFilesystems[0]!.usedBytes > 0);
    assert.ok(info.containerFilesystems[0]!.inodesUsed >= 10);

    for (const target of targets) {
      execFileSync('umount', [target]);
      mounts.splice(mounts.indexOf(target), 1);
    }
    for (const key of keys) {
      await store.removeRootfs(key);
      await store.removeRootfs(key);
    }
    assert.deepEqual(await readdir(join(dir, 'oci', 'images', 'snapshots')), []);
  });

  it('removes an image with all its names, and its blobs and layers; removing again succeeds', async () => {
    const store = new ImageStore({ rootDir: join(dir, 'oci') });
    await store.removeImage({ image: 'pier/busybox:saved' });
    assert.equal(await store.resolve('pier/busybox:1.0'), undefined);
    assert.deepEqual(await store.listImages(), []);
    assert.deepEqual(await readdir(join(dir, 'oci', 'images', 'blobs', 'sha256')), []);
    assert.deepEqual(await readdir(join(dir, 'oci', 'images', 'layers')), []);
    await store.removeImage(image.imageId);
    assert.deepEqual(await store.imageStatus('pier/busybox:1.0'), { info: {} });
    await assert.rejects(store.prepareRootfs('x', image.imageId), (err: unknown) => err instanceof CriError && err.code === 'NotFound');
  });

  it('refuses a tampered OCI archive and keeps nothing of the bad blob', async () => {
    const layout = join(dir, 'tampered-layout');
    await cp(image.layoutDir, layout, { recursive: true });
    const manifest = JSON.parse(await readFile(join(layout, 'blobs/sha256', digestHex(image.manifestDigest)), 'utf8')) as { layers: { digest: string }[] };
    const victim = manifest.layers[2]!.digest;
    const path = join(layout, 'blobs/sha256', digestHex(victim));
    const bytes = await readFile(path);
    bytes[bytes.length - 2000] = bytes[bytes.length - 2000]! ^ 0xff;
    await writeFile(path, bytes);
    const archive = join(dir, 'tampered.tar');
    await writeOciArchive(layout, archive);
    const root = join(dir, 'tampered');
    const store = new ImageStore({ rootDir: root });
    await assert.rejects(store.importImageArchive(archive), new RegExp(`digest mismatch: expected ${victim}`));
    assert.equal(await store.resolve(image.imageId), undefined);
    await assert.rejects(stat(join(root, 'images/blobs/sha256', digestHex(victim))), { code: 'ENOENT' });
    assert.deepEqual(await readdir(join(root, 'images/ingest')), []);
    assert.deepEqual(await readdir(join(root, 'images/layers')), []);
    assert.deepEqual(await readdir(join(root, 'images/blobs/sha256')), [], 'verified blobs of the failed import are collected too');
  });

  it('refuses a docker save layer whose content is not the DiffID the config names', async () => {
    const work = join(dir, 'docker-tamper');
    await mkdir(work, { recursive: true });
    execFileSync('tar', ['-xf', dockerArchive, '-C', work]);
    const saved = JSON.parse(await readFile(join(work, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const layerPath = join(work, saved[0]!.Layers[2]!);
    const tar = await readFile(layerPath);
    const at = tar.indexOf('pier busybox test image');
    assert.ok(at > 0);
    tar.write('PIER', at);
    await writeFile(layerPath, tar);
    const archive = join(dir, 'docker-tampered.tar');
    execFileSync('tar', ['-cf', archive, '-C', work, '.']);
    const root = join(dir, 'docker-tampered');
    const store = new ImageStore({ rootDir: root });
    await assert.rejects(store.importImageArchive(archive), /uncompressed content\): digest mismatch: expected sha256:/);
    assert.deepEqual(await store.listImages(), []);
    // The two good layers were unpacked before the bad one; no image uses them, so they are collected, and no
    // directory for the bad layer's chain (temporary or not) remains.
    assert.deepEqual(await readdir(join(root, 'images/layers')), []);
    assert.deepEqual(await readdir(join(root, 'images/blobs/sha256')), []);
  });

  it('rejects files that are no image archive with one line', async () => {
    const store = new ImageStore({ rootDir: join(dir, 'junk') });
    const junk = join(dir, 'junk.tar');
    await writeFile(junk, 'not a tar');
    await assert.rejects(store.importImageArchive(junk), (err: Error) => /not a readable tar archive/.test(err.message) && !err.message.includes('\n'));
    await assert.rejects(store.importImageArchive(join(dir, 'missing.tar')), /missing\.tar: no such file/);
  });
});
