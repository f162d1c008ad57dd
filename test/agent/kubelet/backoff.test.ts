import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../../agent/kubelet/backoff.ts';

test('crash-loop back-off: the first failure restarts at once, then 10 s doubling to 5 min', () => {
  let now = 1_000_000;
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, now: () => now });
  const key = 'pod_ns_uid_c_hash';
  // First exit: not in back-off; the restart arms 10 s.
  assert.equal(b.isInBackOffSince(key, now), false);
  b.next(key, now);
  assert.equal(b.get(key), 10_000);
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    // The container ran 1 s and exited again.
    now += 1000;
    const finished = now;
    assert.equal(b.isInBackOffSince(key, finished), true);
    now = finished + b.get(key) - 1;
    assert.equal(b.isInBackOffSince(key, finished), true);
    now = finished + b.get(key);
    assert.equal(b.isInBackOffSince(key, finished), false);
    b.next(key, finished);
    delays.push(b.get(key));
  }
  assert.deepEqual(delays, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000]);
});

test('a key quiet for twice the maximum starts over', () => {
  let now = 0;
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, now: () => now });
  b.next('k', now);
  b.next('k', now);
  assert.equal(b.get('k'), 20_000);
  now += 600_001;
  assert.equal(b.isInBackOffSince('k', now), false);
  b.next('k', now);
  assert.equal(b.get('k'), 10_000);
  now += 700_000;
  b.gc();
  assert.equal(b.get('k'), 0);
});

test('image pull back-off counts from the last failure', () => {
  let now = 0;
  const b = new Backoff({ now: () => now });
  assert.equal(b.isInBackOffSinceUpdate('img'), false);
  b.next('img');
  now = 9_999;
  assert.equal(b.isInBackOffSinceUpdate('img'), true);
  assert.equal(b.remainingSinceUpdateMs('img'), 1);
  now = 10_000;
  assert.equal(b.isInBackOffSinceUpdate('img'), false);
  b.forgetPrefix('im');
  assert.equal(b.get('img'), 0);
});
