/**
 * The official @kubernetes/client-node (2.x) against pier: CRUD, list with
 * selectors and pagination, raw watch, and an informer that stays in sync.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';

let c: TestCluster;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

before(async () => {
  c = await startTestCluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
});
after(async () => {
  await c?.stop();
});

const cm = (name: string, labels: Record<string, string> = {}): k8s.V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { k: name },
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('@kubernetes/client-node', () => {
  it('creates, reads, replaces and deletes', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('cn-1') });
    assert.equal(created.metadata?.name, 'cn-1');
    const read = await core.readNamespacedConfigMap({ name: 'cn-1', namespace: 'default' });
    assert.equal(read.data?.k, 'cn-1');
    read.data = { k: 'changed' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cn-1', namespace: 'default', body: read });
    assert.equal(replaced.data?.k, 'changed');
    await core.deleteNamespacedConfigMap({ name: 'cn-1', namespace: 'default' });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'cn-1', namespace: 'default' }), (err: unknown) => {
      assert.equal((err as { code?: number }).code, 404);
      return true;
    });
  });

  it('gets a 409 for a stale replace', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('cn-2') });
    await core.replaceNamespacedConfigMap({ name: 'cn-2', namespace: 'default', body: { ...created, data: { k: 'a' } } });
    await assert.rejects(core.replaceNamespacedConfigMap({ name: 'cn-2', namespace: 'default', body: { ...created, data: { k: 'b' } } }), (err: unknown) => {
      assert.equal((err as { code?: number }).code, 409);
      return true;
    });
  });

  it('lists with a label selector and paginates', async () => {
    for (let i = 0; i < 7; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: cm(`page-${i}`, { group: 'paged' }) });
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page: k8s.V1ConfigMapList = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'group=paged', limit: 3, ...(cont ? { _continue: cont } : {}) });
      names.push(...page.items.map((i) => i.metadata!.name!));
      cont = page.metadata?._continue;
      pages++;
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(names.sort(), Array.from({ length: 7 }, (_, i) => `page-${i}`));
  });

  it('works with apps/v1 deployments and the scale subresource', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'cn-deploy' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cn' } },
          template: { metadata: { labels: { app: 'cn' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        },
      },
    });
    const scale = await apps.readNamespacedDeploymentScale({ name: 'cn-deploy', namespace: 'default' });
    assert.equal(scale.spec?.replicas, 1);
    assert.equal(scale.status?.selector, 'app=cn');
    scale.spec = { replicas: 4 };
    await apps.replaceNamespacedDeploymentScale({ name: 'cn-deploy', namespace: 'default', body: scale });
    const d = await apps.readNamespacedDeployment({ name: 'cn-deploy', namespace: 'default' });
    assert.equal(d.spec?.replicas, 4);
  });

  it('watches from a list resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion },
      (type: string, obj: k8s.V1ConfigMap) => {
        if (obj.metadata?.name === 'watched-cn') events.push(type);
      },
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('watched-cn') });
      await core.patchNamespacedConfigMap(
        { name: 'watched-cn', namespace: 'default', body: { data: { k: 'v2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ name: 'watched-cn', namespace: 'default' });
      await until(() => events.length >= 3, 'three watch events');
      assert.deepEqual(events, ['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      req.abort();
    }
  });

  it('keeps an informer in sync', async () => {
    await core.createNamespace({ body: { metadata: { name: 'informed' } } });
    await core.createNamespacedConfigMap({ namespace: 'informed', body: cm('pre-existing') });
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/informed/configmaps', () => core.listNamespacedConfigMap({ namespace: 'informed' }));
    const seen = new Map<string, string>();
    const deleted: string[] = [];
    informer.on('add', (o: k8s.V1ConfigMap) => seen.set(o.metadata!.name!, o.data?.k ?? ''));
    informer.on('update', (o: k8s.V1ConfigMap) => seen.set(o.metadata!.name!, o.data?.k ?? ''));
    informer.on('delete', (o: k8s.V1ConfigMap) => deleted.push(o.metadata!.name!));
    await informer.start();
    try {
      await until(() => seen.has('pre-existing'), 'the initial list');
      await core.createNamespacedConfigMap({ namespace: 'informed', body: cm('later') });
      await until(() => seen.has('later'), 'an add');
      await core.patchNamespacedConfigMap(
        { name: 'later', namespace: 'informed', body: { data: { k: 'updated' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await until(() => seen.get('later') === 'updated', 'an update');
      await core.deleteNamespacedConfigMap({ name: 'pre-existing', namespace: 'informed' });
      await until(() => deleted.includes('pre-existing'), 'a delete');
      assert.deepEqual(informer.list().map((o) => o.metadata!.name).sort(), ['later']);
    } finally {
      await informer.stop();
    }
  });
});
