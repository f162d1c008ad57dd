/**
 * The ReplicaSet controller against a real API server: it keeps
 * spec.replicas pods, deletes unready pods first, adopts and releases, names
 * and owns pods the Kubernetes way, reports status and events, and never
 * over-creates while its pod informer lags.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { isPodReady } from '../../controllers/controller-utils/pod-readiness.ts';
import type { Pod, ReplicaSet } from '../../controllers/controller-utils/workload-objects.ts';
import { ControllerTestClient } from './support/controller-client.ts';
import { startControllerHarness, waitFor, type ControllerHarness } from './support/controller-harness.ts';

let h: ControllerHarness;

before(async () => {
  h = await startControllerHarness({ replicaSets: true, controllerClient: (access) => new ControllerTestClient(access) });
});
after(async () => {
  await h?.stop();
});

const rsPath = (namespace: string, name?: string) => ({ group: 'apps', version: 'v1', plural: 'replicasets', namespace, ...(name ? { name } : {}) });
const podsPath = (namespace: string, name?: string) => ({ group: '', version: 'v1', plural: 'pods', namespace, ...(name ? { name } : {}) });

function replicaSet(name: string, replicas: number, app = name): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
    },
  };
}

async function activePods(client: RestClient, namespace: string, selector: string): Promise<Pod[]> {
  const list = await client.list<Pod>(podsPath(namespace), { labelSelector: selector });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

async function scale(client: RestClient, namespace: string, name: string, replicas: number): Promise<void> {
  await client.patch(rsPath(namespace, name), 'merge', { spec: { replicas } });
}

async function events(client: RestClient, namespace: string): Promise<Array<{ reason: string; message: string; involvedObject: { name: string; kind: string } }>> {
  const list = await client.list({ group: '', version: 'v1', plural: 'events', namespace });
  return list.items as unknown as Array<{ reason: string; message: string; involvedObject: { name: string; kind: string } }>;
}

function controllerClient(): ControllerTestClient {
  return h.ctx.client as ControllerTestClient;
}

function failWithErrors(): string {
  return h.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n');
}

describe('ReplicaSet controller', () => {
  it('creates owned, generateName-d pods, reports status, and scales down', async () => {
    const ns = await h.namespace('rs-scale');
    const created = await h.client.create<ReplicaSet>(rsPath(ns), replicaSet('web', 3));
    const pods = await waitFor('3 pods', async () => {
      const p = await activePods(h.client, ns, 'app=web');
      return p.length === 3 ? p : undefined;
    });
    for (const pod of pods) {
      assert.match(pod.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.deepEqual(pod.metadata.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    const rs = await waitFor('status 3/3 ready, observed', async () => {
      const cur = await h.client.get<ReplicaSet>(rsPath(ns, 'web'));
      const s = cur.status ?? {};
      return s.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === cur.metadata.generation ? cur : undefined;
    });
    assert.equal(rs.status?.conditions, undefined);

    await scale(h.client, ns, 'web', 1);
    await waitFor('1 pod', async () => ((await activePods(h.client, ns, 'app=web')).length === 1 ? true : undefined));
    await waitFor('status replicas 1', async () => ((await h.client.get<ReplicaSet>(rsPath(ns, 'web'))).status?.replicas === 1 ? true : undefined));
    // Extra waits: the controller must not oscillate.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await activePods(h.client, ns, 'app=web')).length, 1);

    const evs = await waitFor('events', async () => {
      const e = await events(h.client, ns);
      return e.filter((x) => x.reason === 'SuccessfulDelete').length >= 2 ? e : undefined;
    });
    const creates = evs.filter((e) => e.reason === 'SuccessfulCreate');
    assert.equal(creates.length, 3);
    for (const e of creates) {
      assert.match(e.message, /^Created pod: web-[a-z0-9]{5}$/);
      assert.equal(e.involvedObject.kind, 'ReplicaSet');
      assert.equal(e.involvedObject.name, 'web');
    }
    for (const e of evs.filter((x) => x.reason === 'SuccessfulDelete')) assert.match(e.message, /^Deleted pod: web-[a-z0-9]{5}$/);
  });

  it('deletes unready pods before ready ones when scaling down', async () => {
    const ns = await h.namespace('rs-rank');
    await h.client.create(rsPath(ns), replicaSet('rank', 2));
    const readyPods = await waitFor('2 ready pods', async () => {
      const p = await activePods(h.client, ns, 'app=rank');
      return p.length === 2 && p.every(isPodReady) ? p : undefined;
    });
    h.readiness.hold((pod) => pod.metadata.namespace === ns);
    try {
      await scale(h.client, ns, 'rank', 5);
      await waitFor('5 pods', async () => ((await activePods(h.client, ns, 'app=rank')).length === 5 ? true : undefined));
      await scale(h.client, ns, 'rank', 2);
      const left = await waitFor('2 pods left', async () => {
        const p = await activePods(h.client, ns, 'app=rank');
        return p.length === 2 ? p : undefined;
      });
      assert.deepEqual(left.map((p) => p.metadata.name).sort(), readyPods.map((p) => p.metadata.name).sort());
    } finally {
      h.readiness.hold(false);
    }
  });

  it('adopts matching orphans, releases pods whose labels stop matching, and replaces them', async () => {
    const ns = await h.namespace('rs-adopt');
    const orphan = await h.client.create<Pod>(podsPath(ns), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', labels: { app: 'adopt' } },
      spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
    });
    const rs = await h.client.create<ReplicaSet>(rsPath(ns), replicaSet('adopt', 2));
    const pods = await waitFor('2 pods incl. the orphan', async () => {
      const p = await activePods(h.client, ns, 'app=adopt');
      return p.length === 2 && p.every((x) => x.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid) ? p : undefined;
    });
    const adopted = pods.find((p) => p.metadata.name === 'orphan');
    assert.ok(adopted, 'the orphan was adopted rather than replaced');
    assert.equal(adopted.metadata.uid, orphan.metadata.uid);
    assert.deepEqual(adopted.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'adopt', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    // Relabel the adopted pod: it is released and a replacement is created.
    await h.client.patch(podsPath(ns, 'orphan'), 'merge', { metadata: { labels: { app: 'other' } } });
    const released = await waitFor('release', async () => {
      const p = await h.client.get<Pod>(podsPath(ns, 'orphan'));
      return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
    });
    assert.equal(released.metadata.labels?.['app'], 'other');
    await waitFor('a replacement', async () => {
      const p = await activePods(h.client, ns, 'app=adopt');
      return p.length === 2 && !p.some((x) => x.metadata.name === 'orphan') ? true : undefined;
    });

    // A pod owned by another controller is left alone even though it matches.
    await h.client.create<Pod>(podsPath(ns), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'foreign',
        labels: { app: 'adopt' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'elsewhere', uid: '00000000-0000-0000-0000-000000000001', controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
    });
    await new Promise((r) => setTimeout(r, 800));
    const foreign = await h.client.get<Pod>(podsPath(ns, 'foreign'));
    assert.equal(foreign.metadata.ownerReferences?.[0]?.name, 'elsewhere');
    assert.equal((await activePods(h.client, ns, 'app=adopt')).filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid).length, 2);
  });

  it('ignores terminating and finished pods in its counts', async () => {
    const ns = await h.namespace('rs-term');
    await h.client.create(rsPath(ns), replicaSet('fin', 2));
    const pods = await waitFor('2 pods', async () => {
      const p = await activePods(h.client, ns, 'app=fin');
      return p.length === 2 ? p : undefined;
    });
    // A pod that finished (Failed) no longer counts: the RS makes another.
    await h.client.patch({ ...podsPath(ns, pods[0]!.metadata.name!), subresource: 'status' }, 'merge', { status: { phase: 'Failed' } });
    await waitFor('replacement for the failed pod', async () => {
      const p = (await activePods(h.client, ns, 'app=fin')).filter((x) => x.status?.phase !== 'Failed');
      return p.length === 2 ? true : undefined;
    });
    await waitFor('status counts 2 active pods', async () => ((await h.client.get<ReplicaSet>(rsPath(ns, 'fin'))).status?.replicas === 2 ? true : undefined));
  });

  it('reports ReplicaFailure and FailedCreate when pods cannot be created, and clears it after', async () => {
    const ns = await h.namespace('rs-fail');
    controllerClient().refusePodCreates.add(ns);
    await h.client.create(rsPath(ns), replicaSet('bad', 3));
    const rs = await waitFor('ReplicaFailure', async () => {
      const cur = await h.client.get<ReplicaSet>(rsPath(ns, 'bad'));
      return cur.status?.conditions?.find((c) => c.type === 'ReplicaFailure') ? cur : undefined;
    });
    const cond = rs.status!.conditions!.find((c) => c.type === 'ReplicaFailure')!;
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message ?? '', /forbidden: exceeded quota/);
    const evs = await waitFor('FailedCreate', async () => {
      const e = (await events(h.client, ns)).filter((x) => x.reason === 'FailedCreate');
      return e.length > 0 ? e : undefined;
    });
    assert.match(evs[0]!.message, /^Error creating: pods "bad-" is forbidden: exceeded quota/);
    controllerClient().refusePodCreates.delete(ns);
    await waitFor('3 pods and the condition gone', async () => {
      const cur = await h.client.get<ReplicaSet>(rsPath(ns, 'bad'));
      return cur.status?.replicas === 3 && !cur.status.conditions?.some((c) => c.type === 'ReplicaFailure') ? true : undefined;
    }, 60_000);
  });

  it('never creates more pods than asked while its pod informer lags', async () => {
    const ns = await h.namespace('rs-lag');
    const client = controllerClient();
    client.podWatchLagMs = 2500;
    let maxSeen = 0;
    try {
      await h.client.create(rsPath(ns), replicaSet('lag', 4));
      const key = `${ns}/lag`;
      const until = Date.now() + 3500;
      let n = 0;
      while (Date.now() < until) {
        // Force syncs (and RS update events) while the creations are not yet in the informer.
        h.replicaSets!.queue.add(key);
        if (n++ % 5 === 0) await h.client.patch(rsPath(ns, 'lag'), 'merge', { metadata: { annotations: { poke: String(n) } } });
        maxSeen = Math.max(maxSeen, (await activePods(h.client, ns, 'app=lag')).length);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      client.podWatchLagMs = 0;
    }
    await waitFor('status 4', async () => ((await h.client.get<ReplicaSet>(rsPath(ns, 'lag'))).status?.replicas === 4 ? true : undefined));
    maxSeen = Math.max(maxSeen, (await activePods(h.client, ns, 'app=lag')).length);
    assert.equal(maxSeen, 4);
    assert.equal((await events(h.client, ns)).filter((e) => e.reason === 'SuccessfulCreate').length, 4);
  });

  it('reports no unexpected errors', () => {
    assert.equal(h.errors.filter((e) => !/exceeded quota/.test(String(e))).length, 0, failWithErrors());
  });
});
