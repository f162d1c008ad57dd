/**
 * The DaemonSet controller against a real API server, the scheduler and
 * simulated nodes: one pod per matching node, pinned by node affinity and
 * bound by the scheduler; nodeSelector and taints exclude nodes; a node that
 * joins gets a pod; a rolling update never leaves more than maxUnavailable
 * nodes without an available pod; OnDelete waits; and the real kubectl's
 * rollout status, history and undo work on the ControllerRevisions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SharedInformer } from '../../client/cache/shared-informer.ts';
import { isPodReady } from '../../controllers/controller-utils/pod-readiness.ts';
import type { Pod } from '../../controllers/controller-utils/workload-objects.ts';
import type { ControllerRevision, DaemonSet, Node } from '../../controllers/daemon/daemonset-types.ts';
import { startWorkloadCluster, waitFor, type WorkloadCluster } from './workload-support/workload-cluster.ts';

let w: WorkloadCluster;
const nodePrefix = `dsn${process.pid}`;

before(async () => {
  w = await startWorkloadCluster({ daemonSets: true, nodeCount: 3, nodePrefix });
});
after(async () => {
  await w?.stop();
});

const dsPath = (namespace: string, name?: string) => ({ group: 'apps', version: 'v1', plural: 'daemonsets', namespace, ...(name ? { name } : {}) });
const podsPath = (namespace: string) => ({ group: '', version: 'v1', plural: 'pods', namespace });
const nodesPath = (name?: string) => ({ group: '', version: 'v1', plural: 'nodes', ...(name ? { name } : {}) });

function daemonSet(name: string, extra: { nodeSelector?: Record<string, string>; strategy?: DaemonSet['spec']['updateStrategy']; image?: string } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      ...(extra.strategy ? { updateStrategy: extra.strategy } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: { ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}), containers: [{ name: 'agent', image: extra.image ?? 'registry.k8s.io/pause:3.9' }] },
      },
    },
  };
}

async function nodeNames(): Promise<string[]> {
  return (await w.client.list<Node>(nodesPath())).items.map((n) => n.metadata.name!).sort();
}

async function livePods(ns: string): Promise<Pod[]> {
  return (await w.client.list<Pod>(podsPath(ns))).items.filter((p) => !p.metadata.deletionTimestamp);
}

function imageOf(p: Pod): string {
  return (p.spec?.['containers'] as Array<{ image: string }>)[0]!.image;
}

/** Live pods per node once every one is bound and ready. */
async function waitForPodsOn(ns: string, nodes: readonly string[], what: string, extra: (pods: Pod[]) => boolean = () => true): Promise<Pod[]> {
  return waitFor(what, async () => {
    const pods = await livePods(ns);
    const placed = pods.map((p) => p.spec?.nodeName ?? '').sort();
    return JSON.stringify(placed) === JSON.stringify([...nodes].sort()) && pods.every(isPodReady) && extra(pods) ? pods : undefined;
  });
}

async function waitForStatus(ns: string, name: string, want: Partial<Record<string, number>>): Promise<DaemonSet> {
  return waitFor(`status ${JSON.stringify(want)}`, async () => {
    const ds = await w.client.get<DaemonSet>(dsPath(ns, name));
    const s = (ds.status ?? {}) as Record<string, number | undefined>;
    const ok = Object.entries(want).every(([k, v]) => (s[k] ?? 0) === v) && s['observedGeneration'] === ds.metadata.generation;
    return ok ? ds : undefined;
  });
}

async function revisions(ns: string): Promise<ControllerRevision[]> {
  return (await w.client.list<ControllerRevision>({ group: 'apps', version: 'v1', plural: 'controllerrevisions', namespace: ns })).items;
}

