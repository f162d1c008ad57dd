import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, readlink, rm, stat, writeFile, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { atomicWritePayload, checkHostPathType, VolumeManager, volumePayload } from '../../../agent/kubelet/volumes.ts';
import type { Pod } from '../../../agent/kubelet/pod-types.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-volumes-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const payloadOf = (entries: Record<string, string>, mode = 0o644) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { content: Buffer.from(v), mode }]));

test('the atomic writer swaps ..data and keeps one symlink per top-level name', async () => {
  const vol = join(dir, 'atomic');
  await atomicWritePayload(vol, payloadOf({ a: '1', 'sub/b': '2' }));
  assert.equal(await readFile(join(vol, 'a'), 'utf8'), '1');
  assert.equal(await readFile(join(vol, 'sub/b'), 'utf8'), '2');
  assert.equal(await readlink(join(vol, 'a')), '..data/a');
  const first = await readlink(join(vol, '..data'));
  // Unchanged content: nothing is rewritten.
  await atomicWritePayload(vol, payloadOf({ a: '1', 'sub/b': '2' }));
  assert.equal(await readlink(join(vol, '..data')), first);
  // Changed: a new data dir, the old one and removed names gone.
  await atomicWritePayload(vol, payloadOf({ a: 'changed' }));
  assert.notEqual(await readlink(join(vol, '..data')), first);
  assert.equal(await readFile(join(vol, 'a'), 'utf8'), 'changed');
  const names = (await readdir(vol)).sort();
  assert.equal(names.length, 3, names.join(' '));
  assert.deepEqual(names.filter((n) => !n.startsWith('..20')), ['..data', 'a']);
});

test('payload: all keys or items with modes; missing keys are errors unless optional', () => {
  const data = { k1: Buffer.from('v1'), k2: Buffer.from('v2') };
  assert.deepEqual([...volumePayload(data, undefined, 0o644, false, 'configmap').keys()], ['k1', 'k2']);
  const items = volumePayload(data, [{ key: 'k2', path: 'dir/file', mode: 0o400 }], 0o644, false, 'configmap');
  assert.deepEqual([...items], [['dir/file', { content: Buffer.from('v2'), mode: 0o400 }]]);
  assert.throws(() => volumePayload(data, [{ key: 'nope', path: 'x' }], 0o644, false, 'configmap'), /configmap references non-existent config key: nope/);
  assert.deepEqual([...volumePayload(data, [{ key: 'nope', path: 'x' }], 0o644, true, 'secret')], []);
  assert.throws(() => volumePayload(data, [{ key: 'k1', path: '../escape' }], 0o644, false, 'configmap'), /invalid path/);
});

test('hostPath type checks', async () => {
  const created = join(dir, 'made/by/hostpath');
  await checkHostPathType(created, 'DirectoryOrCreate');
  assert.ok((await stat(created)).isDirectory());
  await assert.rejects(checkHostPathType(join(dir, 'absent'), 'Directory'), /hostPath type check failed: .* is not a directory/);
  const file = join(dir, 'a-file');
  await checkHostPathType(file, 'FileOrCreate');
  assert.ok((await stat(file)).isFile());
  await assert.rejects(checkHostPathType(file, 'Directory'), /is not a directory/);
  await assert.rejects(checkHostPathType(created, 'File'), /is not a file/);
  await assert.rejects(checkHostPathType(file, 'Socket'), /is not a socket file/);
  await checkHostPathType(join(dir, 'anything'), '');
});

test('container mounts: configMap volumes read-only, subPath inside the volume, escapes refused', async () => {
  const configs = {
    getConfigMap: async () => ({ metadata: { name: 'cm' }, data: { 'app.conf': 'x' } }),
    getSecret: async () => undefined,
  };
  const vm = new VolumeManager({ podsDir: join(dir, 'pods'), configs });
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' },
    spec: {
      containers: [],
      volumes: [
        { name: 'cm', configMap: { name: 'cm' } },
        { name: 'scratch', emptyDir: {} },
      ],
    },
  };
  const paths = await vm.setUpPodVolumes(pod);
  assert.equal(paths.get('cm'), join(dir, 'pods/uid-1/volumes/kubernetes.io~configmap/cm'));
  assert.equal(paths.get('scratch'), join(dir, 'pods/uid-1/volumes/kubernetes.io~empty-dir/scratch'));
  const mounts = await vm.containerMounts(
    pod,
    {
      name: 'c',
      image: 'i',
      volumeMounts: [
        { name: 'cm', mountPath: '/etc/cm' },
        { name: 'cm', mountPath: '/etc/app.conf', subPath: 'app.conf' },
        { name: 'scratch', mountPath: '/data', subPath: 'made/here' },
        { name: 'scratch', mountPath: '/ro', readOnly: true },
      ],
    },
    paths,
  );
  assert.deepEqual(mounts.map((m) => [m.containerPath, m.readonly]), [['/etc/cm', true], ['/etc/app.conf', true], ['/data', false], ['/ro', true]]);
  assert.equal(await readFile(mounts[1]!.hostPath, 'utf8'), 'x');
  assert.ok((await stat(mounts[2]!.hostPath)).isDirectory(), 'a missing subPath in an emptyDir is created');
  await assert.rejects(vm.containerMounts(pod, { name: 'c', image: 'i', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '../..' }] }, paths), /invalid subPath/);
  await mkdir(join(paths.get('scratch')!, 'trap'), { recursive: true });
  await symlink('/etc', join(paths.get('scratch')!, 'trap/out'));
  await assert.rejects(vm.containerMounts(pod, { name: 'c', image: 'i', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: 'trap/out' }] }, paths), /leads outside volume/);
  await assert.rejects(vm.containerMounts(pod, { name: 'c', image: 'i', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, paths), /cannot find volume "nope"/);
  await writeFile(join(dir, 'unused'), '');
  await vm.tearDownPod('uid-1');
  assert.deepEqual(await vm.podUids(), []);
});
