import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allCapabilities,
  buildContainerSpec,
  defaultCapabilities,
  defaultMaskedPaths,
  resolveCapabilities,
  type ContainerSpecInput,
} from '../../../agent/runtime/oci-spec.ts';

const base: ContainerSpecInput = {
  args: ['sh'],
  env: ['PATH=/bin'],
  cwd: '/',
  uid: 0,
  gid: 0,
  terminal: false,
  hostname: 'pod',
  rootfsPath: 'rootfs',
  readonlyRootfs: false,
  netnsPath: '/run/netns/x',
  cgroupsPath: '/pier.slice/podu/c1',
  privileged: false,
  hostCapabilities: allCapabilities,
  mounts: [],
};

test('capabilities: containerd defaults, add and drop, ALL, privileged', () => {
  assert.deepEqual(resolveCapabilities(base), [...defaultCapabilities]);
  const caps = resolveCapabilities({ ...base, capAdd: ['NET_ADMIN'], capDrop: ['cap_kill', 'CHOWN'] });
  assert.ok(caps.includes('CAP_NET_ADMIN'));
  assert.ok(!caps.includes('CAP_KILL') && !caps.includes('CAP_CHOWN'));
  assert.deepEqual(resolveCapabilities({ ...base, capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'] }), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(resolveCapabilities({ ...base, privileged: true }), [...allCapabilities]);
  // Capabilities the host kernel doesn't know are left out.
  assert.ok(!resolveCapabilities({ ...base, capAdd: ['BPF'], hostCapabilities: allCapabilities.slice(0, 38) }).includes('CAP_BPF'));
});

test('namespaces, mounts, masked paths and resources', () => {
  const spec = buildContainerSpec({
    ...base,
    readonlyRootfs: true,
    mounts: [
      { containerPath: '/data', hostPath: '/srv/data', readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      { containerPath: '/shared', hostPath: '/srv/shared', propagation: 'PROPAGATION_BIDIRECTIONAL' },
    ],
    resources: { cpuPeriod: 100000, cpuQuota: 20000, cpuShares: 256, memoryLimitInBytes: 1 << 26, pidsLimit: 10, oomScoreAdj: 500 },
  });
  assert.deepEqual(spec.linux.namespaces, [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network', path: '/run/netns/x' }]);
  assert.deepEqual(spec.root, { path: 'rootfs', readonly: true });
  assert.deepEqual(
    spec.mounts.map((m) => m.destination),
    ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/data', '/shared'],
  );
  assert.deepEqual(spec.mounts.find((m) => m.destination === '/sys')?.options, ['nosuid', 'noexec', 'nodev', 'ro']);
  assert.deepEqual(spec.mounts.find((m) => m.destination === '/data')?.options, ['rbind', 'rslave', 'ro']);
  assert.deepEqual(spec.mounts.find((m) => m.destination === '/shared')?.options, ['rbind', 'rshared', 'rw']);
  assert.deepEqual(spec.linux.maskedPaths, [...defaultMaskedPaths]);
  assert.ok(spec.linux.readonlyPaths.includes('/proc/sys'));
  assert.deepEqual(spec.linux.resources.cpu, { shares: 256, quota: 20000, period: 100000 });
  assert.deepEqual(spec.linux.resources.memory, { limit: 1 << 26, swap: 1 << 26 });
  assert.deepEqual(spec.linux.resources.pids, { limit: 10 });
  assert.deepEqual(spec.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
  assert.equal(spec.process.oomScoreAdj, 500);
  assert.equal(spec.linux.cgroupsPath, '/pier.slice/podu/c1');
});

test('host network: no network namespace and the host /sys; privileged: nothing masked, devices allowed', () => {
  const spec = buildContainerSpec({ ...base, netnsPath: undefined, privileged: true });
  assert.ok(!spec.linux.namespaces.some((n) => n.type === 'network'));
  assert.equal(spec.mounts.find((m) => m.destination === '/sys')?.type, 'bind');
  assert.deepEqual(spec.linux.maskedPaths, []);
  assert.deepEqual(spec.linux.readonlyPaths, []);
  assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
});
