import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveContainerUser } from '../../../agent/runtime/container-user.ts';
import { hostsFile, resolvConf, sandboxFileMounts } from '../../../agent/runtime/sandbox-files.ts';
import { parseMountInfo } from '../../../agent/runtime/mountinfo.ts';

let rootfs: string;
before(async () => {
  rootfs = await mkdtemp(join(tmpdir(), 'pier-user-'));
  await mkdir(join(rootfs, 'etc'));
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nweb:x:33:34::/var/www:/bin/sh\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nwww:x:34:\nstaff:x:50:\n');
});
after(() => rm(rootfs, { recursive: true, force: true }));

test('user resolution: security context, image User forms, names from the rootfs', async () => {
  assert.deepEqual(await resolveContainerUser(rootfs, undefined, undefined, undefined, undefined), { uid: 0, gid: 0 });
  assert.deepEqual(await resolveContainerUser(rootfs, 'web', undefined, undefined, undefined), { uid: 33, gid: 34 });
  assert.deepEqual(await resolveContainerUser(rootfs, 'web:staff', undefined, undefined, undefined), { uid: 33, gid: 50 });
  assert.deepEqual(await resolveContainerUser(rootfs, '1234:5', undefined, undefined, undefined), { uid: 1234, gid: 5 });
  assert.deepEqual(await resolveContainerUser(rootfs, '33', undefined, undefined, undefined), { uid: 33, gid: 34 });
  assert.deepEqual(await resolveContainerUser(rootfs, 'web', 1000, undefined, undefined), { uid: 1000, gid: 0 });
  assert.deepEqual(await resolveContainerUser(rootfs, 'web', 1000, 2000, undefined), { uid: 1000, gid: 2000 });
  await assert.rejects(resolveContainerUser(rootfs, 'nobody-here', undefined, undefined, undefined), /not found/);
});

test('sandbox files', () => {
  assert.match(hostsFile('web-0', ['10.1.2.3']), /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(hostsFile('web-0', ['10.1.2.3']), /^10\.1\.2\.3\tweb-0$/m);
  assert.equal(resolvConf({ servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] }),
    'search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  const mounts = sandboxFileMounts('/s', [{ containerPath: '/etc/hosts', hostPath: '/mine' }], true);
  assert.deepEqual(mounts.map((m) => [m.containerPath, m.hostPath, m.readonly]), [
    ['/etc/hostname', '/s/hostname', true],
    ['/etc/resolv.conf', '/s/resolv.conf', true],
  ]);
});

test('mountinfo parsing unescapes paths', () => {
  const [m] = parseMountInfo('36 35 98:0 / /mnt/a\\040b rw,noatime shared:1 - overlay overlay rw,lowerdir=/l\n');
  assert.equal(m?.mountPoint, '/mnt/a b');
  assert.equal(m?.fsType, 'overlay');
});
