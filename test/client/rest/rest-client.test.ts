import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject, WatchEvent } from '../../../client/api/meta.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { ApiError, isAlreadyExists, isConflict, isExpired, isNotFound } from '../../../client/rest/api-error.ts';
import { resourceUrlPath, type ResourcePath } from '../../../client/rest/resource-path.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const configmaps: ResourcePath = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
const cm = (name: string): ResourcePath => ({ ...configmaps, name });

let c: TestCluster;
let client: RestClient;

before(async () => {
  c = await startTestCluster();
  client = new RestClient(loadKubeconfig(c.kubeconfigPath));
});

after(async () => {
  client?.close();
  await c?.stop();
});

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

describe('resourceUrlPath', () => {
  it('builds core, grouped, namespaced, cluster-scoped and subresource paths', () => {
    assert.equal(resourceUrlPath({ group: '', version: 'v1', plural: 'nodes' }), '/api/v1/nodes');
    assert.equal(resourceUrlPath({ group: 'apps', version: 'v1', plural: 'deployments', namespace: 'ns', name: 'd', subresource: 'scale' }), '/apis/apps/v1/namespaces/ns/deployments/d/scale');
    assert.equal(resourceUrlPath({ group: '', version: 'v1', plural: 'pods', namespace: 'ns', name: 'p', subresource: 'status' }), '/api/v1/namespaces/ns/pods/p/status');
    assert.throws(() => resourceUrlPath({ group: '', version: 'v1', plural: 'pods', subresource: 'status' }));
  });
});

describe('RestClient', () => {
  it('creates, gets, lists, updates, patches and deletes', async () => {
    const created = await client.create<ConfigMap>(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'crud' }, data: { a: '1' } });
    assert.ok(created.metadata.uid);
    const got = await client.get<ConfigMap>(cm('crud'));
    assert.deepEqual(got.data, { a: '1' });
    const list = await client.list<ConfigMap>(configmaps);
    assert.equal(list.kind, 'ConfigMapList');
    assert.ok(list.metadata.resourceVersion);
    assert.ok(list.items.some((i) => i.metadata.name === 'crud'));

    const updated = await client.update<ConfigMap>(cm('crud'), { ...got, data: { a: '2' } });
    assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);
    const merged = await client.patch<ConfigMap>(cm('crud'), 'merge', { data: { b: '3' } });
    assert.deepEqual(merged.data, { a: '2', b: '3' });
    const strategic = await client.patch<ConfigMap>(cm('crud'), 'strategic', { metadata: { labels: { x: 'y' } } });
    assert.deepEqual(strategic.metadata.labels, { x: 'y' });
    const jsonPatched = await client.patch<ConfigMap>(cm('crud'), 'json', [{ op: 'remove', path: '/data/b' }]);
    assert.deepEqual(jsonPatched.data, { a: '2' });

    await client.delete(cm('crud'));
    const gone = await rejection(client.get(cm('crud')));
    assert.equal(gone.reason, 'NotFound');
    assert.equal(gone.code, 404);
  });

  it('throws ApiError with the Status reason for NotFound, AlreadyExists, Conflict and Invalid', async () => {
    assert.ok(isNotFound(await rejection(client.get(cm('missing')))));
    await client.create<ConfigMap>(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' } });
    const dup = await rejection(client.create<ConfigMap>(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' } }));
    assert.ok(isAlreadyExists(dup));
    assert.equal(dup.status.kind, 'Status');
    assert.match(dup.message, /dup/);

    const cur = await client.get<ConfigMap>(cm('dup'));
    await client.update<ConfigMap>(cm('dup'), { ...cur, data: { v: '1' } });
    const stale = await rejection(client.update<ConfigMap>(cm('dup'), { ...cur, data: { v: '2' } }));
    assert.ok(isConflict(stale));
    assert.equal(stale.code, 409);

    const invalid = await rejection(client.create<ConfigMap>(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_Valid' } }));
    assert.equal(invalid.reason, 'Invalid');
    assert.equal(invalid.code, 422);
  });

  it('watches from a resourceVersion, line by line, and ends on timeoutSeconds', async () => {
    const list = await client.list<ConfigMap>(configmaps);
    const seen: WatchEvent<ConfigMap>[] = [];
    const watching = (async () => {
      for await (const ev of client.watch<ConfigMap>(configmaps, { resourceVersion: list.metadata.resourceVersion!, timeoutSeconds: 3, allowWatchBookmarks: true })) {
        if (ev.type !== 'BOOKMARK') seen.push(ev);
      }
    })();
    await client.create<ConfigMap>(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1' } });
    await client.patch<ConfigMap>(cm('w1'), 'merge', { data: { k: 'v' } });
    await client.delete(cm('w1'));
    await watching; // the server's timeoutSeconds ends the stream cleanly
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED w1', 'MODIFIED w1', 'DELETED w1'],
    );
  });

  it('stops a watch when its signal aborts', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const watching = (async () => {
      let n = 0;
      for await (const _ of client.watch(configmaps, { signal: abort.signal, timeoutSeconds: 60 })) n++;
      return n;
    })();
    setTimeout(() => abort.abort(), 200);
    await watching;
    assert.ok(Date.now() - started < 5_000);
  });

  it('reports an expired resourceVersion as 410 Expired (a thrown ApiError or an ERROR event)', async () => {
    for (let i = 0; i < 3; i++) await client.create<ConfigMap>(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `old-${i}` } });
    const { Etcd3 } = await import('etcd3');
    const etcd = new Etcd3({ hosts: c.etcdEndpoint });
    const rev = (await client.list(configmaps)).metadata.resourceVersion!;
    await etcd.kv.compact({ revision: rev, physical: true });
    etcd.close();
    await c.restartApiServer(); // a fresh watch cache starts after the compaction
    let expired = false;
    try {
      for await (const ev of client.watch(configmaps, { resourceVersion: '2', timeoutSeconds: 2 })) {
        if (ev.type === 'ERROR') {
          const status = ev.object as unknown as { code: number; reason: string };
          assert.equal(status.code, 410);
          assert.equal(status.reason, 'Expired');
          expired = true;
          break;
        }
      }
    } catch (err) {
      assert.ok(isExpired(err), `expected 410, got ${String(err)}`);
      expired = true;
    }
    assert.ok(expired, 'a watch from a compacted revision must answer 410 Expired');
  });
});