describe('DaemonSet controller', () => {
  it('runs one pod per node, pinned by node affinity and bound by the scheduler, and reports status', async () => {
    const ns = await w.namespace('ds-place');
    const created = await w.client.create<DaemonSet>(dsPath(ns), daemonSet('agent'));
    const nodes = await nodeNames();
    const pods = await waitForPodsOn(ns, nodes, 'a ready pod on every node');
    for (const p of pods) {
      assert.match(p.metadata.name!, /^agent-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      const affinity = p.spec?.['affinity'] as { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: unknown } };
      assert.deepEqual(affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution, {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec?.nodeName] }] }],
      });
      const tolerations = (p.spec?.['tolerations'] as Array<{ key: string; operator: string; effect: string; tolerationSeconds?: number }>).map((t) => `${t.key}:${t.operator}:${t.effect}:${t.tolerationSeconds ?? ''}`);
      for (const want of [
        'node.kubernetes.io/not-ready:Exists:NoExecute:',
        'node.kubernetes.io/unreachable:Exists:NoExecute:',
        'node.kubernetes.io/disk-pressure:Exists:NoSchedule:',
        'node.kubernetes.io/memory-pressure:Exists:NoSchedule:',
        'node.kubernetes.io/pid-pressure:Exists:NoSchedule:',
        'node.kubernetes.io/unschedulable:Exists:NoSchedule:',
      ]) {
        assert.ok(tolerations.includes(want), `toleration ${want} in ${tolerations.join(', ')}`);
      }
      assert.equal(p.metadata.labels?.['pod-template-generation'], '1');
      assert.ok(p.metadata.labels?.['controller-revision-hash']);
    }
    const ds = await waitForStatus(ns, 'agent', {
      desiredNumberScheduled: nodes.length,
      currentNumberScheduled: nodes.length,
      numberReady: nodes.length,
      numberAvailable: nodes.length,
      updatedNumberScheduled: nodes.length,
      numberMisscheduled: 0,
    });
    assert.equal(ds.status?.numberUnavailable, undefined);
    const revs = await revisions(ns);
    assert.equal(revs.length, 1);
    assert.equal(revs[0]!.revision, 1);
    assert.equal(revs[0]!.metadata.name, `agent-${pods[0]!.metadata.labels?.['controller-revision-hash']}`);
    const status = await w.c.kubectl(['rollout', 'status', 'ds/agent', '-n', ns, '--timeout=30s']);
    assert.match(status.stdout, /daemon set "agent" successfully rolled out/);
    const get = await w.c.kubectl(['get', 'ds', 'agent', '-n', ns]);
    assert.match(get.stdout, new RegExp(`^agent\\s+${nodes.length}\\s+${nodes.length}\\s+${nodes.length}\\s+${nodes.length}\\s+${nodes.length}\\s+`, 'm'));
    const evs = (await w.client.list({ group: '', version: 'v1', plural: 'events', namespace: ns })).items as unknown as Array<{ reason: string; message: string }>;
    assert.equal(evs.filter((e) => e.reason === 'SuccessfulCreate' && /^Created pod: agent-[a-z0-9]{5}$/.test(e.message)).length, nodes.length);
  });

  it('follows nodeSelector: only labelled nodes get a pod, and a node losing the label loses its pod', async () => {
    const ns = await w.namespace('ds-select');
    const nodes = await nodeNames();
    const chosen = nodes[0]!;
    const label = `ds-select-${process.pid}`;
    await w.client.patch(nodesPath(chosen), 'merge', { metadata: { labels: { [label]: 'yes' } } });
    try {
      await w.client.create<DaemonSet>(dsPath(ns), daemonSet('picky', { nodeSelector: { [label]: 'yes' } }));
      await waitForPodsOn(ns, [chosen], 'a pod on the labelled node only');
      await waitForStatus(ns, 'picky', { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1 });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await livePods(ns)).length, 1);
    } finally {
      await w.client.patch(nodesPath(chosen), 'merge', { metadata: { labels: { [label]: null } } });
    }
    await waitFor('pod removed from the unlabelled node', async () => ((await livePods(ns)).length === 0 ? true : undefined));
    await waitForStatus(ns, 'picky', { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0 });
  });

  it('places no pod on a node with a taint it does not tolerate', async () => {
    const ns = await w.namespace('ds-taint');
    const nodes = await nodeNames();
    const tainted = nodes[1]!;
    const taint = { key: `dedicated-${process.pid}`, value: 'db', effect: 'NoSchedule' };
    const node = await w.client.get<Node>(nodesPath(tainted));
    await w.client.patch(nodesPath(tainted), 'merge', { spec: { taints: [...(node.spec?.taints ?? []), taint] } });
    try {
      await w.client.create<DaemonSet>(dsPath(ns), daemonSet('picky'));
      const others = nodes.filter((n) => n !== tainted);
      await waitForPodsOn(ns, others, 'pods on the untainted nodes');
      await waitForStatus(ns, 'picky', { desiredNumberScheduled: others.length, currentNumberScheduled: others.length, numberReady: others.length });
      await new Promise((r) => setTimeout(r, 300));
      assert.ok((await livePods(ns)).every((p) => p.spec?.nodeName !== tainted));
    } finally {
      const cur = await w.client.get<Node>(nodesPath(tainted));
      await w.client.patch(nodesPath(tainted), 'merge', { spec: { taints: (cur.spec?.taints ?? []).filter((t) => t.key !== taint.key) } });
    }
    await waitForPodsOn(ns, nodes, 'the untainted node gets its pod');
  });

  it('rolls an image update out within maxUnavailable at every step; kubectl rollout status, history and undo work', async () => {
    const ns = await w.namespace('ds-roll');
    await w.client.create<DaemonSet>(dsPath(ns), daemonSet('roll', { image: 'example.com/agent:v1', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } }));
    const nodes = await nodeNames();
    await waitForPodsOn(ns, nodes, 'v1 on every node');
    await w.c.kubectl(['rollout', 'status', 'ds/roll', '-n', ns, '--timeout=30s']);

    // Watch every pod event and check the invariant on the cache after each.
    const watcher = new SharedInformer<Pod>(w.client, { path: { group: '', version: 'v1', plural: 'pods' }, onError: () => undefined });
    const violations: string[] = [];
    let maxUnavailableSeen = 0;
    const check = () => {
      const pods = watcher.lister.list(ns).filter((p) => !p.metadata.deletionTimestamp);
      const availableNodes = new Set(pods.filter(isPodReady).map((p) => p.spec?.nodeName));
      const unavailable = nodes.filter((n) => !availableNodes.has(n)).length;
      maxUnavailableSeen = Math.max(maxUnavailableSeen, unavailable);
      if (unavailable > 1) violations.push(`${unavailable} nodes without an available pod: ${pods.map((p) => `${p.metadata.name}@${p.spec?.nodeName}:${imageOf(p)}:${isPodReady(p)}`).join(' ')}`);
    };
    watcher.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    const stopWatch = new AbortController();
    const watching = watcher.run(stopWatch.signal);
    try {
      assert.ok(await watcher.waitForCacheSync(AbortSignal.timeout(10_000)));
      await w.c.kubectl(['set', 'image', 'ds/roll', 'agent=example.com/agent:v2', '-n', ns]);
      const status = await w.c.kubectl(['rollout', 'status', 'ds/roll', '-n', ns, '--timeout=60s']);
      assert.match(status.stdout, /daemon set "roll" successfully rolled out/);
      await waitForPodsOn(ns, nodes, 'v2 on every node', (pods) => pods.every((p) => imageOf(p) === 'example.com/agent:v2'));
    } finally {
      stopWatch.abort();
      await watching;
    }
    assert.deepEqual(violations, []);
    assert.equal(maxUnavailableSeen, 1, 'one node at a time was replaced');
    await waitForStatus(ns, 'roll', { desiredNumberScheduled: nodes.length, updatedNumberScheduled: nodes.length, numberAvailable: nodes.length });

    const revs = (await revisions(ns)).sort((a, b) => a.revision - b.revision);
    assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
    const history = await w.c.kubectl(['rollout', 'history', 'ds/roll', '-n', ns]);
    assert.match(history.stdout, /^REVISION\s+CHANGE-CAUSE/m);
    assert.match(history.stdout, /^1\s+<none>/m);
    assert.match(history.stdout, /^2\s+<none>/m);
    const rev1 = await w.c.kubectl(['rollout', 'history', 'ds/roll', '-n', ns, '--revision=1']);
    assert.match(rev1.stdout, /example\.com\/agent:v1/);

    const undo = await w.c.kubectl(['rollout', 'undo', 'ds/roll', '-n', ns]);
    assert.match(undo.stdout, /daemonset\.apps\/roll rolled back/);
    await w.c.kubectl(['rollout', 'status', 'ds/roll', '-n', ns, '--timeout=60s']);
    await waitForPodsOn(ns, nodes, 'v1 again on every node', (pods) => pods.every((p) => imageOf(p) === 'example.com/agent:v1'));
    const after = (await revisions(ns)).sort((a, b) => a.revision - b.revision);
    assert.deepEqual(after.map((r) => r.revision), [2, 3], 'the v1 revision became revision 3');
    assert.equal(after[1]!.metadata.name, revs[0]!.metadata.name);
  });

  it('with maxSurge, starts the new pod beside the old one and keeps every node available', async () => {
    const ns = await w.namespace('ds-surge');
    await w.client.create<DaemonSet>(dsPath(ns), daemonSet('surge', { image: 'example.com/agent:v1', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
    const nodes = await nodeNames();
    await waitForPodsOn(ns, nodes, 'v1 on every node');
    const watcher = new SharedInformer<Pod>(w.client, { path: { group: '', version: 'v1', plural: 'pods' }, onError: () => undefined });
    const violations: string[] = [];
    let maxPods = 0;
    const check = () => {
      const pods = watcher.lister.list(ns).filter((p) => !p.metadata.deletionTimestamp);
      maxPods = Math.max(maxPods, pods.length);
      const availableNodes = new Set(pods.filter(isPodReady).map((p) => p.spec?.nodeName));
      const missing = nodes.filter((n) => !availableNodes.has(n));
      if (missing.length > 0) violations.push(`no available pod on ${missing.join(',')}`);
      if (pods.length > nodes.length + 1) violations.push(`${pods.length} pods, more than one surge pod`);
    };
    watcher.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    const stopWatch = new AbortController();
    const watching = watcher.run(stopWatch.signal);
    try {
      assert.ok(await watcher.waitForCacheSync(AbortSignal.timeout(10_000)));
      await w.c.kubectl(['set', 'image', 'ds/surge', 'agent=example.com/agent:v2', '-n', ns]);
      await w.c.kubectl(['rollout', 'status', 'ds/surge', '-n', ns, '--timeout=60s']);
      await waitForPodsOn(ns, nodes, 'v2 on every node', (pods) => pods.every((p) => imageOf(p) === 'example.com/agent:v2'));
    } finally {
      stopWatch.abort();
      await watching;
    }
    assert.deepEqual(violations, []);
    assert.equal(maxPods, nodes.length + 1, 'one surge pod at a time');
  });

  it('with OnDelete, replaces a pod only once it is deleted', async () => {
    const ns = await w.namespace('ds-ondelete');
    await w.client.create<DaemonSet>(dsPath(ns), daemonSet('manual', { image: 'example.com/agent:v1', strategy: { type: 'OnDelete' } }));
    const nodes = await nodeNames();
    const before = await waitForPodsOn(ns, nodes, 'v1 on every node');
    await w.client.patch(dsPath(ns, 'manual'), 'strategic', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'example.com/agent:v2' }] } } } });
    await waitForStatus(ns, 'manual', { desiredNumberScheduled: nodes.length, updatedNumberScheduled: 0 });
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual((await livePods(ns)).map((p) => p.metadata.name).sort(), before.map((p) => p.metadata.name).sort(), 'nothing replaced by itself');
    const victim = before[0]!;
    await w.client.delete({ ...podsPath(ns), name: victim.metadata.name! });
    const pods = await waitForPodsOn(ns, nodes, 'the deleted pod replaced with v2', (ps) => ps.some((p) => p.spec?.nodeName === victim.spec?.nodeName && imageOf(p) === 'example.com/agent:v2'));
    assert.equal(pods.filter((p) => imageOf(p) === 'example.com/agent:v2').length, 1);
    await waitForStatus(ns, 'manual', { desiredNumberScheduled: nodes.length, updatedNumberScheduled: 1 });
  });

  it('gives a node that joins later its pod', async () => {
    const ns = await w.namespace('ds-join');
    await w.client.create<DaemonSet>(dsPath(ns), daemonSet('everywhere'));
    const nodes = await nodeNames();
    await waitForPodsOn(ns, nodes, 'pods on the first nodes');
    const more = await w.addNodes(`dsj${process.pid}`, 1);
    const all = [...nodes, ...more.nodeNames];
    await waitForPodsOn(ns, all, 'a pod on the new node too');
    await waitForStatus(ns, 'everywhere', { desiredNumberScheduled: all.length, currentNumberScheduled: all.length, numberReady: all.length });
    assert.equal(w.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'), '');
  });
});
