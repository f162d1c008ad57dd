import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentGroup, type Component } from '../../cli/component.ts';

function recorder(log: string[], name: string, failStart = false): Component {
  return {
    name,
    async start() {
      log.push(`start ${name}`);
      if (failStart) throw new Error(`${name} broke`);
    },
    async stop() {
      log.push(`stop ${name}`);
    },
  };
}

test('components start in order and stop in reverse, once', async () => {
  const log: string[] = [];
  const group = new ComponentGroup([recorder(log, 'etcd'), recorder(log, 'apiserver'), recorder(log, 'scheduler')]);
  await group.start(() => assert.fail('no crash expected'));
  await Promise.all([group.stop(), group.stop()]);
  assert.deepEqual(log, ['start etcd', 'start apiserver', 'start scheduler', 'stop scheduler', 'stop apiserver', 'stop etcd']);
});

test('a failed start stops what was started (including the one that failed) and rethrows', async () => {
  const log: string[] = [];
  const group = new ComponentGroup([recorder(log, 'etcd'), recorder(log, 'apiserver', true), recorder(log, 'scheduler')]);
  await assert.rejects(group.start(() => undefined), /apiserver broke/);
  assert.deepEqual(log, ['start etcd', 'start apiserver', 'stop apiserver', 'stop etcd']);
});

test('every stop runs even when one fails', async () => {
  const log: string[] = [];
  const failing: Component = { name: 'bad', start: async () => undefined, stop: async () => Promise.reject(new Error('stuck')) };
  const group = new ComponentGroup([recorder(log, 'etcd'), failing]);
  await group.start(() => undefined);
  await assert.rejects(group.stop(), /stopping failed: bad: stuck/);
  assert.deepEqual(log, ['start etcd', 'stop etcd']);
});

test('a crash is reported with the component name', async () => {
  let crashed = '';
  let trigger: ((err: Error) => void) | undefined;
  const group = new ComponentGroup([{ name: 'etcd', start: async (onCrash) => void (trigger = onCrash), stop: async () => undefined }]);
  await group.start((name, err) => (crashed = `${name}: ${err.message}`));
  trigger!(new Error('exited with code 2'));
  assert.equal(crashed, 'etcd: exited with code 2');
});
