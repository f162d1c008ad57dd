import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startRuntimeFixture, type RuntimeFixture } from './runtime-fixture.ts';

let fx: RuntimeFixture;
before(async () => {
  fx = await startRuntimeFixture();
});
after(async () => {
  await fx?.teardown();
});

function runAgentProcess(): Promise<{ sandboxId: string; running: string; failed: string; pid: number }> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [join(import.meta.dirname, 'agent-process.ts'), JSON.stringify(fx.agentOptions)],
      { timeout: 120000 },
      (err, stdout, stderr) => (err ? reject(new Error(`agent process: ${err.message} ${stderr}`)) : resolve(JSON.parse(stdout))),
    ),
  );
}

test('containers keep running across an agent restart, and the new agent reports and stops them', async (t) => {
  // Agent A is another process, which has exited by now.
  const a = await runAgentProcess();
  t.after(() => fx.runtime.removePodSandbox(a.sandboxId));
  process.kill(a.pid, 0); // still alive
  const conmonPid = Number((await readFile(join(fx.agentOptions.stateDir, 'containers', a.running, 'conmon.pid'), 'utf8')).trim());
  process.kill(conmonPid, 0); // and so is its shim

  // Agent B over the same rootDir.
  const b = fx.restart();
  assert.deepEqual((await b.listPodSandbox()).map((s) => [s.id, s.state]), [[a.sandboxId, 'SANDBOX_READY']]);
  const byId = new Map((await b.listContainers({ podSandboxId: a.sandboxId })).map((c) => [c.id, c.state]));
  assert.equal(byId.get(a.running), 'CONTAINER_RUNNING');
  assert.equal(byId.get(a.failed), 'CONTAINER_EXITED');
  const running = await b.containerStatus(a.running, true);
  assert.equal((JSON.parse(running.info.info ?? '{}') as { pid: number }).pid, a.pid);
  const failed = (await b.containerStatus(a.failed)).status;
  assert.equal(failed.exitCode, 5);
  assert.equal(failed.reason, 'Error');
  assert.equal((await b.execSync(a.running, ['echo', 'still here'])).stdout.toString(), 'still here\n');

  // `sleep` as pid 1 has no SIGTERM handler, so the kernel ignores the signal: the grace period runs out and SIGKILL follows.
  const started = Date.now();
  await b.stopContainer(a.running, 2);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 1900, `waited the grace period (${elapsed} ms)`);
  const stopped = (await b.containerStatus(a.running)).status;
  assert.equal(stopped.state, 'CONTAINER_EXITED');
  assert.equal(stopped.exitCode, 137);
  assert.throws(() => process.kill(a.pid, 0));

  await b.removePodSandbox(a.sandboxId);
  assert.deepEqual(await fx.leftovers(), []);
});

test('stop with a grace period: a container that handles SIGTERM exits on its own', async (t) => {
  const sandboxConfig = fx.sandboxConfig('graceful');
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  t.after(() => fx.runtime.removePodSandbox(sandboxId));
  const id = await fx.runtime.createContainer(
    sandboxId,
    fx.containerConfig('graceful', ['sh', '-c', 'trap "echo got-term; exit 0" TERM; echo ready; while true; do sleep 0.2; done']),
    sandboxConfig,
  );
  await fx.runtime.startContainer(id);
  const logPath = (await fx.runtime.containerStatus(id)).status.logPath;
  for (let i = 0; i < 600 && !(await readFile(logPath, 'utf8').catch(() => '')).includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  await fx.runtime.stopContainer(id, 30);
  assert.ok(Date.now() - started < 20000, 'did not wait for the whole grace period');
  const status = (await fx.runtime.containerStatus(id)).status;
  assert.equal(status.exitCode, 0);
  assert.equal(status.reason, 'Completed');
  assert.match(await readFile(logPath, 'utf8'), / stdout F got-term\n/);
});
