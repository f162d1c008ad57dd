import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject, WatchEvent } from '../../../client/api/meta.ts';
import { DeletedFinalStateUnknown } from '../../../client/cache/deleted-final-state-unknown.ts';
import { SharedInformer } from '../../../client/cache/shared-informer.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { isExpired } from '../../../client/rest/api-error.ts';
import type { ResourcePath } from '../../../client/rest/resource-path.ts';
import { RestClient, type WatchOptions } from '../../../client/rest/rest-client.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const configmaps: ResourcePath = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
const cm = (name: string): ResourcePath => ({ ...configmaps, name });
const body = (name: string, data: Record<string, string> = {}): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'informer-test' } }, data });

/** Records every 410 a watch reports, whichever way the server says it. */
class SpyClient extends RestClient {
  expiredWatches = 0;

  override async *watch<T extends KubeObject = KubeObject>(path: ResourcePath, options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>, void, undefined> {
    try {
      for await (const ev of super.watch<T>(path, options)) {
        if (ev.type === 'ERROR' && (ev.object as unknown as { code?: number }).code === 410) this.expiredWatches++;
        yield ev;
      }
    } catch (err) {
      if (isExpired(err)) this.expiredWatches++;
      throw err;
    }
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let c: TestCluster;
let client: SpyClient;
let informer: SharedInformer<ConfigMap>;
const abort = new AbortController();
let running: Promise<void>;
const events: string[] = [];
const tombstones: DeletedFinalStateUnknown<ConfigMap>[] = [];

before(async () => {
  c = await startTestCluster();
  client = new SpyClient(loadKubeconfig(c.kubeconfigPath));
  await client.create(configmaps, body('pre-existing'));
  informer = new SharedInformer<ConfigMap>(client, {
    path: configmaps,
    labelSelector: 'app=informer-test',
    indexers: { byValue: (o) => (o.data?.v ? [o.data.v] : []) },
    // The server ends open watches when it closes; watches this short also exercise the re-watch-on-clean-end path.
    minWatchTimeoutSeconds: 1,
    initialBackoffMs: 50,
    maxBackoffMs: 500,
    onError: (e) => process.env.DEBUG_INFORMER && console.log('INFORMER ERR', String(e)),
  });
  informer.addEventHandler({
    onAdd: (o, initial) => events.push(`add ${o.metadata.name}${initial ? ' (initial)' : ''}`),
    onUpdate: (_old, o) => events.push(`update ${o.metadata.name} ${o.data?.v ?? ''}`),
    onDelete: (o) => {
      if (o instanceof DeletedFinalStateUnknown) {
        tombstones.push(o);
        events.push(`tombstone ${o.key}`);
      } else events.push(`delete ${o.metadata.name}`);
    },
  });
  running = informer.run(abort.signal);
});

after(async () => {
  abort.abort();
  await running;
  client?.close();
  await c?.stop();
});

/** The cache matches the server's current list exactly. */
async function assertCacheMatchesServer(): Promise<void> {
  const list = await client.list<ConfigMap>(configmaps, { labelSelector: 'app=informer-test' });
  const want = list.items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
  await waitFor('cache to match the server', () => {
    const have = informer.lister.list('default').map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
    return JSON.stringify(have) === JSON.stringify(want);
  });
}

describe('SharedInformer', () => {
  it('syncs the initial list, then sees add, update and delete', async () => {
    assert.equal(await informer.waitForCacheSync(AbortSignal.timeout(15_000)), true);
    assert.ok(informer.hasSynced());
    assert.deepEqual(events, ['add pre-existing (initial)']);

    await client.create(configmaps, body('a', { v: 'one' }));
    await waitFor('add a', () => events.includes('add a'));
    assert.deepEqual(informer.lister.byIndex('byValue', 'one').map((o) => o.metadata.name), ['a']);
    await client.patch(cm('a'), 'merge', { data: { v: 'two' } });
    await waitFor('update a', () => events.includes('update a two'));
    assert.deepEqual(informer.lister.byIndex('byValue', 'two').map((o) => o.metadata.name), ['a']);
    assert.deepEqual(informer.lister.byIndex('byValue', 'one'), []);
    await client.delete(cm('a'));
    await waitFor('delete a', () => events.includes('delete a'));
    assert.equal(informer.lister.get('default', 'a'), undefined);
    assert.deepEqual(tombstones, []);
  });

  it('replays the cache to a handler added after sync', () => {
    const late: string[] = [];
    const reg = informer.addEventHandler({ onAdd: (o, initial) => late.push(`${o.metadata.name} ${initial}`) });
    assert.deepEqual(late, ['pre-existing true']);
    assert.ok(reg.hasSynced());
    reg.remove();
  });

  it('resumes after an API server restart without losing events', async () => {
    const other = await c.startApiServer();
    const restarting = c.restartApiServer();
    // Written through a second API server while the informer's server goes away.
    const res = await other.api('POST', '/api/v1/namespaces/default/configmaps', body('during-restart'));
    assert.equal(res.statusCode, 201, res.text);
    await restarting;
    await client.create(configmaps, body('after-restart'));
    await client.patch(cm('pre-existing'), 'merge', { data: { v: 'patched' } });
    await waitFor('both adds and the update', () => events.includes('add during-restart') && events.includes('add after-restart') && events.includes('update pre-existing patched'));
    await assertCacheMatchesServer();
    assert.deepEqual(tombstones, [], 'nothing was deleted');
  });

  it('relists on 410 Expired and delivers a tombstone for an object deleted meanwhile', async () => {
    const other = await c.startApiServer();
    // Take the informer's API server away without restarting it yet, so it cannot watch the delete.
    const primary = c.server;
    await primary.stop();
    primary.stop = async () => undefined; // restartApiServer below must not stop it twice
    const del = await other.api('DELETE', '/api/v1/namespaces/default/configmaps/after-restart');
    assert.equal(del.statusCode, 200, del.text);
    const add = await other.api('POST', '/api/v1/namespaces/default/configmaps', body('while-down'));
    assert.equal(add.statusCode, 201, add.text);
    // Compact etcd so the restarted server's fresh watch cache cannot replay from the informer's resourceVersion.
    const { Etcd3 } = await import('etcd3');
    const etcd = new Etcd3({ hosts: c.etcdEndpoint });
    const status = await etcd.maintenance.status();
    await etcd.kv.compact({ revision: status.header.revision, physical: true });
    etcd.close();
    const expiredBefore = client.expiredWatches;
    await c.restartApiServer();

    await waitFor('tombstone for after-restart', () => tombstones.some((t) => t.key === 'default/after-restart'));
    const tombstone = tombstones.find((t) => t.key === 'default/after-restart')!;
    assert.equal(tombstone.obj.metadata.name, 'after-restart', 'the tombstone carries the last known object');
    assert.ok(client.expiredWatches > expiredBefore, 'the watch must have been answered 410');
    assert.ok(!events.includes('delete after-restart'), 'the delete was never watched');
    await waitFor('add while-down', () => events.includes('add while-down'));
    await assertCacheMatchesServer();

    // And it keeps watching after the relist.
    await client.delete(cm('while-down'));
    await waitFor('delete while-down', () => events.includes('delete while-down'));
  });
});
