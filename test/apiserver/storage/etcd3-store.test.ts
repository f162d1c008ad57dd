/**
 * Etcd3Storage against a real etcd: writes, optimistic concurrency, lists with
 * pagination and resourceVersion semantics, two API servers on one etcd.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import type { KubeObject } from '../../../client/api/meta.ts';
import { Etcd3Storage } from '../../../apiserver/storage/etcd3/store.ts';
import { StorageError } from '../../../apiserver/storage/interface.ts';
import { startEtcd, type TestEtcd } from '../../support/etcd.ts';

let etcd: TestEtcd;
let storage: Etcd3Storage;
let raw: Etcd3;
const calls: string[] = [];

before(async () => {
  etcd = await startEtcd();
  storage = new Etcd3Storage({ endpoints: [etcd.endpoint], onEtcdCall: (op) => calls.push(op) });
  raw = new Etcd3({ hosts: etcd.endpoint });
});

after(async () => {
  await storage?.close();
  raw?.close();
  await etcd?.stop();
});

function cm(name: string, data: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) }, data };
}

async function rejectsWith(p: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StorageError, `expected StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected StorageError ${code}, but it succeeded`);
}

describe('create / get', () => {
  it('stores JSON without resourceVersion and reads the mod_revision back as resourceVersion', async () => {
    const created = await storage.create('/registry/configmaps/default/a', { ...cm('a', { k: 'v' }), metadata: { name: 'a', resourceVersion: '999' } });
    assert.equal(created.metadata.resourceVersion, String(await storage.currentRevision()));
    const stored = JSON.parse((await raw.get('/registry/configmaps/default/a').string())!);
    assert.equal(stored.metadata.resourceVersion, undefined);
    assert.deepEqual(stored.data, { k: 'v' });
    const got = await storage.get('/registry/configmaps/default/a');
    assert.deepEqual(got, created);
    assert.ok(calls.includes('create') && calls.includes('get'), 'onEtcdCall observes operations');
  });

  it('fails KeyExists on a second create and KeyNotFound on a missing key', async () => {
    await storage.create('/registry/configmaps/default/dup', cm('dup'));
    await rejectsWith(storage.create('/registry/configmaps/default/dup', cm('dup')), 'KeyExists');
    await rejectsWith(storage.get('/registry/configmaps/default/missing'), 'KeyNotFound');
    await rejectsWith(storage.guaranteedUpdate('/registry/configmaps/default/missing', (c) => c), 'KeyNotFound');
    await rejectsWith(storage.delete('/registry/configmaps/default/missing'), 'KeyNotFound');
  });
});

describe('guaranteedUpdate', () => {
  it('loses no update among 64 concurrent incrementers', async () => {
    const key = '/registry/configmaps/default/counter';
    await storage.create(key, cm('counter', { n: 0 }));
    let attempts = 0;
    const results = await Promise.all(
      Array.from({ length: 64 }, () =>
        storage.guaranteedUpdate(key, (cur) => {
          attempts++;
          const n = (cur.data as { n: number }).n;
          return { ...cur, data: { n: n + 1 } };
        }),
      ),
    );
    const final = await storage.get(key);
    assert.equal((final.data as { n: number }).n, 64);
    assert.equal(new Set(results.map((r) => r.metadata.resourceVersion)).size, 64, 'every update got its own revision');
    assert.ok(attempts >= 64);
  });

  it('writes nothing for a no-op update and keeps the resourceVersion', async () => {
    const key = '/registry/configmaps/default/noop';
    const created = await storage.create(key, cm('noop', { a: 1, b: 2 }));
    const before = await storage.currentRevision();
    const same = await storage.guaranteedUpdate(key, (cur) => ({ ...cur, data: { b: 2, a: 1 }, metadata: { ...cur.metadata, resourceVersion: '1' } }));
    assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
    const untouched = await storage.guaranteedUpdate(key, () => undefined);
    assert.equal(untouched.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.equal(await storage.currentRevision(), before, 'no etcd write happened');
    const changed = await storage.guaranteedUpdate(key, (cur) => ({ ...cur, data: { a: 2 } }));
    assert.ok(Number(changed.metadata.resourceVersion) > before);
  });

  it('checks uid and resourceVersion preconditions against the current object', async () => {
    const key = '/registry/configmaps/default/pre';
    const created = await storage.create(key, { ...cm('pre'), metadata: { name: 'pre', uid: 'u1' } });
    await rejectsWith(storage.guaranteedUpdate(key, (c) => ({ ...c, data: { x: '1' } }), { resourceVersion: '1' }), 'ResourceVersionConflict');
    await rejectsWith(storage.guaranteedUpdate(key, (c) => ({ ...c, data: { x: '1' } }), { uid: 'other' }), 'ResourceVersionConflict');
    const ok = await storage.guaranteedUpdate(key, (c) => ({ ...c, data: { x: '1' } }), { uid: 'u1', resourceVersion: created.metadata.resourceVersion! });
    assert.deepEqual(ok.data, { x: '1' });
  });

  it('propagates an error thrown by tryUpdate without writing', async () => {
    const key = '/registry/configmaps/default/abort';
    await storage.create(key, cm('abort'));
    const rev = await storage.currentRevision();
    await assert.rejects(storage.guaranteedUpdate(key, () => { throw new Error('nope'); }), /nope/);
    assert.equal(await storage.currentRevision(), rev);
  });
});

describe('delete', () => {
  it('honours preconditions and validateDeletion and returns the object at the deletion revision', async () => {
    const key = '/registry/configmaps/default/del';
    const created = await storage.create(key, { ...cm('del'), metadata: { name: 'del', uid: 'u-del' } });
    await rejectsWith(storage.delete(key, { resourceVersion: '1' }), 'ResourceVersionConflict');
    await rejectsWith(storage.delete(key, { uid: 'nope' }), 'ResourceVersionConflict');
    await assert.rejects(storage.delete(key, undefined, () => { throw new Error('finalizers pending'); }), /finalizers pending/);
    let validated: KubeObject | undefined;
    const deleted = await storage.delete(key, { uid: 'u-del', resourceVersion: created.metadata.resourceVersion! }, (cur) => {
      validated = cur;
    });
    assert.equal(validated?.metadata.name, 'del');
    assert.equal(deleted.metadata.resourceVersion, String(await storage.currentRevision()));
    assert.ok(Number(deleted.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    await rejectsWith(storage.get(key), 'KeyNotFound');
  });
});

describe('list', () => {
  const prefix = '/registry/secrets/';
  before(async () => {
    for (let i = 0; i < 10; i++) await storage.create(`${prefix}ns1/s${i}`, cm(`s${i}`, { i }));
  });

  it('pages with a continue token at one consistent revision across concurrent writes', async () => {
    const first = await storage.list(prefix, { limit: 3 });
    assert.equal(first.items.length, 3);
    assert.equal(first.remainingItemCount, 7);
    assert.ok(first.continue);
    const token = JSON.parse(Buffer.from(first.continue, 'base64url').toString());
    assert.deepEqual(token, { v: 'meta.k8s.io/v1', rv: Number(first.resourceVersion), start: 'ns1/s2\u0000' });

    // Writes between pages must not show up.
    await storage.create(`${prefix}ns1/s5a`, cm('s5a'));
    await storage.delete(`${prefix}ns1/s7`);
    await storage.guaranteedUpdate(`${prefix}ns1/s8`, (c) => ({ ...c, data: { i: 'changed' } }));

    const items = [...first.items];
    let page = first;
    while (page.continue) {
      page = await storage.list(prefix, { limit: 3, continue: page.continue });
      assert.equal(page.resourceVersion, first.resourceVersion);
      items.push(...page.items);
    }
    assert.deepEqual(items.map((o) => o.metadata.name), ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9']);
    assert.equal((items[8]!.data as { i: unknown }).i, 8);
    assert.equal(page.remainingItemCount, undefined);

    const now = await storage.list(prefix, {});
    assert.deepEqual(now.items.map((o) => o.metadata.name), ['s0', 's1', 's2', 's3', 's4', 's5', 's5a', 's6', 's8', 's9']);
    // Restore for the other tests.
    await storage.delete(`${prefix}ns1/s5a`);
    await storage.create(`${prefix}ns1/s7`, cm('s7', { i: 7 }));
    await storage.guaranteedUpdate(`${prefix}ns1/s8`, (c) => ({ ...c, data: { i: 8 } }));
  });

  it('fills each page with `limit` matching items under a predicate, without remainingItemCount', async () => {
    const even = (o: KubeObject) => Number((o.data as { i: number }).i) % 3 === 0; // s0 s3 s6 s9
    const p1 = await storage.list(prefix, { limit: 2, predicate: even });
    assert.deepEqual(p1.items.map((o) => o.metadata.name), ['s0', 's3']);
    assert.equal(p1.remainingItemCount, undefined);
    assert.ok(p1.continue);
    const p2 = await storage.list(prefix, { limit: 2, predicate: even, continue: p1.continue });
    assert.deepEqual(p2.items.map((o) => o.metadata.name), ['s6', 's9']);
    if (p2.continue) {
      const p3 = await storage.list(prefix, { limit: 2, predicate: even, continue: p2.continue });
      assert.deepEqual(p3.items, []);
      assert.equal(p3.continue, undefined);
    }
    const all = await storage.list(prefix, { predicate: even });
    assert.equal(all.items.length, 4);
  });

  it('serves RV "0", "N" and unset from the cache, and lists a sub-prefix', async () => {
    await storage.create(`${prefix}ns2/x`, cm('x'));
    const rv = await storage.currentRevision();
    const notOlder = await storage.list(prefix, { resourceVersion: String(rv) });
    assert.ok(Number(notOlder.resourceVersion) >= rv);
    // RV "0" may be served stale (any revision will do); after the list above the cache has caught up.
    const zero = await storage.list(prefix, { resourceVersion: '0' });
    assert.ok(zero.items.length >= 11);
    const ns2 = await storage.list(`${prefix}ns2/`, {});
    assert.deepEqual(ns2.items.map((o) => o.metadata.name), ['x']);
    assert.equal(ns2.items[0]!.metadata.resourceVersion, String(rv));
  });

  it('reads Exact revisions from etcd and refuses too-large resource versions', async () => {
    const before = await storage.currentRevision();
    await storage.create(`${prefix}ns3/late`, cm('late'));
    const exact = await storage.list(`${prefix}ns3/`, { resourceVersion: String(before), resourceVersionMatch: 'Exact' });
    assert.deepEqual(exact.items, []);
    assert.equal(exact.resourceVersion, String(before));
    const t0 = Date.now();
    const err = await rejectsWith(storage.list(prefix, { resourceVersion: String(before + 1000) }), 'TooLargeResourceVersion');
    assert.ok(Date.now() - t0 >= 2500, 'waited ~3 s for the cache first');
    assert.equal(err.resourceVersion, before + 1);
    await rejectsWith(storage.list(prefix, { resourceVersion: String(before + 1000), resourceVersionMatch: 'Exact', limit: 5 }), 'TooLargeResourceVersion');
  });

  it('answers a continue token whose revision was compacted with Expired', async () => {
    const first = await storage.list(prefix, { limit: 2 });
    await storage.guaranteedUpdate(`${prefix}ns1/s0`, (c) => ({ ...c, data: { i: 0, touched: true } }));
    await raw.kv.compact({ revision: String(await storage.currentRevision()), physical: true });
    const err = await rejectsWith(storage.list(prefix, { limit: 2, continue: first.continue! }), 'Expired');
    assert.equal(
      err.message,
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
    await rejectsWith(storage.list(prefix, { resourceVersion: first.resourceVersion, resourceVersionMatch: 'Exact' }), 'Expired');
  });

  it('counts keys under a prefix', async () => {
    assert.equal(await storage.count(`${prefix}ns1/`), 10);
  });
});

describe('two API servers on one etcd', () => {
  it('each sees the other’s writes in consistent lists immediately', async () => {
    const other = new Etcd3Storage({ endpoints: [etcd.endpoint] });
    try {
      // Warm both caches so the lists below really come from memory.
      await storage.list('/registry/leases/', {});
      await other.list('/registry/leases/', {});
      for (let i = 0; i < 20; i++) {
        const [writer, reader] = i % 2 === 0 ? [storage, other] : [other, storage];
        await writer.create(`/registry/leases/kube-system/l${i}`, cm(`l${i}`));
        const list = await reader.list('/registry/leases/', {});
        assert.equal(list.items.length, i + 1, `list after write ${i}`);
        assert.ok(Number(list.resourceVersion) >= Number(await writer.currentRevision()) - 0);
        // A write to another resource only moves the revision: the cache must still answer quickly.
        await writer.create(`/registry/events/default/e${i}`, cm(`e${i}`));
        const t0 = performance.now();
        const again = await reader.list('/registry/leases/', {});
        assert.equal(again.items.length, i + 1);
        assert.ok(performance.now() - t0 < 1000);
      }
    } finally {
      await other.close();
    }
  });
});

describe('consistent LIST of 10,000 objects', () => {
  it('is served from the watch cache in tens of milliseconds', async () => {
    const n = 10_000;
    const value = (i: number) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'bench', uid: `uid-${i}`, labels: { app: 'bench' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } });
    for (let i = 0; i < n; i += 100) {
      await raw.kv.txn({
        success: Array.from({ length: 100 }, (_, j) => ({ request_put: { key: Buffer.from(`/registry/pods/bench/p${String(i + j).padStart(5, '0')}`), value: Buffer.from(value(i + j)) } })),
      });
    }
    await storage.list('/registry/pods/', { resourceVersion: '0' }); // start the cache
    await storage.create('/registry/configmaps/default/bump', cm('bump')); // the revision moves elsewhere
    const times: number[] = [];
    for (let r = 0; r < 10; r++) {
      const t0 = performance.now();
      const list = await storage.list('/registry/pods/', {});
      times.push(performance.now() - t0);
      assert.equal(list.items.length, n);
    }
    times.sort((a, b) => a - b);
    const p50 = times[5]!;
    console.log(`consistent LIST of ${n} pods from the watch cache: p50 ${p50.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
    assert.ok(p50 < 200, `p50 ${p50} ms`);
  });
});
