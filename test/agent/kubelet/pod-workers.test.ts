import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PodWorkers } from '../../../agent/kubelet/pod-workers.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test('syncs of one pod never overlap, and updates during a sync collapse into one more sync', async () => {
  let active = 0;
  let maxActive = 0;
  let syncs = 0;
  let release: (() => void) | undefined;
  const workers = new PodWorkers({
    sync: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      syncs++;
      await new Promise<void>((r) => (release = r));
      active--;
      return {};
    },
  });
  workers.update('a');
  await tick();
  workers.update('a');
  workers.update('a');
  workers.update('a');
  release!();
  await tick();
  release!();
  await tick();
  assert.equal(syncs, 2);
  assert.equal(maxActive, 1);
  await workers.stop();
});

test('requeueAfterMs runs the sync again; done retires the worker; a failed sync is retried', async () => {
  const calls: string[] = [];
  let failOnce = true;
  const workers = new PodWorkers({
    errorBackoffMs: 10,
    sync: async (uid) => {
      calls.push(uid);
      if (uid === 'flaky' && failOnce) {
        failOnce = false;
        throw new Error('boom');
      }
      if (uid === 'again') return calls.filter((c) => c === 'again').length < 3 ? { requeueAfterMs: 5 } : { done: true };
      return { done: true };
    },
    onError: () => undefined,
  });
  workers.update('again');
  workers.update('flaky');
  for (let i = 0; i < 100 && workers.uids().length > 0; i++) await tick(10);
  assert.deepEqual(workers.uids(), []);
  assert.equal(calls.filter((c) => c === 'again').length, 3);
  assert.equal(calls.filter((c) => c === 'flaky').length, 2);
  await workers.stop();
});
