/**
 * The node lifecycle and taint eviction controllers against a real etcd + API
 * server, with short durations: a node whose Lease stops being renewed turns
 * Ready=Unknown and gets the unreachable taints, its pods are evicted after
 * their tolerationSeconds (the default one for pods without a toleration) and
 * a pod tolerating unreachable forever stays; renewing the Lease and posting
 * Ready=True removes the taints. A node reporting Ready=False gets the
 * not-ready taints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../client/api/meta.ts';
import { metaNow, microTime } from '../../client/api/meta-time.ts';
import { isNotFound } from '../../client/rest/api-error.ts';
import type { ResourcePath } from '../../client/rest/resource-path.ts';
import { NodeLifecycleController } from '../../controllers/nodelifecycle/node-lifecycle-controller.ts';
import type { Node, NodeCondition, Pod } from '../../controllers/nodelifecycle/pods-by-node.ts';
import type { Taint, Toleration } from '../../controllers/nodelifecycle/taints.ts';
import { type ControllerHarness, holdsFor, startControllerHarness, waitFor } from './gc-support/controller-harness.ts';

let h: ControllerHarness;
const ns = 'nlc-test';
const graceMs = 2_000;
const renewers = new Map<string, AbortController>();

before(async () => {
  h = await startControllerHarness();
  await h.client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  h.start([
    new NodeLifecycleController(h.ctx, {
      nodeMonitorGracePeriodMs: graceMs,
      nodeMonitorPeriodMs: 250,
      defaultUnreachableTolerationSeconds: 1,
      defaultNotReadyTolerationSeconds: 1,
    }),
  ]);
});
after(async () => {
  for (const r of renewers.values()) r.abort();
  await h?.stop();
});

const nodePath = (name: string, subresource?: string): ResourcePath => ({ group: '', version: 'v1', plural: 'nodes', name, ...(subresource ? { subresource } : {}) });
const leasePath = (name?: string): ResourcePath => ({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease', ...(name ? { name } : {}) });
const podPath = (name?: string): ResourcePath => ({ group: '', version: 'v1', plural: 'pods', namespace: ns, ...(name ? { name } : {}) });

function conditions(ready: NodeCondition['status'], reason = 'KubeletReady'): NodeCondition[] {
  const now = metaNow();
  return [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: now, lastTransitionTime: now },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', lastHeartbeatTime: now, lastTransitionTime: now },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', lastHeartbeatTime: now, lastTransitionTime: now },
    { type: 'Ready', status: ready, reason, lastHeartbeatTime: now, lastTransitionTime: now },
  ];
}

/** Posts node status as a kubelet does: fresh heartbeats on every condition. */
async function postStatus(name: string, ready: NodeCondition['status']): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const node = await h.client.get<Node>(nodePath(name));
    try {
      await h.client.update(nodePath(name, 'status'), { ...node, status: { ...node.status, conditions: conditions(ready, ready === 'True' ? 'KubeletReady' : 'KubeletNotReady') } });
      return;
    } catch (err) {
      if (attempt > 5) throw err;
    }
  }
}

