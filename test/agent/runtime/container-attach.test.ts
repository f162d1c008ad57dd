import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Readable } from 'node:stream';
import type { ContainerConfig, ExecStreams } from '../../../agent/cri/api.ts';
import { CriError } from '../../../agent/cri/errors.ts';
import { conmonArgs, conmonSocketLink, windowResizeMessage, type ConmonOptions } from '../../../agent/runtime/conmon.ts';
import { eventually, readLog, shimProcesses, startRuntimeFixture, type RuntimeFixture } from './runtime-fixture.ts';

let fx: RuntimeFixture;
before(async () => {
  fx = await startRuntimeFixture();
});
after(async () => {
  await fx?.teardown();
});

/** Collects a stream's text; `text()` is what arrived so far, `ended` resolves with all of it. */
function collect(stream: Readable): { text(): string; ended: Promise<string> } {
  let data = '';
  stream.on('data', (d: Buffer) => (data += d.toString()));
  const ended = new Promise<string>((resolve, reject) => {
    stream.once('end', () => resolve(data));
    stream.once('error', reject);
  });
  return { text: () => data, ended };
}

/** Rejects when `p` takes longer than `ms`: nothing in attach may hang. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function runningContainer(
  t: { after(fn: () => Promise<void> | void): void },
  name: string,
  command: string[],
  extra: Partial<ContainerConfig> = {},
): Promise<string> {
  const sandboxConfig = fx.sandboxConfig(name);
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  t.after(() => fx.runtime.removePodSandbox(sandboxId));
  const id = await fx.runtime.createContainer(sandboxId, fx.containerConfig(name, command, extra), sandboxConfig);
  await fx.runtime.startContainer(id);
  return id;
}

function closeAfter(t: { after(fn: () => void): void }, session: ExecStreams): void {
  t.after(() => session.close());
}

test('conmon gets --leave-stdin-open only for stdin containers without stdinOnce, and resize lines are height first', () => {
  const base: ConmonOptions = {
    conmonBinary: 'conmon', containerId: 'c1', containerName: 'n', runtimeBinary: 'runc', runtimeRoot: '/r', bundle: '/b',
    containerPidFile: '/p', conmonPidFile: '/cp', logPath: '/l', exitDir: '/e', socketDir: '/s', persistDir: '/pd',
    conmonLogFile: '/cl', stdin: true, tty: false,
  };
  assert.ok(conmonArgs({ ...base, leaveStdinOpen: true }).includes('--leave-stdin-open'));
  assert.ok(!conmonArgs({ ...base, leaveStdinOpen: false }).includes('--leave-stdin-open'));
  assert.ok(!conmonArgs({ ...base, stdin: false, leaveStdinOpen: true }).includes('--leave-stdin-open'));
  assert.equal(windowResizeMessage(80, 24), '1 24 80\n');
  // conmon shortens a link whose path is exactly sun_path - 1 (107) characters long.
  const dir = `/${'d'.repeat(41)}`;
  assert.equal(conmonSocketLink(dir, 'x'.repeat(64)).length, 106);
  assert.equal(conmonSocketLink('/s', 'abc'), '/s/abc');
});

test('attach with stdin: input reaches the process, output comes back, and ending stdin ends a stdinOnce container', async (t) => {
  const id = await runningContainer(t, 'attach-echo', ['sh', '-c', 'while read l; do echo "got $l"; done; echo bye'], {
    stdin: true,
    stdinOnce: true,
  });
  const session = await fx.runtime.attach({ containerId: id, stdin: true, stdout: true, stderr: true });
  closeAfter(t, session);
  const out = collect(session.stdout);
  const err = collect(session.stderr);
  session.stdin.write('hello\n');
  await eventually(async () => out.text().includes('got hello\n'), 'got hello on stdout', 60000);
  session.stdin.end();
  // stdinOnce: conmon closes the container's stdin when the client disconnects, so read sees EOF and the loop ends.
  assert.equal(await within(out.ended, 60000, 'stdout ending'), 'got hello\nbye\n');
  assert.equal(await within(err.ended, 10000, 'stderr ending'), '');
  assert.equal(await within(session.exitCode, 10000, 'the session ending'), 0);
  const status = await eventually(async () => {
    const s = (await fx.runtime.containerStatus(id)).status;
    return s.state === 'CONTAINER_EXITED' ? s : undefined;
  }, 'the container exiting');
  assert.equal(status.exitCode, 0);
  // socat is gone with the session.
  assert.deepEqual((await shimProcesses(fx.rootDir)).filter((p) => p.includes('socat')), []);
});

test('a container without stdinOnce keeps its stdin across attach sessions', async (t) => {
  const id = await runningContainer(t, 'attach-twice', ['sh', '-c', 'while read l; do echo "got $l"; done'], { stdin: true });
  for (const word of ['one', 'two']) {
    const session = await fx.runtime.attach({ containerId: id, stdin: true, stdout: true, stderr: true });
    closeAfter(t, session);
    const out = collect(session.stdout);
    collect(session.stderr);
    session.stdin.end(`${word}\n`);
    await eventually(async () => out.text().includes(`got ${word}\n`), `got ${word}`, 60000);
    session.close();
    await within(out.ended, 10000, 'stdout ending after close');
  }
  assert.equal((await fx.runtime.containerStatus(id)).status.state, 'CONTAINER_RUNNING');
});

test('output on stderr arrives on stderr, not stdout, and only output after the attach', async (t) => {
  const id = await runningContainer(t, 'attach-stderr', [
    'sh',
    '-c',
    'echo before; echo before-err >&2; i=0; while [ $i -lt 600 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.2; done',
  ]);
  // Let the first lines reach the log before attaching.
  const logPath = (await fx.runtime.containerStatus(id)).status.logPath;
  await eventually(async () => (await readLog(logPath)).includes('before-err'), 'the first lines in the log');
  const session = await fx.runtime.attach({ containerId: id, stdout: true, stderr: true });
  closeAfter(t, session);
  const out = collect(session.stdout);
  const err = collect(session.stderr);
  await eventually(async () => /out \d+\n/.test(out.text()) && /err \d+\n/.test(err.text()), 'lines on both streams', 60000);
  session.close();
  await within(Promise.all([out.ended, err.ended]), 10000, 'the streams ending after close');
  assert.doesNotMatch(out.text(), /err|before/);
  assert.doesNotMatch(err.text(), /out|before/);
});

test('attach with stdin to a container created without stdin fails with a clear CriError', async (t) => {
  const id = await runningContainer(t, 'attach-nostdin', ['sleep', '300']);
  await assert.rejects(
    within(fx.runtime.attach({ containerId: id, stdin: true, stdout: true, stderr: true }), 30000, 'attach failing'),
    (err: unknown) => err instanceof CriError && err.code === 'FailedPrecondition' && /not created with stdin/.test(err.message),
  );
});

test('the streams end when the container exits on its own', async (t) => {
  const id = await runningContainer(t, 'attach-exit', ['sh', '-c', 'sleep 3; echo done; echo oops >&2; exit 3'], { stdin: true });
  const session = await fx.runtime.attach({ containerId: id, stdin: true, stdout: true, stderr: true });
  closeAfter(t, session);
  const out = collect(session.stdout);
  const err = collect(session.stderr);
  assert.equal(await within(out.ended, 60000, 'stdout ending'), 'done\n');
  assert.equal(await within(err.ended, 10000, 'stderr ending'), 'oops\n');
  assert.equal(await within(session.exitCode, 10000, 'the session ending'), 0);
  await eventually(async () => (await shimProcesses(fx.rootDir)).filter((p) => p.includes('socat')).length === 0, 'socat exiting', 10000);
});

test('tty attach: input echoes through the terminal, and resize reaches it', async (t) => {
  const id = await runningContainer(t, 'attach-tty', ['sh'], { stdin: true, tty: true });
  const session = await fx.runtime.attach({ containerId: id, stdin: true, stdout: true, tty: true });
  closeAfter(t, session);
  const out = collect(session.stdout);
  await session.resize(123, 45);
  session.stdin.write('stty size\n');
  await eventually(async () => out.text().includes('45 123'), 'the new size in the terminal', 60000);
  await assert.doesNotReject(session.resize(80, 24));
  session.stdin.write('exit 0\n');
  await within(out.ended, 60000, 'stdout ending after the shell exits');
});
