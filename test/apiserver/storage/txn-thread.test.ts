/**
 * etcd transactions through the lean gRPC client, directly and from the
 * worker thread, against a real etcd: answers decode to what etcd stored,
 * key-values come back as real Buffers, etcd's own errors arrive with their
 * gRPC status, and a closed or unreachable client fails instead of hanging.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcTxnClient } from '../../../apiserver/storage/etcd3/grpc-txn-client.ts';
import { TxnThread } from '../../../apiserver/storage/etcd3/txn-thread.ts';
import type { TxnRequest, TxnResponse } from '../../../apiserver/storage/etcd3/txn-codec.ts';
import { etcdWithRawClient } from '../../support/etcd-fixture.ts';

const fx = etcdWithRawClient();

interface Runner {
  txn(request: TxnRequest): Promise<TxnResponse>;
}

const runners: [string, (endpoints: string[]) => Runner & { close(): unknown }][] = [
  ['GrpcTxnClient', (e) => new GrpcTxnClient(e)],
  ['TxnThread', (e) => new TxnThread(e)],
];

for (const [name, make] of runners) {
  describe(name, () => {
    it('creates, refuses a second create with the current key-value, updates on the mod revision and deletes', async () => {
      const client = make([fx.etcd.endpoint]);
      try {
        const key = `/registry/things/${name}-a`;
        const put = await client.txn({ compare: [{ key, target: 'Create', revision: 0 }], success: [{ put: { key, value: 'héllo' } }] });
        assert.equal(put.succeeded, true);
        assert.match(put.revision, /^\d+$/);
        assert.equal(await fx.raw.get(key).string(), 'héllo');
        const again = await client.txn({ compare: [{ key, target: 'Create', revision: 0 }], success: [{ put: { key, value: 'other' } }], failure: [{ range: { key } }] });
        assert.equal(again.succeeded, false);
        const kv = again.responses[0]![0]!;
        assert.ok(Buffer.isBuffer(kv.value), 'a Buffer, not a bare Uint8Array');
        assert.equal(kv.key.toString(), key);
        assert.equal(kv.value.toString(), 'héllo');
        assert.equal(kv.mod_revision, put.revision);
        assert.equal(kv.create_revision, put.revision);
        assert.equal(kv.version, '1');
        // A stale mod revision fails; the current one succeeds.
        const stale = await client.txn({ compare: [{ key, target: 'Mod', revision: Number(put.revision) - 1 }], success: [{ put: { key, value: 'v2' } }], failure: [{ range: { key } }] });
        assert.equal(stale.succeeded, false);
        const updated = await client.txn({ compare: [{ key, target: 'Mod', revision: Number(put.revision) }], success: [{ put: { key, value: 'v2' } }], failure: [{ range: { key } }] });
        assert.equal(updated.succeeded, true);
        assert.ok(Number(updated.revision) > Number(put.revision));
        assert.ok(updated.responses.every((kvs) => kvs.length === 0), 'a put answers with no key-values');
        const deleted = await client.txn({ compare: [{ key, target: 'Mod', revision: Number(updated.revision) }], success: [{ deleteRange: { key } }], failure: [{ range: { key } }] });
        assert.equal(deleted.succeeded, true);
        assert.equal(await fx.raw.get(key).string(), null);
        // A range of a missing key reads nothing.
        const missing = await client.txn({ compare: [{ key, target: 'Mod', revision: 1 }], success: [{ deleteRange: { key } }], failure: [{ range: { key } }] });
        assert.equal(missing.succeeded, false);
        assert.equal(missing.responses[0]?.[0], undefined);
      } finally {
        await client.close();
      }
    });

    it('answers each of many concurrent transactions, each at its own revision', async () => {
      const client = make([fx.etcd.endpoint]);
      try {
        const answers = await Promise.all(
          Array.from({ length: 200 }, (_, i) => client.txn({ compare: [], success: [{ put: { key: `/registry/things/${name}-many-${i}`, value: String(i) } }] })),
        );
        assert.equal(new Set(answers.map((a) => a.revision)).size, 200);
        const stored = await fx.raw.getAll().prefix(`/registry/things/${name}-many-`).strings();
        assert.equal(Object.keys(stored).length, 200);
        assert.equal(stored[`/registry/things/${name}-many-42`], '42');
      } finally {
        await client.close();
      }
    });

    it("reports etcd's refusal with its gRPC status and message", async () => {
      const client = make([fx.etcd.endpoint]);
      try {
        const key = `/registry/things/${name}-dup`;
        await assert.rejects(
          client.txn({ compare: [], success: [{ put: { key, value: '1' } }, { put: { key, value: '2' } }] }),
          /3 INVALID_ARGUMENT: etcdserver: duplicate key given in txn request/,
        );
        // A value over etcd's --max-request-bytes (1.5 MiB by default).
        await assert.rejects(client.txn({ compare: [], success: [{ put: { key, value: 'x'.repeat(2 * 1024 * 1024) } }] }), /request is too large|RESOURCE_EXHAUSTED|trying to send message larger than max/);
        assert.equal(await fx.raw.get(key).string(), null, 'nothing was written');
        // The connection still serves calls after an error.
        const ok = await client.txn({ compare: [], success: [{ put: { key, value: 'fine' } }] });
        assert.equal(ok.succeeded, true);
      } finally {
        await client.close();
      }
    });

    it('rejects work once closed, and reports an unreachable etcd as an error', async () => {
      const client = make([fx.etcd.endpoint]);
      await client.close();
      await assert.rejects(client.txn({ compare: [], success: [] }), /closed/);
      const nowhere = make(['http://127.0.0.1:1']);
      try {
        await assert.rejects(nowhere.txn({ compare: [], success: [{ put: { key: '/x', value: 'y' } }] }), /UNAVAILABLE|ECONNREFUSED/);
      } finally {
        await nowhere.close();
      }
    });
  });
}
