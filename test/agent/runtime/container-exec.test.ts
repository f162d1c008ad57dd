import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Readable } from 'node:stream';
import { startRuntimeFixture, type RuntimeFixture } from './runtime-fixture.ts';

let fx: RuntimeFixture;
before(async () => {
  fx = await startRuntimeFixture();
});
after(async () => {
  await fx?.teardown();
});

function collect(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    stream.on('data', (d: Buffer) => (data += d.toString()));
    stream.on('end', () => resolve(data));
    stream.on('error', reject);
  });
}

async function runningContainer(t: { after(fn: () => Promise<void>): void }, name: string): Promise<string> {
  const sandboxConfig = fx.sandboxConfig(name);
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  t.after(() => fx.runtime.removePodSandbox(sandboxId));
  const id = await fx.runtime.createContainer(
    sandboxId,
    fx.containerConfig(name, ['sleep', '300'], { envs: [{ key: 'GREETING', value: 'hi there' }] }),
    sandboxConfig,
  );
  await fx.runtime.startContainer(id);
  return id;
}

test('execSync captures stdout, stderr and the exit code, in the container env, and times out', async (t) => {
  const id = await runningContainer(t, 'execsync');
  const r = await fx.runtime.execSync(id, ['sh', '-c', 'echo "$GREETING"; hostname; echo oops >&2; exit 4']);
  assert.equal(r.stdout.toString(), 'hi there\nexecsync\n');
  assert.equal(r.stderr.toString(), 'oops\n');
  assert.equal(r.exitCode, 4);
  const started = Date.now();
  await assert.rejects(fx.runtime.execSync(id, ['sleep', '60'], 1), { code: 'DeadlineExceeded' });
  assert.ok(Date.now() - started < 30000);
  // The timed-out process was killed, not left behind.
  const ps = await fx.runtime.execSync(id, ['ps', '-o', 'args']);
  assert.doesNotMatch(ps.stdout.toString(), /sleep 60/);
});

test('streaming exec without a tty', async (t) => {
  const id = await runningContainer(t, 'execstream');
  const session = await fx.runtime.exec({ containerId: id, cmd: ['sh', '-c', 'read line; echo "got $line"; echo err >&2; exit 6'], stdin: true, stdout: true, stderr: true });
  const out = collect(session.stdout);
  const err = collect(session.stderr);
  session.stdin.end('ping\n');
  assert.equal(await session.exitCode, 6);
  assert.equal(await out, 'got ping\n');
  assert.equal(await err, 'err\n');
});

test('streaming exec with a tty, and resize', async (t) => {
  const id = await runningContainer(t, 'exectty');
  const session = await fx.runtime.exec({ containerId: id, cmd: ['sh'], tty: true, stdin: true, stdout: true });
  const out = collect(session.stdout);
  await session.resize(123, 45);
  session.stdin.write('tty; stty size; exit 3\n');
  assert.equal(await session.exitCode, 3);
  const text = await out;
  // Once in some 20 loaded runs every line came out as \r\r\n (the outer pty still translating
  // newlines) while echo was already off; a terminal shows both the same, so the check allows it.
  assert.match(text, /\/dev\/pts\/\d+\r+\n/);
  assert.match(text, /45 123\r+\n/);
});
