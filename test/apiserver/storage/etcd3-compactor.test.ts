/**
 * etcd history compaction as kube-apiserver does it: one round per interval
 * shared by every API server on the etcd, compacting to the revision recorded
 * one interval earlier, never on the first round.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactOnce, compactRevisionKey } from '../../../apiserver/storage/etcd3/compactor.ts';
import { Etcd3Storage } from '../../../apiserver/storage/etcd3/store.ts';
import { etcdWithRawClient } from '../../support/etcd-fixture.ts';
import { waitFor } from '../../support/wait-for.ts';

const fx = etcdWithRawClient();

/** Whether etcd has compacted away revision `rev`: a read at it fails. */
async function compacted(rev: number): Promise<boolean> {
  try {
    await fx.raw.kv.range({ key: Buffer.from('/registry/'), revision: String(rev) });
    return false;
  } catch (err) {
    if (/compacted/.test((err as Error).message)) return true;
    throw err;
  }
}

async function revision(): Promise<number> {
  return Number((await fx.raw.kv.range({ key: Buffer.from('/nothing') })).header.revision);
}

describe('compactOnce', () => {
  it('records the revision, compacts to the one recorded a round earlier, and lets one of two servers win a round', async () => {
    for (let i = 0; i < 5; i++) await fx.raw.put(`/registry/configmaps/default/c${i}`).value(String(i));
    let a = { version: 0, revision: 0 };
    let b = { version: 0, revision: 0 };

    // Round 1: a wins and records the current revision, compacting nothing.
    const r1 = await compactOnce(fx.raw, a);
    assert.equal(r1.compactedTo, undefined);
    assert.equal(r1.version, 1);
    assert.equal(Number(await fx.raw.get(compactRevisionKey).string()), 0, 'the first round records the revision it knew (none yet)');
    a = r1;
    // b loses the same round (its version is stale) and only catches up.
    const lost = await compactOnce(fx.raw, b);
    assert.equal(lost.compactedTo, undefined);
    assert.equal(lost.version, 1);
    b = lost;
    assert.equal(await compacted(1), false, 'nothing compacted yet');

    for (let i = 0; i < 5; i++) await fx.raw.put(`/registry/configmaps/default/c${i}`).value(`v2-${i}`);
    // Round 2: b is first this time, and compacts to the revision it saw when it lost round 1.
    const r2 = await compactOnce(fx.raw, b);
    assert.equal(r2.compactedTo, b.revision);
    assert.equal(await compacted(b.revision - 1), true);
    assert.equal(await compacted(b.revision), false, 'history from the recorded revision on is kept');
    assert.equal(Number(await fx.raw.get(compactRevisionKey).string()), b.revision);
    // a, one round behind, loses and compacts nothing.
    const r2a = await compactOnce(fx.raw, a);
    assert.equal(r2a.compactedTo, undefined);
    assert.equal(r2a.version, 2);
    // The latest values are untouched.
    assert.equal(await fx.raw.get('/registry/configmaps/default/c4').string(), 'v2-4');
  });
});

describe('Etcd3Storage with compactionIntervalMs', () => {
  it('compacts in the background, and a list at a compacted resourceVersion is Expired', async () => {
    const storage = new Etcd3Storage({ endpoints: [fx.etcd.endpoint], compactionIntervalMs: 200 });
    try {
      const prefix = '/registry/configmaps/compacted/';
      for (let i = 0; i < 3; i++) {
        await storage.create(`${prefix}c${i}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}`, namespace: 'compacted' } });
      }
      const old = await revision();
      // Two rounds after `old` was current, history up to at least `old` is gone.
      await waitFor('a compaction past the first writes', async () => (await compacted(old - 1)) || undefined, 10_000);
      await assert.rejects(storage.list(prefix, { resourceVersion: String(old - 1), resourceVersionMatch: 'Exact' }), { code: 'Expired' });
      const now = await storage.list(prefix, {});
      assert.deepEqual(
        now.items.map((o) => o.metadata.name),
        ['c0', 'c1', 'c2'],
      );
    } finally {
      await storage.close();
    }
  });
});
