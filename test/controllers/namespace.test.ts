/**
 * The namespace controller against a real etcd + API server: a Terminating
 * namespace is emptied of every kind (core and apps, whatever discovery lists),
 * its conditions say what remains and which finalizers hold it, and stock
 * `kubectl delete namespace` returns once the namespace is gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../client/api/meta.ts';
import { isNotFound } from '../../client/rest/api-error.ts';
import type { ResourcePath } from '../../client/rest/resource-path.ts';
import { GarbageCollector } from '../../controllers/garbagecollector/garbage-collector.ts';
import type { NamespaceCondition } from '../../controllers/namespace/namespace-conditions.ts';
import { NamespaceController } from '../../controllers/namespace/namespace-controller.ts';
import { type ControllerHarness, startControllerHarness, waitFor } from './gc-support/controller-harness.ts';

let h: ControllerHarness;

before(async () => {
  h = await startControllerHarness();
  // The garbage collector runs too, as in the controller manager: deletecollection cascades through it.
  h.start([new NamespaceController(h.ctx), new GarbageCollector(h.ctx)]);
});
after(async () => {
  await h?.stop();
});

const nsPath = (name: string): ResourcePath => ({ group: '', version: 'v1', plural: 'namespaces', name });
const inNs = (namespace: string, group: string, plural: string, name?: string): ResourcePath => ({
  group,
  version: 'v1',
  plural,
  namespace,
  ...(name ? { name } : {}),
});

async function getOrUndefined(path: ResourcePath): Promise<KubeObject | undefined> {
  try {
    return await h.client.get(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function fill(namespace: string): Promise<void> {
  await h.client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const podSpec = { containers: [{ name: 'c', image: 'busybox' }] };
  await h.client.create(inNs(namespace, '', 'configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } });
  await h.client.create(inNs(namespace, '', 'secrets'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque' });
  await h.client.create(inNs(namespace, '', 'pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: podSpec });
  await h.client.create(inNs(namespace, '', 'services'), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'svc' },
    spec: { ports: [{ port: 80 }], selector: { app: 'x' } },
  });
  await h.client.create(inNs(namespace, 'apps', 'deployments'), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec } },
  });
  await h.client.create(inNs(namespace, 'coordination.k8s.io', 'leases'), {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l' },
    spec: { holderIdentity: 'x' },
  });
}

const conditionsOf = (ns: KubeObject | undefined) => ((ns?.['status'] as { conditions?: NamespaceCondition[] } | undefined)?.conditions ?? []);

describe('namespace controller', () => {
  it('deletes the contents of several kinds, then the namespace', async () => {
    await fill('ns-contents');
    await h.client.delete(nsPath('ns-contents'));
    await waitFor('namespace ns-contents gone', async () => ((await getOrUndefined(nsPath('ns-contents'))) === undefined ? true : undefined));
    for (const [group, plural] of [['', 'configmaps'], ['', 'secrets'], ['', 'pods'], ['', 'services'], ['apps', 'deployments'], ['coordination.k8s.io', 'leases']] as const) {
      const left = await h.client.list(inNs('ns-contents', group, plural));
      assert.equal(left.items.length, 0, `${plural} left in ns-contents`);
    }
  });

  it('reports remaining content and finalizers, and waits for them', async () => {
    await h.client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns-held' } });
    await h.client.create(inNs('ns-held', '', 'configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    await h.client.delete(nsPath('ns-held'));
    const ns = await waitFor('ns-held to report its remaining content', async () => {
      const current = await getOrUndefined(nsPath('ns-held'));
      const cond = conditionsOf(current).find((c) => c.type === 'NamespaceFinalizersRemaining');
      return cond?.status === 'True' ? current : undefined;
    });
    const conditions = conditionsOf(ns);
    const byType = new Map(conditions.map((c) => [c.type, c]));
    assert.deepEqual(
      [...byType.keys()].sort(),
      ['NamespaceContentRemaining', 'NamespaceDeletionContentFailure', 'NamespaceDeletionDiscoveryFailure', 'NamespaceDeletionGroupVersionParsingFailure', 'NamespaceFinalizersRemaining'],
    );
    assert.equal(byType.get('NamespaceContentRemaining')?.status, 'True');
    assert.equal(byType.get('NamespaceContentRemaining')?.reason, 'SomeResourcesRemain');
    assert.equal(byType.get('NamespaceContentRemaining')?.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(byType.get('NamespaceFinalizersRemaining')?.reason, 'SomeFinalizerRemain');
    assert.equal(byType.get('NamespaceFinalizersRemaining')?.message, 'Some finalizers are remaining: example.com/hold in 1 resource instances');
    assert.equal(byType.get('NamespaceDeletionContentFailure')?.status, 'False');
    assert.equal(byType.get('NamespaceDeletionContentFailure')?.reason, 'ContentDeleted');
    assert.equal(byType.get('NamespaceDeletionDiscoveryFailure')?.status, 'False');
    assert.deepEqual((ns['spec'] as { finalizers?: string[] }).finalizers, ['kubernetes']);
    assert.equal((ns['status'] as { phase?: string }).phase, 'Terminating');

    // Releasing the object lets the namespace go.
    const held = await h.client.get(inNs('ns-held', '', 'configmaps', 'held'));
    await h.client.patch(inNs('ns-held', '', 'configmaps', 'held'), 'merge', { metadata: { resourceVersion: held.metadata.resourceVersion, finalizers: null } });
    await waitFor('namespace ns-held gone', async () => ((await getOrUndefined(nsPath('ns-held'))) === undefined ? true : undefined), 45_000);
  });

  it('lets `kubectl delete namespace` finish', async () => {
    await fill('ns-kubectl');
    const started = Date.now();
    const res = await h.cluster.kubectl(['delete', 'namespace', 'ns-kubectl', '--timeout=60s']);
    assert.match(res.stdout, /namespace "ns-kubectl" deleted/);
    assert.equal(await getOrUndefined(nsPath('ns-kubectl')), undefined, `gone when kubectl returned (after ${Date.now() - started} ms)`);
  });

  it('reported no errors along the way', () => {
    assert.deepEqual(h.errors.map((e) => (e instanceof Error ? e.message : String(e))), []);
  });
});
