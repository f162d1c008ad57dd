/**
 * The ReplicaSet controller's pure parts: which pods go first on scale-down
 * (ActivePodsWithRanks), slow-start batches, and expectations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podsToDelete } from '../../controllers/controller-utils/active-pods-ordering.ts';
import { ControllerExpectations } from '../../controllers/controller-utils/controller-expectations.ts';
import { slowStartBatch } from '../../controllers/controller-utils/slow-start-batch.ts';
import type { Pod } from '../../controllers/controller-utils/workload-objects.ts';

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: string; restarts?: number; created?: string; cost?: string } = {}): Pod {
  return {
    metadata: {
      name,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}),
    },
    spec: o.node ? { nodeName: o.node } : {},
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2024-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  };
}

const first = (pods: Pod[], related: Pod[] = pods) => podsToDelete(pods, related, 1)[0]!.metadata.name;

describe('deletion ranking', () => {
  it('unassigned before assigned', () => assert.equal(first([pod('a', { node: 'n1' }), pod('b')]), 'b'));
  it('Pending before Unknown before Running', () => {
    assert.equal(first([pod('r', { node: 'n' }), pod('u', { node: 'n', phase: 'Unknown' }), pod('p', { node: 'n', phase: 'Pending' })]), 'p');
    assert.equal(first([pod('r', { node: 'n' }), pod('u', { node: 'n', phase: 'Unknown' })]), 'u');
  });
  it('not ready before ready', () => assert.equal(first([pod('ready'), pod('unready', { ready: false })]), 'unready'));
  it('lower deletion cost first', () => assert.equal(first([pod('a', { cost: '10' }), pod('b', { cost: '-1' })]), 'b'));
  it('doubled-up node first', () => {
    const pods = [pod('alone', { node: 'n1' }), pod('crowded', { node: 'n2' })];
    assert.equal(first(pods, [...pods, pod('sibling', { node: 'n2' })]), 'crowded');
  });
  it('ready for less time first', () =>
    assert.equal(first([pod('old', { readySince: '2024-01-01T00:00:00Z' }), pod('recent', { readySince: '2024-01-02T00:00:00Z' })]), 'recent'));
  it('more restarts first', () => assert.equal(first([pod('calm'), pod('flappy', { restarts: 4 })]), 'flappy'));
  it('newer first', () => assert.equal(first([pod('older'), pod('newer', { created: '2024-02-01T00:00:00Z' })]), 'newer'));
  it('returns everything when asked for at least as many', () => assert.equal(podsToDelete([pod('a'), pod('b')], [], 5).length, 2));
});

describe('slowStartBatch', () => {
  it('grows batches 1, 2, 4, … and stops after a failing batch', async () => {
    let calls = 0;
    const ok = await slowStartBatch(10, 1, async () => {
      calls++;
    });
    assert.deepEqual(ok, { successes: 10 });
    assert.equal(calls, 10);
    calls = 0;
    const failing = await slowStartBatch(10, 1, async () => {
      if (++calls > 2) throw new Error('quota');
    });
    // Batches 1 and 2 run (3 calls): the 3rd call fails in batch 2, so batch 4 never runs.
    assert.equal(calls, 3);
    assert.equal(failing.successes, 2);
    assert.equal((failing.error as Error).message, 'quota');
  });
});

describe('expectations', () => {
  it('waits for the creations and tracked deletions it expects, or for the timeout', () => {
    let now = 0;
    const e = new ControllerExpectations({ now: () => now, timeoutMs: 1000 });
    assert.ok(e.satisfiedExpectations('ns/rs'));
    e.expectCreations('ns/rs', 2);
    assert.ok(!e.satisfiedExpectations('ns/rs'));
    e.creationObserved('ns/rs');
    e.creationObserved('ns/rs');
    assert.ok(e.satisfiedExpectations('ns/rs'));
    e.expectDeletions('ns/rs', ['ns/a']);
    e.deletionObserved('ns/rs', 'ns/other');
    assert.ok(!e.satisfiedExpectations('ns/rs'), 'an unrelated deletion does not count');
    now = 2000;
    assert.ok(e.satisfiedExpectations('ns/rs'), 'expired');
    e.deleteExpectations('ns/rs');
    assert.equal(e.pending('ns/rs'), undefined);
  });
});
