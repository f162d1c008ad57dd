import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayingQueue } from '../../../client/workqueue/delaying-queue.ts';
import { Queue } from '../../../client/workqueue/queue.ts';
import { RateLimitingQueue } from '../../../client/workqueue/rate-limiting-queue.ts';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter } from '../../../client/workqueue/rate-limiters.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('Queue', () => {
  it('hands items out in order and dedups items not yet processed', async () => {
    const q = new Queue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('never hands out an item being processed; a re-add while processing runs again after done', async () => {
    const q = new Queue();
    q.add('a');
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 're-add during processing must wait for done');
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await tick();
    assert.equal(second, undefined, 'a second worker must not get the key while the first holds it');
    q.done('a');
    await tick();
    assert.equal(second, 'a');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  it('wakes a waiting get on add', async () => {
    const q = new Queue<number>();
    const pending = q.get();
    q.add(7);
    assert.equal(await pending, 7);
  });

  it('answers undefined after shutDown once drained, and ignores adds', async () => {
    const q = new Queue();
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    const q2 = new Queue();
    q2.add('x');
    q2.shutDown();
    q2.add('y');
    assert.equal(await q2.get(), 'x');
    assert.equal(await q2.get(), undefined);
  });

  it('serves several workers fairly without losing items', async () => {
    const q = new Queue<number>();
    const seen: number[] = [];
    const worker = async () => {
      for (;;) {
        const item = await q.get();
        if (item === undefined) return;
        seen.push(item);
        await tick();
        q.done(item);
      }
    };
    const workers = [worker(), worker(), worker()];
    for (let i = 0; i < 50; i++) q.add(i);
    while (seen.length < 50) await tick();
    q.shutDown();
    await Promise.all(workers);
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('DelayingQueue', () => {
  it('adds after the delay and keeps the earlier ready time', async () => {
    const q = new DelayingQueue();
    q.addAfter('a', 60);
    q.addAfter('a', 5_000);
    assert.equal(q.len(), 0);
    assert.equal(q.waitingLen(), 1);
    const started = Date.now();
    assert.equal(await q.get(), 'a');
    assert.ok(Date.now() - started < 2_000);
    q.addAfter('b', 0);
    assert.equal(q.len(), 1);
    q.addAfter('c', 10_000);
    q.shutDown();
    assert.equal(q.waitingLen(), 0, 'shutDown must cancel timers');
  });
});

describe('rate limiters', () => {
  it('backs off per item exponentially from 5 ms to 1000 s, and forget resets', () => {
    const rl = new ItemExponentialFailureRateLimiter();
    assert.deepEqual([rl.when('a'), rl.when('a'), rl.when('a'), rl.when('b')], [5, 10, 20, 5]);
    assert.equal(rl.numRequeues('a'), 3);
    for (let i = 0; i < 40; i++) rl.when('a');
    assert.equal(rl.when('a'), 1_000_000);
    rl.forget('a');
    assert.equal(rl.numRequeues('a'), 0);
    assert.equal(rl.when('a'), 5);
  });

  it('the bucket allows the burst, then spaces at 1/qps', () => {
    let now = 0;
    const rl = new BucketRateLimiter(10, 3, () => now);
    assert.deepEqual([rl.when('x'), rl.when('x'), rl.when('x')], [0, 0, 0]);
    assert.equal(rl.when('x'), 100);
    assert.equal(rl.when('x'), 200);
    now = 1_000;
    assert.equal(rl.when('x'), 0);
  });

  it('max-of takes the longest delay; the default is 5 ms per item first', () => {
    const rl = new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1000), new ItemExponentialFailureRateLimiter(1, 1000));
    assert.equal(rl.when('a'), 5);
    assert.equal(rl.when('a'), 10);
    assert.equal(defaultControllerRateLimiter().when('k'), 5);
  });
});

describe('RateLimitingQueue', () => {
  it('requeues with backoff and forget clears the history', async () => {
    const q = new RateLimitingQueue(new ItemExponentialFailureRateLimiter(20, 1000));
    q.add('k');
    const k = await q.get();
    assert.equal(k, 'k');
    q.addRateLimited('k');
    q.done('k');
    assert.equal(q.len(), 0, 'rate-limited re-add must wait');
    assert.equal(q.numRequeues('k'), 1);
    const started = Date.now();
    assert.equal(await q.get(), 'k');
    assert.ok(Date.now() - started >= 15, 'waited for the backoff');
    q.forget('k');
    q.done('k');
    assert.equal(q.numRequeues('k'), 0);
    q.shutDown();
    assert.equal(await q.get(), undefined);
  });
});
