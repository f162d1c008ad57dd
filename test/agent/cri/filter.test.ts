import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, PodSandbox } from '../../../agent/cri/api.ts';
import { CleanupStack } from '../../../agent/cri/cleanup-stack.ts';
import { matchesContainerFilter, matchesPodSandboxFilter } from '../../../agent/cri/filter.ts';

const sandbox: PodSandbox = {
  id: 'abcdef',
  metadata: { name: 'p', uid: 'u', namespace: 'n' },
  state: 'SANDBOX_READY',
  createdAt: 1n,
  labels: { app: 'web', tier: 'front' },
  annotations: {},
  runtimeHandler: 'runc',
};
const container: Container = {
  id: '123456',
  podSandboxId: 'abcdef',
  metadata: { name: 'c' },
  image: { image: 'busybox' },
  imageRef: 'sha256:x',
  state: 'CONTAINER_RUNNING',
  createdAt: 1n,
  labels: { app: 'web' },
  annotations: {},
};

test('sandbox filters: id prefix, state, label selector (AND)', () => {
  assert.ok(matchesPodSandboxFilter(sandbox, undefined));
  assert.ok(matchesPodSandboxFilter(sandbox, { id: 'abc' }));
  assert.ok(!matchesPodSandboxFilter(sandbox, { id: 'abd' }));
  assert.ok(!matchesPodSandboxFilter(sandbox, { state: { state: 'SANDBOX_NOTREADY' } }));
  assert.ok(matchesPodSandboxFilter(sandbox, { labelSelector: { app: 'web', tier: 'front' } }));
  assert.ok(!matchesPodSandboxFilter(sandbox, { labelSelector: { app: 'web', tier: 'back' } }));
});

test('container filters: podSandboxId, state, labels', () => {
  assert.ok(matchesContainerFilter(container, { podSandboxId: 'abcdef', state: { state: 'CONTAINER_RUNNING' }, labelSelector: { app: 'web' } }));
  assert.ok(!matchesContainerFilter(container, { podSandboxId: 'other' }));
  assert.ok(!matchesContainerFilter(container, { state: { state: 'CONTAINER_EXITED' } }));
  assert.ok(matchesContainerFilter(container, { id: '1234' }));
});

test('cleanup stack runs undos newest first, survives a failing undo, and move() keeps everything', async () => {
  const order: string[] = [];
  const stack = new CleanupStack();
  stack.defer('a', () => void order.push('a'));
  stack.defer('b', () => {
    throw new Error('b failed');
  });
  stack.defer('c', async () => void order.push('c'));
  const failed = await stack.run();
  assert.deepEqual(order, ['c', 'a']);
  assert.deepEqual(failed.map((f) => f.description), ['b']);
  const kept = new CleanupStack();
  kept.defer('x', () => void order.push('x'));
  kept.move();
  assert.deepEqual(await kept.run(), []);
  assert.deepEqual(order, ['c', 'a']);
});
