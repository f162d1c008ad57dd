import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { eventually, processesUnder, readLog, startRuntimeFixture, type RuntimeFixture } from './runtime-fixture.ts';

let fx: RuntimeFixture;
before(async () => {
  fx = await startRuntimeFixture();
});
after(async () => {
  await fx?.teardown();
});

async function runToExit(sandboxId: string, name: string, command: string[], extra = {}) {
  const sandboxConfig = fx.sandboxConfig('lifecycle');
  const id = await fx.runtime.createContainer(sandboxId, fx.containerConfig(name, command, extra), sandboxConfig);
  await fx.runtime.startContainer(id);
  const status = await eventually(async () => {
    const s = (await fx.runtime.containerStatus(id)).status;
    return s.state === 'CONTAINER_EXITED' ? s : undefined;
  }, `${name} to exit`);
  return { id, status };
}

test('sandbox and container lifecycle, CRI logs, exit codes and reasons, and removal leaves nothing', async (t) => {
  const sandboxConfig = fx.sandboxConfig('lifecycle');
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  t.after(() => fx.runtime.removePodSandbox(sandboxId));
  const sandbox = await fx.runtime.podSandboxStatus(sandboxId);
  assert.equal(sandbox.status.state, 'SANDBOX_READY');
  assert.match(sandbox.status.network?.ip ?? '', /^10\.253\./);
  assert.deepEqual((await fx.runtime.listPodSandbox({ labelSelector: { app: 'lifecycle' } })).map((s) => s.id), [sandboxId]);
  assert.deepEqual(await fx.runtime.listPodSandbox({ labelSelector: { app: 'other' } }), []);

  // A container that writes to both streams then fails.
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const failing = await runToExit(sandboxId, 'failing', ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
  assert.equal(failing.status.exitCode, 3);
  assert.equal(failing.status.reason, 'Error');
  assert.ok(failing.status.startedAt >= t0 && failing.status.finishedAt >= failing.status.startedAt, 'timestamps in ns, in order');
  assert.equal(failing.status.logPath, `${sandboxConfig.logDirectory}/failing/0.log`);
  const log = await readLog(failing.status.logPath);
  const lines = log.trim().split('\n');
  assert.equal(lines.length, 2, log);
  for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) [FP] /);
  assert.ok(lines.some((l) => / stdout F to-out$/.test(l)), log);
  assert.ok(lines.some((l) => / stderr F to-err$/.test(l)), log);

  const ok = await runToExit(sandboxId, 'succeeding', ['true']);
  assert.equal(ok.status.exitCode, 0);
  assert.equal(ok.status.reason, 'Completed');

  // env, args (image Entrypoint/Cmd merging), workingDir, user and hostname.
  fx.images.addImage('example.com/entry:1', { Entrypoint: ['sh', '-c'], Cmd: ['echo from-image-cmd'], Env: ['FROM_IMAGE=yes', 'OVERRIDE=image'], WorkingDir: '/tmp', User: 'app' });
  const probe = await runToExit(sandboxId, 'probe', [], {
    image: { image: 'example.com/entry:1' },
    args: ['echo "$FROM_IMAGE $OVERRIDE $EXTRA" && pwd && id -u && id -g && hostname && grep lifecycle /etc/hosts'],
    envs: [{ key: 'OVERRIDE', value: 'config' }, { key: 'EXTRA', value: 'x y' }],
    workingDir: '/home/app',
  });
  const probeLog = (await readLog(probe.status.logPath)).trim().split('\n').map((l) => l.split(' ').slice(3).join(' '));
  assert.deepEqual(probeLog.slice(0, 5), ['yes config x y', '/home/app', '1000', '1000', 'lifecycle'], probeLog.join('\n'));
  assert.match(probeLog[5] ?? '', /^10\.253\.\S+\s+lifecycle$/);

  const asUser = await runToExit(sandboxId, 'as-user', ['sh', '-c', 'echo $(id -u):$(id -g)'], {
    linux: { securityContext: { runAsUser: { value: 4242 }, runAsGroup: { value: 4343 } } },
  });
  assert.match(await readLog(asUser.status.logPath), / stdout F 4242:4343\n$/);

  // A read-only rootfs refuses writes (but /tmp-less writes to mounts still work).
  const ro = await runToExit(sandboxId, 'readonly', ['sh', '-c', 'touch /newfile && echo wrote; echo nope >&2; exit 7'], {
    linux: { securityContext: { readonlyRootfs: true } },
  });
  assert.equal(ro.status.exitCode, 7);
  assert.match(await readLog(ro.status.logPath), /Read-only file system/);

  // Listing with filters.
  const all = await fx.runtime.listContainers({ podSandboxId: sandboxId });
  assert.equal(all.length, 5);
  assert.deepEqual((await fx.runtime.listContainers({ labelSelector: { container: 'failing' } })).map((c) => c.id), [failing.id]);
  assert.equal((await fx.runtime.listContainers({ state: { state: 'CONTAINER_EXITED' } })).length, 5);
  assert.deepEqual((await fx.runtime.listContainers({ id: failing.id.slice(0, 12) })).map((c) => c.id), [failing.id]);

  // A created-but-not-started container, then a running one.
  const created = await fx.runtime.createContainer(sandboxId, fx.containerConfig('created', ['sleep', '300']), sandboxConfig);
  assert.equal((await fx.runtime.containerStatus(created)).status.state, 'CONTAINER_CREATED');
  await assert.rejects(fx.runtime.createContainer(sandboxId, fx.containerConfig('created', ['true']), sandboxConfig), { code: 'AlreadyExists' });
  await fx.runtime.startContainer(created);
  assert.equal((await fx.runtime.containerStatus(created)).status.state, 'CONTAINER_RUNNING');
  assert.ok((await processesUnder(fx.cgroupParent)).length > 0, 'the container runs in the pod cgroup');

  await fx.runtime.stopPodSandbox(sandboxId);
  assert.equal((await fx.runtime.podSandboxStatus(sandboxId)).status.state, 'SANDBOX_NOTREADY');
  const stopped = (await fx.runtime.containerStatus(created)).status;
  assert.equal(stopped.state, 'CONTAINER_EXITED');
  assert.equal(stopped.exitCode, 137);

  await fx.runtime.removePodSandbox(sandboxId);
  await fx.runtime.removePodSandbox(sandboxId); // idempotent
  await fx.runtime.stopContainer(created, 0); // gone: still OK
  await fx.runtime.removeContainer(created);
  assert.deepEqual(await fx.runtime.listPodSandbox(), []);
  assert.deepEqual(await fx.runtime.listContainers(), []);
  assert.deepEqual(await fx.leftovers(), []);
  assert.deepEqual(await eventually(async () => ((await processesUnder(fx.cgroupParent)).length === 0 ? [] : undefined), 'no processes'), []);
  await assert.rejects(fx.runtime.containerStatus(created), { code: 'NotFound' });
  assert.equal(await readFile(`${fx.rootDir}/state/containers/${created}/container.json`, 'utf8').catch(() => 'gone'), 'gone');
});

test('privileged containers are refused unless allowed, and a missing image is NotFound', async () => {
  const sandboxConfig = fx.sandboxConfig('refusals');
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  try {
    await assert.rejects(
      fx.runtime.createContainer(sandboxId, fx.containerConfig('priv', ['true'], { linux: { securityContext: { privileged: true } } }), sandboxConfig),
      { code: 'PermissionDenied' },
    );
    await assert.rejects(
      fx.runtime.createContainer(sandboxId, fx.containerConfig('noimage', ['true'], { image: { image: 'nope:1' } }), sandboxConfig),
      { code: 'NotFound' },
    );
    assert.deepEqual(await fx.runtime.listContainers({ podSandboxId: sandboxId }), []);
  } finally {
    await fx.runtime.removePodSandbox(sandboxId);
  }
  assert.deepEqual(await fx.leftovers(), []);
});
