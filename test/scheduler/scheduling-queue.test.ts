import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterEvent } from '../../scheduler/framework/interface.ts';
import type { Pod } from '../../scheduler/framework/types.ts';
import { SchedulingQueue } from '../../scheduler/scheduling-queue.ts';
import { makePod } from './make-objects.ts';

const pluginEvents = new Map<string, readonly ClusterEvent[]>([
  ['NodeResourcesFit', [{ resource: 'Node', actionTypes: ['Add', 'UpdateNodeAllocatable'] }, { resource: 'Pod', actionTypes: ['Delete'] }]],
  ['NodeAffinity', [{ resource: 'Node', actionTypes: ['Add', 'UpdateNodeLabel'] }]],
]);

function newQueue() {
  let now = 1_000_000;
  const q = new SchedulingQueue({ pluginEvents, now: () => now });
  return { q, advance: (ms: number) => (now += ms) };
}

const withPriority = (pod: Pod, priority: number): Pod => ({ ...pod, spec: { ...pod.spec, priority } as Pod['spec'] });
const names = async (q: SchedulingQueue, n: number) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await q.pop())!.pod.metadata.name!);
  return out;
};

describe('SchedulingQueue', () => {
  it('pops higher priority first, then older first', async () => {
    const { q, advance } = newQueue();
    q.add(makePod('a'));
    advance(1);
    q.add(withPriority(makePod('b'), 10));
    advance(1);
    q.add(makePod('c'));
    assert.deepEqual(await names(q, 3), ['b', 'a', 'c']);
  });

  it('keeps a pod rejected by a plugin until an event that plugin registered for, then backs off', async () => {
    const { q, advance } = newQueue();
    const pod = makePod('p');
    q.add(pod);
    const info = (await q.pop())!;
    q.addUnschedulableIfNotPresent(info, new Set(['NodeAffinity']), q.schedulingCycle);
    assert.deepEqual(q.lengths, { active: 0, backoff: 0, unschedulable: 1 });
    // A pod deletion cannot help NodeAffinity.
    q.moveAllToActiveOrBackoff('AssignedPod', 'Delete');
    assert.deepEqual(q.lengths, { active: 0, backoff: 0, unschedulable: 1 });
    // A new node can; the pod still waits out its 1 s backoff.
    q.moveAllToActiveOrBackoff('Node', 'Add');
    assert.deepEqual(q.lengths, { active: 0, backoff: 1, unschedulable: 0 });
    assert.equal(q.nextBackoffExpiryIn(), 1000);
    advance(1000);
    q.flush();
    assert.equal((await q.pop())!.pod.metadata.name, 'p');
  });

  it('doubles the backoff per attempt up to the maximum', async () => {
    const { q, advance } = newQueue();
    q.add(makePod('p'));
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const info = (await q.pop())!;
      q.addUnschedulableIfNotPresent(info, new Set(), q.schedulingCycle);
      const wait = q.nextBackoffExpiryIn()!;
      waits.push(wait);
      advance(wait);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('sends a pod to backoff, not unschedulable, when a move request came during its cycle', async () => {
    const { q } = newQueue();
    q.add(makePod('p'));
    const info = (await q.pop())!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff('Node', 'Add');
    q.addUnschedulableIfNotPresent(info, new Set(['NodeResourcesFit']), cycle);
    assert.deepEqual(q.lengths, { active: 0, backoff: 1, unschedulable: 0 });
  });

  it('retries an unschedulable pod whose spec was updated, and forgets a deleted one', async () => {
    const { q, advance } = newQueue();
    const pod = makePod('p');
    q.add(pod);
    const info = (await q.pop())!;
    q.addUnschedulableIfNotPresent(info, new Set(['NodeAffinity']), q.schedulingCycle);
    advance(5000);
    q.update({ ...pod, spec: { ...pod.spec, nodeSelector: { disk: 'ssd' } } });
    assert.deepEqual(q.lengths, { active: 1, backoff: 0, unschedulable: 0 });
    const again = (await q.pop())!;
    assert.deepEqual(again.pod.spec.nodeSelector, { disk: 'ssd' });
    q.addUnschedulableIfNotPresent(again, new Set(['NodeAffinity']), q.schedulingCycle);
    q.delete(pod);
    assert.deepEqual(q.lengths, { active: 0, backoff: 0, unschedulable: 0 });
    assert.equal(q.has(pod), false);
  });

  it('returns long-unschedulable pods to activeQ after the safety-net duration', async () => {
    const { q, advance } = newQueue();
    q.add(makePod('p'));
    const info = (await q.pop())!;
    q.addUnschedulableIfNotPresent(info, new Set(['NodeAffinity']), q.schedulingCycle);
    advance(5 * 60_000 - 1);
    q.flush();
    assert.equal(q.lengths.unschedulable, 1);
    advance(1);
    q.flush();
    assert.deepEqual(q.lengths, { active: 1, backoff: 0, unschedulable: 0 });
  });

  it('makes pop wait for a pod, and resolves undefined on close', async () => {
    const { q } = newQueue();
    const waiting = q.pop();
    q.add(makePod('late'));
    assert.equal((await waiting)!.pod.metadata.name, 'late');
    const pending = q.pop();
    q.close();
    assert.equal(await pending, undefined);
  });
});
