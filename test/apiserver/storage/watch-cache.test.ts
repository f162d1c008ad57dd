/**
 * The watch cache against a real etcd: ordering from a list's RV, resuming,
 * 410s for compacted history, predicate transitions, bookmarks, slow watchers
 * and a second API server process on the same etcd.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import type { KubeObject, WatchEvent } from '../../../client/api/meta.ts';
import { Etcd3Storage } from '../../../apiserver/storage/etcd3/store.ts';
import type { Watcher } from '../../../apiserver/storage/interface.ts';
import { startEtcd, type TestEtcd } from '../../support/etcd.ts';

let etcd: TestEtcd;
let storage: Etcd3Storage;
let raw: Etcd3;

before(async () => {
  etcd = await startEtcd();
  storage = new Etcd3Storage({ endpoints: [etcd.endpoint] });
  raw = new Etcd3({ hosts: etcd.endpoint });
});

after(async () => {
  await storage?.close();
  raw?.close();
  await etcd?.stop();
});

function obj(name: string, ns = 'default', labels?: Record<string, string>, data: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, data };
}

/** Reads events from a watcher into an array as they come. */
function collect(w: Watcher): { events: WatchEvent[]; next(n: number, timeoutMs?: number): Promise<WatchEvent[]>; done: Promise<void> } {
  const events: WatchEvent[] = [];
  let notify: (() => void) | undefined;
  const done = (async () => {
    for await (const e of w) {
      events.push(e);
      notify?.();
    }
    notify?.();
  })();
  let read = 0;
  return {
    events,
    done,
    async next(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < read + n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} events; have ${events.length - read}: ${JSON.stringify(events.slice(read).map((e) => e.type))}`);
        await Promise.race([new Promise<void>((r) => (notify = r)), done, new Promise((r) => setTimeout(r, 50))]);
      }
      const out = events.slice(read, read + n);
      read += n;
      return out;
    },
  };
}

const rvOf = (e: WatchEvent) => Number(e.object.metadata.resourceVersion);

describe('watch', () => {
  it('from a list RV sees every later event exactly once, in revision order', async () => {
    const prefix = '/registry/configmaps/';
    for (let i = 0; i < 5; i++) await storage.create(`${prefix}default/pre${i}`, obj(`pre${i}`));
    const list = await storage.list(prefix, {});
    const ac = new AbortController();
    const c = collect(await storage.watch(prefix, { resourceVersion: list.resourceVersion, signal: ac.signal }));
    const expected: { type: string; name: string; rv: number }[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; i < 15; i++) {
          const name = `w${worker}-${i}`;
          const key = `${prefix}default/${name}`;
          const created = await storage.create(key, obj(name));
          expected.push({ type: 'ADDED', name, rv: Number(created.metadata.resourceVersion) });
          const updated = await storage.guaranteedUpdate(key, (cur) => ({ ...cur, data: { i } }));
          expected.push({ type: 'MODIFIED', name, rv: Number(updated.metadata.resourceVersion) });
          if (i % 3 === 0) {
            const deleted = await storage.delete(key);
            expected.push({ type: 'DELETED', name, rv: Number(deleted.metadata.resourceVersion) });
          }
        }
      }),
    );
    expected.sort((a, b) => a.rv - b.rv);
    const got = await c.next(expected.length);
    assert.deepEqual(
      got.map((e) => ({ type: e.type, name: e.object.metadata.name, rv: rvOf(e) })),
      expected,
    );
    ac.abort();
    await c.done;
  });

  it('with RV unset sends ADDED for the current state, then changes; DELETED carries the last state at the delete revision', async () => {
    const prefix = '/registry/services/';
    await storage.create(`${prefix}a/one`, obj('one', 'a', undefined, { v: 1 }));
    await storage.create(`${prefix}b/two`, obj('two', 'b'));
    const ac = new AbortController();
    const c = collect(await storage.watch(`${prefix}a/`, { signal: ac.signal }));
    const [added] = await c.next(1);
    assert.equal(added!.type, 'ADDED');
    assert.equal(added!.object.metadata.name, 'one');
    await storage.create(`${prefix}b/three`, obj('three', 'b')); // other namespace: filtered out
    await storage.guaranteedUpdate(`${prefix}a/one`, (cur) => ({ ...cur, data: { v: 2 } }));
    const deleted = await storage.delete(`${prefix}a/one`);
    const [mod, del] = await c.next(2);
    assert.equal(mod!.type, 'MODIFIED');
    assert.equal(del!.type, 'DELETED');
    assert.deepEqual(del!.object.data, { v: 2 });
    assert.equal(del!.object.metadata.resourceVersion, deleted.metadata.resourceVersion);
    assert.equal(c.events.length, 2 + 1);
    ac.abort();
    await c.done;
  });

  it('sends DELETED when an object stops matching the predicate and ADDED when it matches again', async () => {
    const prefix = '/registry/pods/';
    const key = `${prefix}default/sel`;
    await storage.create(key, obj('sel', 'default', { app: 'web' }));
    const ac = new AbortController();
    const web = (o: KubeObject) => o.metadata.labels?.app === 'web';
    const c = collect(await storage.watch(prefix, { signal: ac.signal, resourceVersion: '0', predicate: web }));
    assert.equal((await c.next(1))[0]!.type, 'ADDED');
    const moved = await storage.guaranteedUpdate(key, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { app: 'db' } } }));
    const [gone] = await c.next(1);
    assert.equal(gone!.type, 'DELETED');
    assert.deepEqual(gone!.object.metadata.labels, { app: 'web' }, 'the DELETED carries the last matching state');
    assert.equal(gone!.object.metadata.resourceVersion, moved.metadata.resourceVersion);
    await storage.guaranteedUpdate(key, (cur) => ({ ...cur, data: { ignored: true } })); // still not matching
    await storage.guaranteedUpdate(key, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { app: 'web' } } }));
    const [back] = await c.next(1);
    assert.equal(back!.type, 'ADDED');
    assert.deepEqual(back!.object.data, { ignored: true });
    ac.abort();
    await c.done;
  });

  it('resumed from its last RV misses and repeats nothing', async () => {
    const prefix = '/registry/endpoints/';
    const start = await storage.currentRevision();
    let stopWriting = false;
    const written: number[] = [];
    const writer = (async () => {
      for (let i = 0; !stopWriting || i < 60; i++) {
        const o = await storage.create(`${prefix}default/r${i}`, obj(`r${i}`));
        written.push(Number(o.metadata.resourceVersion));
        if (i > 400) break;
      }
    })();
    const seen: number[] = [];
    let rv = String(start);
    for (let round = 0; round < 6; round++) {
      const ac = new AbortController();
      const w = await storage.watch(prefix, { resourceVersion: rv, signal: ac.signal });
      let n = 0;
      for await (const e of w) {
        assert.equal(e.type, 'ADDED');
        seen.push(rvOf(e));
        rv = e.object.metadata.resourceVersion!;
        if (++n >= 7) break; // leave mid-stream, as a client whose connection drops
      }
      ac.abort();
    }
    stopWriting = true;
    await writer;
    const ac = new AbortController();
    const c = collect(await storage.watch(prefix, { resourceVersion: rv, signal: ac.signal }));
    const rest = written.filter((r) => r > Number(rv)).length;
    seen.push(...(await c.next(rest)).map(rvOf));
    ac.abort();
    assert.deepEqual(seen, written);
  });

  it('answers a watch from a compacted RV with one 410 Expired ERROR event, also on a freshly started API server', async () => {
    const prefix = '/registry/leases/';
    await storage.create(`${prefix}default/old`, obj('old'));
    const old = await storage.currentRevision();
    for (let i = 0; i < 3; i++) await storage.create(`/registry/namespaces/n${i}`, obj(`n${i}`, ''));
    const compactAt = await storage.currentRevision();
    await raw.kv.compact({ revision: String(compactAt), physical: true });
    const fresh = new Etcd3Storage({ endpoints: [etcd.endpoint] });
    try {
      const events: WatchEvent[] = [];
      for await (const e of await fresh.watch(prefix, { resourceVersion: String(old - 1), signal: new AbortController().signal })) events.push(e);
      assert.deepEqual(events, [
        {
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `too old resource version: ${old - 1} (${compactAt})`,
            reason: 'Expired',
            code: 410,
          },
        },
      ] as unknown as WatchEvent[]);
      // From the compact revision on, history is available.
      const ac = new AbortController();
      const c = collect(await fresh.watch(prefix, { resourceVersion: String(compactAt), signal: ac.signal }));
      const made = await storage.create(`${prefix}default/new`, obj('new'));
      const [e] = await c.next(1);
      assert.equal(e!.object.metadata.resourceVersion, made.metadata.resourceVersion);
      ac.abort();
    } finally {
      await fresh.close();
    }
  });

  it('replays history on a restarted API server so a client can resume from an RV of the old one', async () => {
    const prefix = '/registry/deployments.apps/';
    const s1 = new Etcd3Storage({ endpoints: [etcd.endpoint] });
    await s1.create(`${prefix}default/d1`, obj('d1'));
    const list = await s1.list(prefix, {});
    await s1.close();
    const a = await storage.create(`${prefix}default/d2`, obj('d2'));
    const b = await storage.guaranteedUpdate(`${prefix}default/d1`, (cur) => ({ ...cur, data: { x: 1 } }));
    const s2 = new Etcd3Storage({ endpoints: [etcd.endpoint] });
    try {
      const ac = new AbortController();
      const c = collect(await s2.watch(prefix, { resourceVersion: list.resourceVersion, signal: ac.signal }));
      const got = await c.next(2);
      assert.deepEqual(got.map((e) => [e.type, e.object.metadata.resourceVersion]), [
        ['ADDED', a.metadata.resourceVersion],
        ['MODIFIED', b.metadata.resourceVersion],
      ]);
      ac.abort();
    } finally {
      await s2.close();
    }
  });

  it('sends BOOKMARKs carrying only metadata.resourceVersion, advancing while the prefix is quiet', async () => {
    const prefix = '/registry/nodes/';
    const ac = new AbortController();
    const c = collect(await storage.watch(prefix, { resourceVersion: '0', allowBookmarks: true, signal: ac.signal }));
    await storage.create('/registry/secrets/default/elsewhere', obj('elsewhere'));
    const rev = await storage.currentRevision();
    const deadline = Date.now() + 5000;
    let last: WatchEvent | undefined;
    while (Date.now() < deadline) {
      const [e] = await c.next(1, 5000);
      assert.equal(e!.type, 'BOOKMARK');
      assert.deepEqual(Object.keys(e!.object), ['metadata']);
      last = e;
      if (rvOf(e!) >= rev) break;
    }
    assert.ok(last && rvOf(last) >= rev, `bookmark reached ${rev}`);
    ac.abort();
    await c.done;
  });

  it('ends a watcher that stops reading with a 410 once its queue overflows, without disturbing others', async () => {
    const prefix = '/registry/events/';
    const slowAc = new AbortController();
    const slow = await storage.watch(prefix, { resourceVersion: '0', signal: slowAc.signal });
    const fastAc = new AbortController();
    const fast = collect(await storage.watch(prefix, { resourceVersion: '0', signal: fastAc.signal }));
    const total = 10_500;
    for (let i = 0; i < total; i += 100) {
      await raw.kv.txn({
        success: Array.from({ length: 100 }, (_, j) => ({
          request_put: { key: Buffer.from(`${prefix}default/e${i + j}`), value: Buffer.from(JSON.stringify(obj(`e${i + j}`))) },
        })),
      });
    }
    assert.equal((await fast.next(total, 20_000)).length, total);
    const events: WatchEvent[] = [];
    for await (const e of slow) events.push(e);
    const lastEvent = events.at(-1)!;
    assert.equal(lastEvent.type, 'ERROR');
    assert.equal((lastEvent.object as unknown as { code: number }).code, 410);
    assert.ok(events.length <= 10_001);
    slowAc.abort();
    fastAc.abort();
  });
});

describe('two API servers on one etcd', () => {
  it('each watch sees the other’s writes', async () => {
    const other = new Etcd3Storage({ endpoints: [etcd.endpoint] });
    try {
      const prefix = '/registry/replicasets.apps/';
      const ac1 = new AbortController();
      const ac2 = new AbortController();
      const w1 = collect(await storage.watch(prefix, { resourceVersion: '0', signal: ac1.signal }));
      const w2 = collect(await other.watch(prefix, { resourceVersion: '0', signal: ac2.signal }));
      await storage.create(`${prefix}default/x`, obj('x'));
      await other.create(`${prefix}default/y`, obj('y'));
      for (const c of [w1, w2]) assert.deepEqual((await c.next(2)).map((e) => e.object.metadata.name), ['x', 'y']);
      ac1.abort();
      ac2.abort();
    } finally {
      await other.close();
    }
  });
});
