/** The DaemonSet rolling update planner and node eligibility, table-tested without a cluster. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../controllers/controller-utils/workload-objects.ts';
import { replaceNodeNameAffinity, targetNodeName } from '../../controllers/daemon/daemon-pod-template.ts';
import type { DaemonSet, Node } from '../../controllers/daemon/daemonset-types.ts';
import { nodeShouldRunDaemonPod } from '../../controllers/daemon/node-should-run.ts';
import { planRollingUpdate, rollingUpdateLimits } from '../../controllers/daemon/rolling-update.ts';

const ds = (rollingUpdate: { maxUnavailable?: number | string; maxSurge?: number | string }, spec: Record<string, unknown> = {}): DaemonSet => ({
  metadata: { name: 'd', namespace: 'ns' },
  spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate }, template: { metadata: { labels: { app: 'd' } }, spec } },
});
const pod = (name: string, hash: string, ready: boolean): Pod => ({
  metadata: { name, labels: { 'controller-revision-hash': hash } },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const isNew = (p: Pod) => p.metadata.labels?.['controller-revision-hash'] === 'new';

describe('planRollingUpdate', () => {
  it('without surge deletes old available pods only up to maxUnavailable, and unavailable old pods always', () => {
    const nodes = new Map<string, Pod[]>([
      ['a', [pod('a1', 'old', true)]],
      ['b', [pod('b1', 'old', true)]],
      ['c', [pod('c1', 'old', false)]],
      ['d', [pod('d1', 'new', true)]],
    ]);
    assert.deepEqual(planRollingUpdate(ds({ maxUnavailable: 1 }), nodes, isNew, { maxSurge: 0, maxUnavailable: 1 }), { podsToDelete: ['c1', 'a1'], nodesNeedingPods: [] });
    nodes.set('d', [pod('d1', 'new', false)]);
    assert.deepEqual(planRollingUpdate(ds({ maxUnavailable: 1 }), nodes, isNew, { maxSurge: 0, maxUnavailable: 1 }).podsToDelete, ['c1']);
    nodes.set('e', []);
    assert.deepEqual(planRollingUpdate(ds({ maxUnavailable: 2 }), nodes, isNew, { maxSurge: 0, maxUnavailable: 2 }).podsToDelete, ['c1']);
  });
  it('with surge starts new pods beside old ones and deletes the old once the new is available', () => {
    const nodes = new Map<string, Pod[]>([
      ['a', [pod('a1', 'old', true), pod('a2', 'new', true)]],
      ['b', [pod('b1', 'old', true)]],
      ['c', [pod('c1', 'old', true)]],
    ]);
    assert.deepEqual(planRollingUpdate(ds({ maxSurge: 1, maxUnavailable: 0 }), nodes, isNew, { maxSurge: 1, maxUnavailable: 0 }), { podsToDelete: ['a1'], nodesNeedingPods: ['b'] });
    nodes.set('a', [pod('a1', 'old', true), pod('a2', 'new', false)]);
    assert.deepEqual(planRollingUpdate(ds({ maxSurge: 1, maxUnavailable: 0 }), nodes, isNew, { maxSurge: 1, maxUnavailable: 0 }), { podsToDelete: [], nodesNeedingPods: [] });
  });
  it('scales percentages up and never lets both limits be 0', () => {
    assert.deepEqual(rollingUpdateLimits(ds({ maxUnavailable: '10%', maxSurge: 0 }), 15), { maxSurge: 0, maxUnavailable: 2 });
    assert.deepEqual(rollingUpdateLimits(ds({ maxUnavailable: 0, maxSurge: 0 }), 3), { maxSurge: 0, maxUnavailable: 1 });
  });
});

describe('nodeShouldRunDaemonPod', () => {
  const node = (extra: Partial<Node['spec']> = {}, labels: Record<string, string> = {}): Node => ({ metadata: { name: 'n1', labels }, spec: { ...extra } });
  it('runs on tolerated standard taints, not on foreign NoSchedule ones, but keeps a running pod there', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(node({ taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), ds({})), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node({ unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }), ds({})), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node({ taints: [{ key: 'x', effect: 'NoSchedule' }] }), ds({})), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node({ taints: [{ key: 'x', effect: 'NoExecute' }] }), ds({})), { shouldRun: false, shouldContinueRunning: false });
    const tolerant = ds({}, { tolerations: [{ key: 'x', operator: 'Exists' }] });
    assert.deepEqual(nodeShouldRunDaemonPod(node({ taints: [{ key: 'x', effect: 'NoExecute' }] }), tolerant), { shouldRun: true, shouldContinueRunning: true });
  });
  it('follows nodeSelector and required node affinity', () => {
    const selective = ds({}, { nodeSelector: { disk: 'ssd' } });
    assert.equal(nodeShouldRunDaemonPod(node({}, { disk: 'ssd' }), selective).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node({}, { disk: 'hdd' }), selective).shouldRun, false);
    const affine = ds({}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } });
    assert.equal(nodeShouldRunDaemonPod(node({}, { zone: 'a' }), affine).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node({}, { zone: 'b' }), affine).shouldRun, false);
  });
});

describe('node name affinity', () => {
  it('pins every required term to the node, keeping its expressions', () => {
    const affinity = replaceNodeNameAffinity(
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['other'] }] }] } } },
      'n1',
    );
    assert.deepEqual(affinity.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }],
    });
    assert.equal(targetNodeName({ metadata: {}, spec: { affinity } }), 'n1');
  });
});
