/**
 * No double-booking under concurrent binds, end to end. One scheduler given a
 * burst of pods fills nodes exactly to allocatable (its assume cache counts
 * binds still in flight). Two schedulers without leader election racing over
 * the same pods cannot bind any pod twice: pods/binding sets spec.nodeName
 * once and answers 409 Conflict to every later binding. Two schedulers may
 * still over-commit capacity, since neither sees the other's assumptions;
 * Kubernetes does not guarantee otherwise, so that is not asserted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { ApiError } from '../../../client/rest/api-error.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import type { Pod } from '../../../scheduler/framework/types.ts';
import { Scheduler } from '../../../scheduler/scheduler.ts';
import { createNode, createPod, listPods, podObject, podScheduledCondition, startSchedulerE2E, waitFor, type SchedulerE2E } from './support.ts';

let e: SchedulerE2E;
before(async () => {
  e = await startSchedulerE2E();
});
after(async () => {
  await e?.stop();
});

async function createPods(ns: string, names: readonly string[], cpu: string): Promise<void> {
  // 25 at a time: a burst, without opening hundreds of sockets at once.
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(names.slice(i, i + 25).map(async (name) => {
      const r = await e.c.server.api('POST', `/api/v1/namespaces/${ns}/pods`, podObject(ns, name, { cpu }));
      assert.equal(r.statusCode, 201, r.text);
    }));
  }
}

function milliCPU(pod: Pod): number {
  const cpu = String(pod.spec.containers[0]?.resources?.requests?.['cpu'] ?? '0');
  return cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
}

describe('concurrent binds (end to end)', () => {
  it('a burst of 200 pods onto room for exactly 100: 100 bound, none over allocatable, the rest Unschedulable', async () => {
    const ns = 'c-burst';
    await e.fresh(ns);
    e.errors.length = 0;
    const nodes = ['cb-1', 'cb-2', 'cb-3', 'cb-4'];
    // 2500m / 100m = 25 pods per node.
    for (const n of nodes) await createNode(e.c, n, { cpu: '2500m' });
    const names = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
    await createPods(ns, names, '100m');
    const pods = await waitFor(
      '100 pods bound and 100 reported Unschedulable',
      async () => {
        const pods = await listPods(e.c, ns);
        const bound = pods.filter((p) => p.spec.nodeName).length;
        const unschedulable = pods.filter((p) => !p.spec.nodeName && podScheduledCondition(p)?.reason === 'Unschedulable').length;
        return bound + unschedulable === 200 ? pods : undefined;
      },
      30_000,
    );
    const perNode = new Map<string, number>();
    for (const p of pods) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + milliCPU(p));
    for (const n of nodes) assert.ok((perNode.get(n) ?? 0) <= 2500, `node ${n} holds ${perNode.get(n)}m of 2500m allocatable`);
    assert.equal(pods.filter((p) => p.spec.nodeName).length, 100, `per-node cpu: ${JSON.stringify([...perNode])}`);
    for (const p of pods.filter((x) => !x.spec.nodeName)) {
      assert.equal(podScheduledCondition(p)?.message, '0/4 nodes are available: 4 Insufficient cpu.');
    }
    // Nothing more gets in later, e.g. when the assumed pods are confirmed.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await listPods(e.c, ns)).filter((p) => p.spec.nodeName).length, 100);
    assert.deepEqual(e.errors, []);
  });

  it('the binding subresource binds a pod once: of two racing bindings one wins, the other and any later one get 409', async () => {
    const ns = 'c-binding';
    await e.fresh(ns);
    await createNode(e.c, 'cbd-1');
    await createNode(e.c, 'cbd-2');
    // A scheduler name nobody serves: only this test binds it.
    await createPod(e.c, ns, 'race', { schedulerName: 'nobody' });
    const bind = (node: string) =>
      e.c.server.api('POST', `/api/v1/namespaces/${ns}/pods/race/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'race', namespace: ns },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    const [a, b] = await Promise.all([bind('cbd-1'), bind('cbd-2')]);
    const codes = [a.statusCode, b.statusCode].sort();
    assert.deepEqual(codes, [201, 409], `${a.text} / ${b.text}`);
    const loser = a.statusCode === 409 ? a : b;
    assert.equal(loser.json.reason, 'Conflict');
    const winner = a.statusCode === 201 ? 'cbd-1' : 'cbd-2';
    const pod = (await e.c.server.api('GET', `/api/v1/namespaces/${ns}/pods/race`)).json as Pod;
    assert.equal(pod.spec.nodeName, winner);
    const again = await bind(winner === 'cbd-1' ? 'cbd-2' : 'cbd-1');
    assert.equal(again.statusCode, 409, again.text);
    assert.equal(again.json.reason, 'Conflict');
    assert.equal(((await e.c.server.api('GET', `/api/v1/namespaces/${ns}/pods/race`)).json as Pod).spec.nodeName, winner);
  });

  it('two schedulers without leader election: every pod is bound exactly once, the losing binds get 409', async (t) => {
    const ns = 'c-two';
    await e.fresh(ns);
    e.errors.length = 0;
    const client2 = new RestClient(loadKubeconfig(e.c.kubeconfigPath));
    const errors2: unknown[] = [];
    const second = new Scheduler({ client: client2, onError: (err) => errors2.push(err) });
    const stop2 = new AbortController();
    let died: unknown;
    const running2 = second.run(stop2.signal).catch((err: unknown) => (died = err));
    t.after(async () => {
      stop2.abort();
      await running2;
      client2.close();
    });
    const nodes = ['ct-1', 'ct-2', 'ct-3'];
    for (const n of nodes) await createNode(e.c, n, { cpu: '64' });
    await waitFor('the second scheduler to see the nodes', async () => (second.cache.nodeCount === 3 ? true : undefined));

    // Every write to every pod, in order, to see whether a nodeName ever changed.
    const list = await e.c.server.api('GET', `/api/v1/namespaces/${ns}/pods`);
    const watch = e.c.server.stream(`/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`);
    t.after(() => watch.close());
    const seen = new Map<string, string[]>();
    const watching = (async () => {
      for await (const ev of watch.events) {
        const pod = (ev as { object: Pod }).object;
        const nodeName = pod.spec?.nodeName;
        if (!nodeName) continue;
        const history = seen.get(pod.metadata.name!) ?? [];
        if (history[history.length - 1] !== nodeName) history.push(nodeName);
        seen.set(pod.metadata.name!, history);
      }
    })();

    const names = Array.from({ length: 100 }, (_, i) => `two-${i}`);
    await createPods(ns, names, '100m');
    await waitFor('all 100 pods bound', async () => ((await listPods(e.c, ns)).every((p) => p.spec.nodeName) ? true : undefined), 30_000);
    // Past the first backoff (1 s), so a loser retrying a pod it lost would show now.
    await new Promise((r) => setTimeout(r, 2_500));
    const pods = await listPods(e.c, ns);
    assert.equal(pods.length, 100);
    for (const p of pods) assert.ok(p.spec.nodeName && nodes.includes(p.spec.nodeName), `${p.metadata.name} bound to ${p.spec.nodeName}`);
    await waitFor('the watch to report every binding', async () => (seen.size === 100 ? true : undefined));
    watch.close();
    await watching;
    for (const [name, history] of seen) assert.equal(history.length, 1, `${name} was bound to ${history.join(' then ')}`);

    const all = [...e.errors, ...errors2];
    const conflicts = all.filter((err) => err instanceof ApiError && err.code === 409 && err.reason === 'Conflict');
    const other = all.filter((err) => !conflicts.includes(err));
    assert.deepEqual(other.map(String), [], 'errors other than binding conflicts');
    assert.equal(died, undefined, `the second scheduler's loop died: ${String(died)}`);
    process.stdout.write(`# two schedulers: ${conflicts.length} binding conflicts (409) over 100 pods\n`);
    assert.ok(conflicts.length > 0, 'the two schedulers never raced for a pod, so the test proved nothing');
    // Both schedulers' caches agree with the API: 100 pods, none still assumed.
    for (const s of [e.scheduler, second]) {
      await waitFor('the scheduler cache to hold every pod as bound', async () => {
        const placed = s.cache.snapshot().nodeInfoList.reduce((n, info) => n + info.pods.length, 0);
        return placed === 100 && pods.every((p) => !s.cache.isAssumed(p)) ? true : undefined;
      });
    }
  });
});
