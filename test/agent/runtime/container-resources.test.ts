import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { controllerDir } from '../../../agent/runtime/cgroups.ts';
import { eventually, startRuntimeFixture, type RuntimeFixture } from './runtime-fixture.ts';

let fx: RuntimeFixture;
before(async () => {
  fx = await startRuntimeFixture();
});
after(async () => {
  await fx?.teardown();
});

test('cpu, memory and pids limits land in the container cgroup (of the version runc drives)', async (t) => {
  const sandboxConfig = fx.sandboxConfig('limits');
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  t.after(() => fx.runtime.removePodSandbox(sandboxId));
  const id = await fx.runtime.createContainer(
    sandboxId,
    fx.containerConfig('limited', ['sleep', '300'], {
      linux: { resources: { cpuPeriod: 100000, cpuQuota: 50000, cpuShares: 512, memoryLimitInBytes: 64 * 1024 * 1024, pidsLimit: 42 } },
    }),
    sandboxConfig,
  );
  await fx.runtime.startContainer(id);
  const info = JSON.parse((await fx.runtime.containerStatus(id, true)).info.info ?? '{}') as { cgroupsPath: string; pid: number };
  assert.equal(info.cgroupsPath, `${fx.cgroupParent}/pod${sandboxConfig.metadata.uid}/${id}`);
  const version = await fx.runtime.cgroupVersion();
  const read = async (controller: string, v1: string, v2: string) =>
    (await readFile(join(await controllerDir(info.cgroupsPath, controller), version === 'v2' ? v2 : v1), 'utf8')).trim();
  if (version === 'v1') {
    assert.equal(await read('cpu', 'cpu.cfs_quota_us', ''), '50000');
    assert.equal(await read('cpu', 'cpu.cfs_period_us', ''), '100000');
    assert.equal(await read('cpu', 'cpu.shares', ''), '512');
    assert.equal(await read('memory', 'memory.limit_in_bytes', ''), String(64 * 1024 * 1024));
  } else {
    assert.equal(await read('cpu', '', 'cpu.max'), '50000 100000');
    assert.equal(await read('memory', '', 'memory.max'), String(64 * 1024 * 1024));
  }
  assert.equal(await read('pids', 'pids.max', 'pids.max'), '42');
  const procs = await read('pids', 'cgroup.procs', 'cgroup.procs');
  assert.ok(procs.split('\n').includes(String(info.pid)), `pid ${info.pid} in ${procs}`);
});

test('a container over its memory limit is OOMKilled', async (t) => {
  const sandboxConfig = fx.sandboxConfig('oom');
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  t.after(() => fx.runtime.removePodSandbox(sandboxId));
  // busybox `tail /dev/zero` buffers a never-ending line in memory.
  const id = await fx.runtime.createContainer(
    sandboxId,
    fx.containerConfig('hog', ['sh', '-c', 'tail /dev/zero'], { linux: { resources: { memoryLimitInBytes: 16 * 1024 * 1024 } } }),
    sandboxConfig,
  );
  await fx.runtime.startContainer(id);
  const status = await eventually(async () => {
    const s = (await fx.runtime.containerStatus(id)).status;
    return s.state === 'CONTAINER_EXITED' ? s : undefined;
  }, 'the hog to be killed', 120000);
  assert.equal(status.reason, 'OOMKilled');
  assert.equal(status.exitCode, 137);
});