async function renewLease(name: string): Promise<void> {
  try {
    const lease = await h.client.get(leasePath(name));
    await h.client.update(leasePath(name), { ...lease, spec: { ...(lease['spec'] as object), renewTime: microTime() } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await h.client.create(leasePath(), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
    });
  }
}

/** A stand-in kubelet heartbeat: renews the node's Lease every 300 ms until stopped. */
function startRenewing(name: string): void {
  const stop = new AbortController();
  renewers.set(name, stop);
  void (async () => {
    while (!stop.signal.aborted) {
      await renewLease(name).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
}

function stopRenewing(name: string): void {
  renewers.get(name)?.abort();
  renewers.delete(name);
}

async function addNode(name: string): Promise<void> {
  await h.client.create({ group: '', version: 'v1', plural: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  await postStatus(name, 'True');
  await renewLease(name);
  startRenewing(name);
}

async function addPod(name: string, nodeName: string, tolerations?: Toleration[]): Promise<Pod> {
  return h.client.create<Pod>(podPath(), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) },
  });
}

const node = (name: string) => h.client.get<Node>(nodePath(name));
const taintKeys = (n: Node) => (n.spec?.taints ?? []).map((t: Taint) => `${t.key}:${t.effect}`).sort();
const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready');

async function podDeleting(name: string): Promise<boolean> {
  try {
    const pod = await h.client.get(podPath(name));
    return pod.metadata.deletionTimestamp !== undefined;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

describe('node lifecycle controller', () => {
  it('the kube-node-lease namespace exists', async () => {
    const lease = await h.client.get({ group: '', version: 'v1', plural: 'namespaces', name: 'kube-node-lease' });
    assert.equal(lease.metadata.name, 'kube-node-lease');
  });

  it('leaves a node with a fresh lease alone', async () => {
    await addNode('nlc-healthy');
    await holdsFor(
      'nlc-healthy to stay Ready without taints',
      async () => {
        const n = await node('nlc-healthy');
        return ready(n)?.status === 'True' && taintKeys(n).length === 0;
      },
      graceMs + 1_500,
    );
  });

  it('lease expiry → Ready Unknown + unreachable taints → pods evicted after toleration; renewal → taints removed', async () => {
    await addNode('nlc-lost');
    await addPod('nlc-default', 'nlc-lost');
    await addPod('nlc-short', 'nlc-lost', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
    await addPod('nlc-forever', 'nlc-lost', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    await addPod('nlc-bystander', 'nlc-healthy');
    // Give the controller a look at the healthy node before the heartbeat stops.
    await new Promise((r) => setTimeout(r, 500));

    stopRenewing('nlc-lost');
    const stoppedAt = Date.now();
    const lost = await waitFor('nlc-lost to become Ready=Unknown', async () => {
      const n = await node('nlc-lost');
      return ready(n)?.status === 'Unknown' ? n : undefined;
    });
    assert.ok(Date.now() - stoppedAt >= graceMs - 300, `not before the grace period (${Date.now() - stoppedAt} ms)`);
    const r = ready(lost)!;
    assert.equal(r.reason, 'NodeStatusUnknown');
    assert.equal(r.message, 'Kubelet stopped posting node status.');
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      assert.equal(lost.status?.conditions?.find((c) => c.type === type)?.status, 'Unknown', type);
    }
    const tainted = await waitFor('nlc-lost to be tainted unreachable', async () => {
      const n = await node('nlc-lost');
      return taintKeys(n).length === 2 ? n : undefined;
    });
    assert.deepEqual(taintKeys(tainted), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.ok(tainted.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded, 'NoExecute taints carry timeAdded');
    const taintedAt = Date.now();

    // The default toleration (1 s here) and the explicit 2 s one run out; the unbounded one never does.
    await waitFor('nlc-default evicted', async () => ((await podDeleting('nlc-default')) ? true : undefined));
    await waitFor('nlc-short evicted', async () => ((await podDeleting('nlc-short')) ? true : undefined));
    assert.ok(Date.now() - taintedAt >= 1_500, `nlc-short kept for its tolerationSeconds (${Date.now() - taintedAt} ms)`);
    const evicted = await h.client.get<Pod>(podPath('nlc-short'));
    const disruption = evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(disruption?.status, 'True');
    assert.equal(disruption?.reason, 'DeletionByTaintManager');
    const events = await waitFor('the eviction events', async () => {
      const list = await h.client.list({ group: '', version: 'v1', plural: 'events', namespace: ns });
      const evictions = list.items.filter((e: KubeObject) => e['reason'] === 'TaintManagerEviction');
      return evictions.length >= 2 ? evictions : undefined;
    });
    assert.ok(events.some((e) => e['message'] === `Marking for deletion Pod ${ns}/nlc-short`), JSON.stringify(events.map((e) => e['message'])));
    await holdsFor('nlc-forever and nlc-bystander to stay', async () => !(await podDeleting('nlc-forever')) && !(await podDeleting('nlc-bystander')), 2_000);

    // The kubelet comes back: a fresh lease and Ready=True.
    startRenewing('nlc-lost');
    await postStatus('nlc-lost', 'True');
    await waitFor('nlc-lost to lose its taints', async () => {
      const n = await node('nlc-lost');
      return ready(n)?.status === 'True' && taintKeys(n).length === 0 ? true : undefined;
    });
    await holdsFor(
      'nlc-lost to stay healthy while the lease is renewed',
      async () => {
        const n = await node('nlc-lost');
        return ready(n)?.status === 'True' && taintKeys(n).length === 0;
      },
      graceMs + 1_000,
    );
    assert.equal(await podDeleting('nlc-forever'), false);
  });

  it('taints a node that reports Ready=False as not-ready', async () => {
    await addNode('nlc-notready');
    await postStatus('nlc-notready', 'False');
    const n = await waitFor('nlc-notready to be tainted not-ready', async () => {
      const current = await node('nlc-notready');
      return taintKeys(current).length === 2 ? current : undefined;
    });
    assert.deepEqual(taintKeys(n), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    assert.equal(ready(n)?.status, 'False', 'the kubelet-reported condition is kept');
    await postStatus('nlc-notready', 'True');
    await waitFor('nlc-notready untainted', async () => (taintKeys(await node('nlc-notready')).length === 0 ? true : undefined));
  });

  it('reported no errors along the way', () => {
    assert.deepEqual(h.errors.map((e) => (e instanceof Error ? e.message : String(e))), []);
  });
});
