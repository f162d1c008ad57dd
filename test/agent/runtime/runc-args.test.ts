import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conmonArgs } from '../../../agent/runtime/conmon.ts';
import { deleteArgs, execArgs, globalArgs, killArgs, startArgs, stateArgs } from '../../../agent/runtime/runc.ts';
import { shellQuote } from '../../../agent/runtime/exec-session.ts';

test('runc argv builders', () => {
  assert.deepEqual(globalArgs('/run/pier/runc'), ['--root', '/run/pier/runc']);
  assert.deepEqual(startArgs('c1'), ['start', 'c1']);
  assert.deepEqual(stateArgs('c1'), ['state', 'c1']);
  assert.deepEqual(killArgs('c1', 'SIGTERM'), ['kill', 'c1', 'SIGTERM']);
  assert.deepEqual(killArgs('c1', 'SIGKILL', true), ['kill', '--all', 'c1', 'SIGKILL']);
  assert.deepEqual(deleteArgs('c1', true), ['delete', '--force', 'c1']);
  assert.deepEqual(execArgs('c1', ['ls', '-l'], { tty: true, pidFile: '/p', env: ['A=1'], cwd: '/tmp', user: '1:2' }), [
    'exec', '--tty', '--pid-file', '/p', '--cwd', '/tmp', '--user', '1:2', '--env', 'A=1', 'c1', 'ls', '-l',
  ]);
});

test('conmon argv', () => {
  const args = conmonArgs({
    conmonBinary: '/usr/bin/conmon',
    containerId: 'c1',
    containerName: 'web',
    runtimeBinary: '/usr/sbin/runc',
    runtimeRoot: '/r',
    bundle: '/b',
    containerPidFile: '/b/pid',
    conmonPidFile: '/b/conmon.pid',
    logPath: '/logs/0.log',
    logSizeMax: 1024,
    exitDir: '/e',
    socketDir: '/s',
    persistDir: '/p',
    conmonLogFile: '/b/conmon.log',
    stdin: true,
    tty: true,
  });
  const flag = (name: string) => args[args.indexOf(name) + 1];
  assert.equal(flag('--api-version'), '1');
  assert.equal(flag('-c'), 'c1');
  assert.equal(flag('-r'), '/usr/sbin/runc');
  assert.equal(flag('--runtime-arg'), '--root=/r');
  assert.equal(flag('-l'), 'k8s-file:/logs/0.log');
  assert.equal(flag('--exit-dir'), '/e');
  assert.equal(flag('--log-size-max'), '1024');
  assert.ok(args.includes('-i') && args.includes('-t'));
});

test('shellQuote survives quotes', () => {
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
});
