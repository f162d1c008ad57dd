/**
 * The garbage collector against a real etcd + API server: background cascades
 * through grand-dependents, foreground deletion waits for blocking dependents,
 * orphaning strips ownerReferences, dangling references are collected, owners
 * across scopes resolve as in Kubernetes, and stock kubectl's --cascade modes
 * finish end to end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject, OwnerReference } from '../../client/api/meta.ts';
import { isNotFound } from '../../client/rest/api-error.ts';
import type { ResourcePath } from '../../client/rest/resource-path.ts';
import { GarbageCollector } from '../../controllers/garbagecollector/garbage-collector.ts';
import { type ControllerHarness, holdsFor, startControllerHarness, waitFor } from './gc-support/controller-harness.ts';

let h: ControllerHarness;
let gc: GarbageCollector;
const ns = 'gc-test';

before(async () => {
  h = await startControllerHarness();
  gc = new GarbageCollector(h.ctx, { discoveryPeriodMs: 5_000 });
  h.start([gc]);
  await h.client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await waitFor('the garbage collector to sync', () => (gc.hasSynced() ? true : undefined));
});
after(async () => {
  await h?.stop();
});

const cmPath = (name?: string): ResourcePath => ({ group: '', version: 'v1', plural: 'configmaps', namespace: ns, ...(name ? { name } : {}) });
const secretPath = (name?: string): ResourcePath => ({ group: '', version: 'v1', plural: 'secrets', namespace: ns, ...(name ? { name } : {}) });
const podPath = (name?: string): ResourcePath => ({ group: '', version: 'v1', plural: 'pods', namespace: ns, ...(name ? { name } : {}) });
const rsPath = (name?: string): ResourcePath => ({ group: 'apps', version: 'v1', plural: 'replicasets', namespace: ns, ...(name ? { name } : {}) });

function ref(owner: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, ...extra };
}

async function configMap(name: string, owners: OwnerReference[] = [], finalizers?: string[]): Promise<KubeObject> {
  return h.client.create(cmPath(), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}), ...(finalizers ? { finalizers } : {}) },
    data: { k: 'v' },
  });
}

async function secret(name: string, owners: OwnerReference[]): Promise<KubeObject> {
  return h.client.create(secretPath(), { apiVersion: 'v1', kind: 'Secret', metadata: { name, ownerReferences: owners }, type: 'Opaque' });
}

async function getOrUndefined(path: ResourcePath): Promise<KubeObject | undefined> {
  try {
    return await h.client.get(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const gone = (path: ResourcePath) => async () => ((await getOrUndefined(path)) === undefined ? true : undefined);

describe('garbage collector', () => {
  it('cascades a background deletion to dependents and grand-dependents of other kinds', async () => {
    const owner = await configMap('bg-owner');
    const child1 = await configMap('bg-child-1', [ref(owner)]);
    const child2 = await secret('bg-child-2', [ref(owner, { controller: true })]);
    await secret('bg-grandchild', [ref(child1)]);
    await configMap('bg-grandchild-2', [ref(child2)]);
    await h.client.delete(cmPath('bg-owner'), { propagationPolicy: 'Background' });
    await waitFor('bg-child-1 gone', gone(cmPath('bg-child-1')));
    await waitFor('bg-child-2 gone', gone(secretPath('bg-child-2')));
    await waitFor('bg-grandchild gone', gone(secretPath('bg-grandchild')));
    await waitFor('bg-grandchild-2 gone', gone(cmPath('bg-grandchild-2')));
  });

  it('keeps a foreground-deleted owner until its blocking dependents are gone', async () => {
    const owner = await configMap('fg-owner');
    // The dependent holds its own finalizer so the test controls when it disappears.
    const child = await configMap('fg-child', [ref(owner, { blockOwnerDeletion: true })], ['example.com/hold']);
    const grandchild = await configMap('fg-grandchild', [ref(child, { blockOwnerDeletion: true })]);
    const loose = await configMap('fg-loose', [ref(owner)]);
    assert.ok(grandchild && loose);
    await h.client.delete(cmPath('fg-owner'), { propagationPolicy: 'Foreground' });

    // The dependents are deleted first: the child in the foreground too, as it has dependents of its own.
    await waitFor('fg-child to be deleting', async () => {
      const c = await getOrUndefined(cmPath('fg-child'));
      return c?.metadata.deletionTimestamp ? c : undefined;
    });
    await waitFor('fg-grandchild gone', gone(cmPath('fg-grandchild')));
    await waitFor('fg-loose gone', gone(cmPath('fg-loose')));
    await holdsFor(
      'fg-owner to stay while fg-child blocks it',
      async () => {
        const o = await getOrUndefined(cmPath('fg-owner'));
        return o !== undefined && o.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).includes('foregroundDeletion');
      },
      2_000,
    );
    // Releasing the child lets it go, and then the owner.
    const latest = (await h.client.get(cmPath('fg-child'))) as KubeObject;
    await h.client.patch(cmPath('fg-child'), 'merge', {
      metadata: { resourceVersion: latest.metadata.resourceVersion, finalizers: (latest.metadata.finalizers ?? []).filter((f) => f !== 'example.com/hold') },
    });
    await waitFor('fg-child gone', gone(cmPath('fg-child')));
    await waitFor('fg-owner gone', gone(cmPath('fg-owner')));
    assert.equal(child.metadata.name, 'fg-child');
  });

  it('orphans dependents: they survive without the ownerReference', async () => {
    const owner = await configMap('orphan-owner');
    const other = await configMap('orphan-other-owner');
    await configMap('orphan-child-1', [ref(owner, { controller: true, blockOwnerDeletion: true })]);
    await secret('orphan-child-2', [ref(owner), ref(other)]);
    await h.client.delete(cmPath('orphan-owner'), { propagationPolicy: 'Orphan' });
    await waitFor('orphan-owner gone', gone(cmPath('orphan-owner')));
    const c1 = await h.client.get(cmPath('orphan-child-1'));
    assert.equal(c1.metadata.ownerReferences, undefined);
    const c2 = await h.client.get(secretPath('orphan-child-2'));
    assert.deepEqual(
      c2.metadata.ownerReferences?.map((r) => r.uid),
      [other.metadata.uid],
    );
    // And they stay: nothing collects them later.
    await holdsFor('orphaned children to survive', async () => (await getOrUndefined(cmPath('orphan-child-1'))) !== undefined, 1_500);
  });

  it('collects an object whose owner uid does not exist, and drops only dangling references when a live owner remains', async () => {
    const missing: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'never-existed', uid: '00000000-0000-4000-8000-000000000001' };
    await configMap('dangling-child', [missing]);
    await waitFor('dangling-child gone', gone(cmPath('dangling-child')));

    // Same name, different uid: still gone.
    await configMap('namesake');
    const stale: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'namesake', uid: '00000000-0000-4000-8000-000000000002' };
    await configMap('namesake-child', [stale]);
    await waitFor('namesake-child gone', gone(cmPath('namesake-child')));

    const live = await configMap('live-owner');
    await configMap('mixed-child', [ref(live), { ...missing, uid: '00000000-0000-4000-8000-000000000003' }]);
    const mixed = await waitFor('the dangling reference of mixed-child to be removed', async () => {
      const c = await h.client.get(cmPath('mixed-child'));
      return c.metadata.ownerReferences?.length === 1 ? c : undefined;
    });
    assert.equal(mixed.metadata.ownerReferences?.[0]?.uid, live.metadata.uid);
  });

  it('resolves cluster-scoped owners of namespaced dependents, and treats namespaced owners of cluster-scoped objects as absent', async () => {
    const node = await h.client.create({ group: '', version: 'v1', plural: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gc-owner-node' } });
    await configMap('node-owned', [ref(node)]);
    await holdsFor('node-owned to stay while its cluster-scoped owner lives', async () => (await getOrUndefined(cmPath('node-owned'))) !== undefined, 1_500);
    await h.client.delete({ group: '', version: 'v1', plural: 'nodes', name: 'gc-owner-node' });
    await waitFor('node-owned gone', gone(cmPath('node-owned')));

    // A Node "owned" by a ConfigMap: the reference can never resolve, so the Node is collected (as kube does).
    const cm = await configMap('invalid-owner');
    await h.client.create({ group: '', version: 'v1', plural: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gc-invalid-node', ownerReferences: [ref(cm)] } });
    await waitFor('gc-invalid-node gone', gone({ group: '', version: 'v1', plural: 'nodes', name: 'gc-invalid-node' }));
    const events = await h.client.list({ group: '', version: 'v1', plural: 'events', namespace: 'default' });
    assert.ok(
      events.items.some((e) => e['reason'] === 'OwnerRefInvalidNamespace' && (e['involvedObject'] as { name?: string }).name === 'gc-invalid-node'),
      'an OwnerRefInvalidNamespace event is recorded',
    );
    assert.ok(await getOrUndefined(cmPath('invalid-owner')), 'the would-be owner is untouched');
  });

  describe('kubectl delete --cascade', () => {
    async function replicaSetWithPods(name: string, pods: number): Promise<KubeObject> {
      const rs = await h.client.create(rsPath(), {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
        },
      });
      for (let i = 0; i < pods; i++) {
        await h.client.create(podPath(), {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${name}-${i}`, labels: { app: name }, ownerReferences: [ref(rs, { controller: true, blockOwnerDeletion: true })] },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        });
      }
      return rs;
    }
    const podsOf = async (name: string) =>
      (await h.client.list(podPath(), { labelSelector: `app=${name}` })).items;

    for (const cascade of ['background', 'foreground'] as const) {
      it(`--cascade=${cascade} removes the ReplicaSet and its pods`, async () => {
        const name = `kc-${cascade}`;
        await replicaSetWithPods(name, 2);
        await h.cluster.kubectl(['delete', 'replicaset', name, '-n', ns, `--cascade=${cascade}`, '--timeout=60s']);
        // kubectl waited for the ReplicaSet itself; with foreground its pods were gone first.
        assert.equal(await getOrUndefined(rsPath(name)), undefined);
        if (cascade === 'foreground') assert.equal((await podsOf(name)).length, 0);
        await waitFor(`pods of ${name} gone`, async () => ((await podsOf(name)).length === 0 ? true : undefined));
      });
    }

    it('--cascade=orphan keeps the pods and strips their ownerReference', async () => {
      const name = 'kc-orphan';
      await replicaSetWithPods(name, 2);
      await h.cluster.kubectl(['delete', 'replicaset', name, '-n', ns, '--cascade=orphan', '--timeout=60s']);
      assert.equal(await getOrUndefined(rsPath(name)), undefined);
      const pods = await podsOf(name);
      assert.equal(pods.length, 2);
      for (const p of pods) assert.equal(p.metadata.ownerReferences, undefined);
    });
  });

  it('reported no errors along the way', () => {
    assert.deepEqual(h.errors.map((e) => (e instanceof Error ? e.message : String(e))), []);
  });
});
