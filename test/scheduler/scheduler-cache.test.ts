import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchedulerCache } from '../../scheduler/scheduler-cache.ts';
import { makeNode, makePod } from './make-objects.ts';

function newCache() {
  let now = 0;
  const cache = new SchedulerCache({ assumedPodTTLMs: 30_000, now: () => now });
  return { cache, advance: (ms: number) => (now += ms) };
}

const podsOn = (cache: SchedulerCache, node: string) => cache.snapshot().get(node)!.pods.map((p) => p.pod.metadata.name).sort();

describe('SchedulerCache', () => {
  it('counts an assumed pod against its node at once, and keeps one copy when the informer confirms it', () => {
    const { cache } = newCache();
    cache.addNode(makeNode('n1', { cpu: '2' }));
    const pod = makePod('p', { cpu: '1500m' });
    cache.assumePod(pod, 'n1');
    assert.equal(cache.snapshot().get('n1')!.requested.milliCPU, 1500);
    assert.equal(cache.isAssumed(pod), true);
    cache.addPod({ ...pod, spec: { ...pod.spec, nodeName: 'n1' } });
    assert.equal(cache.isAssumed(pod), false);
    assert.deepEqual(podsOn(cache, 'n1'), ['p']);
    assert.equal(cache.snapshot().get('n1')!.requested.milliCPU, 1500);
  });

  it('forgets an assumed pod whose binding failed', () => {
    const { cache } = newCache();
    cache.addNode(makeNode('n1'));
    const pod = makePod('p', { cpu: '1' });
    cache.assumePod(pod, 'n1');
    cache.forgetPod(pod);
    assert.deepEqual(podsOn(cache, 'n1'), []);
    assert.equal(cache.snapshot().get('n1')!.requested.milliCPU, 0);
  });

  it('expires an assumed pod only after its binding finished and the TTL passed', () => {
    const { cache, advance } = newCache();
    cache.addNode(makeNode('n1'));
    const pod = makePod('p');
    cache.assumePod(pod, 'n1');
    advance(60_000);
    assert.deepEqual(cache.cleanupAssumedPods(), []);
    cache.finishBinding(pod);
    advance(29_999);
    assert.deepEqual(cache.cleanupAssumedPods(), []);
    advance(1);
    assert.deepEqual(cache.cleanupAssumedPods().map((p) => p.metadata.name), ['p']);
    assert.deepEqual(podsOn(cache, 'n1'), []);
  });

  it('keeps pods seen before their node, and across a node update', () => {
    const { cache } = newCache();
    const pod = makePod('early', { cpu: '500m' });
    cache.addPod({ ...pod, spec: { ...pod.spec, nodeName: 'n2' } });
    cache.addNode(makeNode('n2'));
    assert.deepEqual(podsOn(cache, 'n2'), ['early']);
    cache.updateNode(makeNode('n2', { labels: { disk: 'ssd' } }));
    assert.deepEqual(podsOn(cache, 'n2'), ['early']);
    assert.equal(cache.snapshot().get('n2')!.node.metadata.labels!['disk'], 'ssd');
    cache.removePod({ ...pod, spec: { ...pod.spec, nodeName: 'n2' } });
    assert.deepEqual(podsOn(cache, 'n2'), []);
  });

  it('refuses to assume the same pod twice', () => {
    const { cache } = newCache();
    cache.addNode(makeNode('n1'));
    const pod = makePod('p');
    cache.assumePod(pod, 'n1');
    assert.throws(() => cache.assumePod(pod, 'n1'), /already in the scheduler cache/);
  });
});
