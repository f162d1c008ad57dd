/**
 * Every filter of the default profile, end to end: nodes and pods go through
 * the API server, the scheduler binds through pods/binding, and the test reads
 * spec.nodeName back. Where a filter must keep a pod off a node, that node is
 * made the one scoring would pick, so a broken filter shows as a wrong node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeSelectorRequirement } from '../../../scheduler/framework/types.ts';
import {
  createNode,
  createPod,
  deletePod,
  getPod,
  listPods,
  schedule,
  scheduleUnschedulable,
  startSchedulerE2E,
  waitForNodeName,
  type SchedulerE2E,
} from './support.ts';

let e: SchedulerE2E;
before(async () => {
  e = await startSchedulerE2E();
});
after(async () => {
  await e?.stop();
});

/** Sum of cpu requests (millicores) of the pods bound to each node. */
async function cpuByNode(ns: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const p of await listPods(e.c, ns)) {
    const n = p.spec.nodeName;
    if (!n) continue;
    const cpu = String(p.spec.containers[0]?.resources?.requests?.['cpu'] ?? '0');
    const milli = cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
    out.set(n, (out.get(n) ?? 0) + milli);
  }
  return out;
}

describe('scheduler filters (end to end)', () => {
  it('NodeUnschedulable: a cordoned node takes only pods tolerating node.kubernetes.io/unschedulable', async () => {
    const ns = 'f-unsched';
    await e.fresh(ns);
    await createNode(e.c, 'fu-cordoned', { cpu: '64', unschedulable: true });
    await createNode(e.c, 'fu-open', { cpu: '2' });
    // The cordoned node is by far the emptier one, yet small pods must avoid it.
    for (let i = 0; i < 3; i++) assert.equal(await schedule(e.c, ns, `small-${i}`, { cpu: '100m' }), 'fu-open');
    assert.equal(
      await scheduleUnschedulable(e.c, ns, 'big', { cpu: '4' }),
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.',
    );
    const tolerating = await schedule(e.c, ns, 'big-tolerating', {
      cpu: '4',
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
    });
    assert.equal(tolerating, 'fu-cordoned');
  });

  it('NodeName: a pod with spec.nodeName is left alone, counts on its node, and a missing node is not the scheduler\'s business', async () => {
    const ns = 'f-nodename';
    await e.fresh(ns);
    await createNode(e.c, 'fn-a', { cpu: '2' });
    await createNode(e.c, 'fn-b', { cpu: '2' });
    const pinned = await createPod(e.c, ns, 'pinned', { cpu: '1500m', nodeName: 'fn-a' });
    const ghost = await createPod(e.c, ns, 'ghost', { cpu: '1', nodeName: 'fn-nonexistent' });
    // The pinned pod's 1.5 cpu count on fn-a: a 1 cpu pod fits only fn-b, twice in a row.
    assert.equal(await schedule(e.c, ns, 'after-1', { cpu: '1' }), 'fn-b');
    assert.equal(await schedule(e.c, ns, 'after-2', { cpu: '1' }), 'fn-b');
    assert.equal(await scheduleUnschedulable(e.c, ns, 'after-3', { cpu: '1' }), '0/2 nodes are available: 2 Insufficient cpu.');
    for (const [name, before, node] of [['pinned', pinned, 'fn-a'], ['ghost', ghost, 'fn-nonexistent']] as const) {
      const now = await getPod(e.c, ns, name);
      assert.equal(now.spec.nodeName, node);
      assert.equal(now.metadata.resourceVersion, before.metadata.resourceVersion, `${name} was written to after creation`);
    }
    const events = await e.c.server.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dghost`);
    assert.deepEqual(events.json.items, []);
  });

  it('nodeSelector: only nodes with every selected label', async () => {
    const ns = 'f-selector';
    await e.fresh(ns);
    await createNode(e.c, 'fs-ssd', { cpu: '2', labels: { disk: 'ssd', rack: 'r1' } });
    await createNode(e.c, 'fs-ssd-r2', { cpu: '64', labels: { disk: 'ssd', rack: 'r2' } });
    await createNode(e.c, 'fs-hdd', { cpu: '64', labels: { disk: 'hdd', rack: 'r1' } });
    for (let i = 0; i < 3; i++) assert.equal(await schedule(e.c, ns, `p-${i}`, { cpu: '100m', nodeSelector: { disk: 'ssd', rack: 'r1' } }), 'fs-ssd');
    assert.equal(
      await scheduleUnschedulable(e.c, ns, 'nvme', { nodeSelector: { disk: 'nvme' } }),
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    );
  });

  it('required node affinity: In, NotIn, Exists, DoesNotExist, Gt, Lt and matchFields metadata.name', async () => {
    const ns = 'f-affinity';
    await e.fresh(ns);
    // Each term below matches only fa-target, the smallest node; the big ones win any score.
    await createNode(e.c, 'fa-target', { cpu: '2', labels: { tier: 'gold', gpu: 'yes', gen: '50', rank: '2' } });
    await createNode(e.c, 'fa-big-1', { cpu: '64', labels: { tier: 'silver', gen: '3', rank: '10', spot: 'true' } });
    await createNode(e.c, 'fa-big-2', { cpu: '64', labels: { tier: 'bronze', gen: 'v9', rank: '7', spot: 'false' } });
    const cases: [string, NodeSelectorRequirement[], NodeSelectorRequirement[]?][] = [
      ['in', [{ key: 'tier', operator: 'In', values: ['gold', 'platinum'] }]],
      ['notin', [{ key: 'tier', operator: 'NotIn', values: ['silver', 'bronze'] }]],
      ['exists', [{ key: 'gpu', operator: 'Exists' }]],
      ['doesnotexist', [{ key: 'spot', operator: 'DoesNotExist' }]],
      // Integers, not strings ('50' > '6'); 'v9' is no integer, so Gt is false there rather than an error.
      ['gt', [{ key: 'gen', operator: 'Gt', values: ['6'] }]],
      ['lt', [{ key: 'rank', operator: 'Lt', values: ['5'] }]],
      ['matchfields', [], [{ key: 'metadata.name', operator: 'In', values: ['fa-target'] }]],
    ];
    for (const [name, matchExpressions, matchFields] of cases) {
      const node = await schedule(e.c, ns, name, {
        cpu: '100m',
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ ...(matchExpressions.length ? { matchExpressions } : {}), ...(matchFields ? { matchFields } : {}) }],
            },
          },
        },
      });
      assert.equal(node, 'fa-target', `operator case ${name}`);
    }
    // Terms are ORed: one that matches nothing does not stop another.
    assert.equal(
      await schedule(e.c, ns, 'or-terms', {
        cpu: '100m',
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['none'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['fa-target'] }] }],
            },
          },
        },
      }),
      'fa-target',
    );
    // Requirements within a term are ANDed: gold and spot together exist nowhere.
    assert.equal(
      await scheduleUnschedulable(e.c, ns, 'and-nowhere', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }, { key: 'spot', operator: 'Exists' }] }],
            },
          },
        },
      }),
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    );
  });

  it('taints: NoSchedule and NoExecute filter unless tolerated (Equal/Exists); PreferNoSchedule does not filter', async () => {
    const ns = 'f-taints';
    await e.fresh(ns);
    await createNode(e.c, 'ft-noschedule', { cpu: '64', taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    await createNode(e.c, 'ft-noexecute', { cpu: '64', taints: [{ key: 'maint', effect: 'NoExecute' }] });
    await createNode(e.c, 'ft-prefer', { cpu: '8', taints: [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }] });
    await createNode(e.c, 'ft-plain', { cpu: '2' });
    // 3 cpu fits only the prefer-tainted node among the untainted-for-filtering ones.
    assert.equal(await schedule(e.c, ns, 'prefer-ok', { cpu: '3' }), 'ft-prefer');
    // 10 cpu fits only the two big tainted nodes; the toleration decides which.
    assert.equal(
      await schedule(e.c, ns, 'equal', { cpu: '10', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }),
      'ft-noschedule',
    );
    assert.equal(await schedule(e.c, ns, 'exists', { cpu: '10', tolerations: [{ key: 'maint', operator: 'Exists' }] }), 'ft-noexecute');
    assert.equal(
      await schedule(e.c, ns, 'exists-effect', { cpu: '10', tolerations: [{ key: 'maint', operator: 'Exists', effect: 'NoExecute' }] }),
      'ft-noexecute',
    );
    const untolerated = "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint {maint: }, 2 Insufficient cpu.";
    assert.equal(await scheduleUnschedulable(e.c, ns, 'none', { cpu: '10' }), untolerated);
    // Wrong value, and right key with the wrong effect, tolerate nothing.
    assert.equal(
      await scheduleUnschedulable(e.c, ns, 'wrong-value', { cpu: '10', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }] }),
      untolerated,
    );
    assert.equal(
      await scheduleUnschedulable(e.c, ns, 'wrong-effect', { cpu: '10', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute' }] }),
      untolerated,
    );
  });

  for (const [resource, nodeAlloc, podReq, reason] of [
    ['cpu', { cpu: '1' }, { cpu: '600m' }, 'Insufficient cpu'],
    ['memory', { memory: '1Gi' }, { memory: '600Mi' }, 'Insufficient memory'],
    ['ephemeral-storage', { ephemeralStorage: '1Gi' }, { ephemeralStorage: '600Mi' }, 'Insufficient ephemeral-storage'],
    ['pods', { pods: '1' }, {}, 'Too many pods'],
  ] as const) {
    it(`NodeResourcesFit ${resource}: allocatable minus the pods already placed`, async () => {
      const ns = `f-fit-${resource}`;
      await e.fresh(ns);
      await createNode(e.c, `fr-${resource}-a`, nodeAlloc);
      await createNode(e.c, `fr-${resource}-b`, nodeAlloc);
      // Each node holds one; the second pod must see the first one's request.
      const first = await schedule(e.c, ns, 'one', podReq);
      const second = await schedule(e.c, ns, 'two', podReq);
      assert.notEqual(first, second);
      assert.equal(await scheduleUnschedulable(e.c, ns, 'three', podReq), `0/2 nodes are available: 2 ${reason}.`);
      // Freeing one node lets the third in there.
      await deletePod(e.c, ns, 'one');
      assert.equal(await waitForNodeName(e.c, ns, 'three'), first);
    });
  }

  it('NodeResourcesFit: every short resource is counted, cpu and memory together', async () => {
    const ns = 'f-fit-multi';
    await e.fresh(ns);
    await createNode(e.c, 'fm-a', { cpu: '1', memory: '1Gi' });
    await createPod(e.c, ns, 'pinned', { cpu: '800m', nodeName: 'fm-a' });
    assert.equal(await scheduleUnschedulable(e.c, ns, 'both', { cpu: '500m', memory: '2Gi' }), '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.');
    assert.equal(await schedule(e.c, ns, 'fits', { cpu: '200m', memory: '1Gi' }), 'fm-a');
    assert.deepEqual(await cpuByNode(ns), new Map([['fm-a', 1000]]));
  });

  it('NodePorts: the same hostPort and protocol conflict, another protocol does not', async () => {
    const ns = 'f-ports';
    await e.fresh(ns);
    await createNode(e.c, 'fp-1');
    await createNode(e.c, 'fp-2');
    const a = await schedule(e.c, ns, 'tcp-a', { hostPorts: [{ port: 8080 }] });
    const b = await schedule(e.c, ns, 'tcp-b', { hostPorts: [{ port: 8080 }] });
    assert.notEqual(a, b, 'two pods with hostPort 8080/TCP landed on the same node');
    assert.equal(
      await scheduleUnschedulable(e.c, ns, 'tcp-c', { hostPorts: [{ port: 8080 }] }),
      "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.",
    );
    // 8080/TCP is taken on both nodes; 8080/UDP is free on both.
    await schedule(e.c, ns, 'udp', { hostPorts: [{ port: 8080, protocol: 'UDP' }] });
    await deletePod(e.c, ns, 'tcp-a');
    assert.equal(await waitForNodeName(e.c, ns, 'tcp-c'), a);
  });
});
