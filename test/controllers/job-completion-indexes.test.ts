/** Pure pieces of the Job controller: completion index sets and the pod failure backoff. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../controllers/controller-utils/workload-objects.ts';
import { firstPendingIndexes, formatIndexes, generateNameWithIndex, parseIndexes } from '../../controllers/job/completion-indexes.ts';
import { PodFailureBackoffStore, remainingBackoffMs } from '../../controllers/job/pod-failure-backoff.ts';

const podAt = (index: number): Pod => ({ metadata: { annotations: { 'batch.kubernetes.io/job-completion-index': String(index) } } });
const failedAt = (ms: number): Pod => ({
  metadata: {},
  status: { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { finishedAt: new Date(ms).toISOString() } } }] },
});

describe('completion indexes', () => {
  it('formats and parses completedIndexes as kube writes them', () => {
    assert.equal(formatIndexes(new Set([0, 1, 2, 5, 7, 8])), '0-2,5,7-8');
    assert.equal(formatIndexes(new Set()), '');
    assert.deepEqual([...parseIndexes('0-2,5,7-8', 8)].sort(), [0, 1, 2, 5, 7]);
  });
  it('picks the lowest indexes neither succeeded nor running', () => {
    assert.deepEqual(firstPendingIndexes(new Set([0, 2]), [podAt(1), podAt(4)], 2, 6), [3, 5]);
  });
  it('names pods <job>-<index>- and cuts long job names', () => {
    assert.equal(generateNameWithIndex('pi', 3), 'pi-3-');
    assert.equal(generateNameWithIndex('x'.repeat(70), 12).length, 58);
  });
});

describe('pod failure backoff', () => {
  it('doubles per failure since the last success, capped', () => {
    const store = new PodFailureBackoffStore();
    const t0 = 1_000_000;
    const r1 = store.newRecord('ns/j', [], [failedAt(t0)], t0);
    assert.equal(remainingBackoffMs(r1, 10_000, 600_000, t0 + 4_000), 6_000);
    store.update(r1);
    const r3 = store.newRecord('ns/j', [], [failedAt(t0 + 1), failedAt(t0 + 2)], t0);
    assert.equal(r3.failuresAfterLastSuccess, 3);
    assert.equal(remainingBackoffMs(r3, 10_000, 600_000, t0 + 2), 40_000);
    assert.equal(remainingBackoffMs({ ...r3, failuresAfterLastSuccess: 20 }, 10_000, 600_000, t0 + 2), 600_000);
    const afterSuccess = store.newRecord('ns/j', [{ metadata: {}, status: { phase: 'Succeeded' } }], [], t0 + 10);
    assert.equal(afterSuccess.failuresAfterLastSuccess, 0);
  });
});
