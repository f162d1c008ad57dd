/**
 * TxnThread against a real etcd: answers come back from the worker thread
 * with real Buffers, many concurrent transactions each get their answer,
 * and a closed thread refuses work instead of hanging.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TxnThread } from '../../../apiserver/storage/etcd3/txn-thread.ts';
import { etcdWithRawClient } from '../../support/etcd-fixture.ts';

const fx = etcdWithRawClient();

describe('TxnThread', () => {
  it('returns etcd answers with Buffers that read back as the stored text', async () => {
    const thread = new TxnThread([fx.etcd.endpoint]);
    try {
      const key = Buffer.from('/registry/things/a');
      const put = await thread.txn({ compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }], success: [{ request_put: { key, value: Buffer.from('héllo') } }] });
      assert.equal(put.succeeded, true);
      assert.match(put.header.revision, /^\d+$/);
      // The same create again fails its compare and reads the key back.
      const again = await thread.txn({
        compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from('other') } }],
        failure: [{ request_range: { key } }],
      });
      assert.equal(again.succeeded, false);
      const kv = again.responses[0]!.response_range.kvs[0]!;
      assert.ok(Buffer.isBuffer(kv.value), 'a Buffer, not a bare Uint8Array');
      assert.equal(kv.key.toString(), '/registry/things/a');
      assert.equal(kv.value.toString(), 'héllo');
      assert.equal(kv.mod_revision, put.header.revision);
    } finally {
      await thread.close();
    }
  });

  it('answers each of many concurrent transactions, each at its own revision', async () => {
    const thread = new TxnThread([fx.etcd.endpoint]);
    try {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => thread.txn({ success: [{ request_put: { key: Buffer.from(`/registry/things/many-${i}`), value: Buffer.from(String(i)) } }] })),
      );
      assert.equal(new Set(answers.map((a) => a.header.revision)).size, 100);
      const stored = await fx.raw.getAll().prefix('/registry/things/many-').strings();
      assert.equal(Object.keys(stored).length, 100);
      assert.equal(stored['/registry/things/many-42'], '42');
    } finally {
      await thread.close();
    }
  });

  it('rejects work once closed, and reports an unreachable etcd as an error', async () => {
    const thread = new TxnThread([fx.etcd.endpoint]);
    await thread.close();
    await assert.rejects(thread.txn({ success: [] }), /closed/);
    const nowhere = new TxnThread(['http://127.0.0.1:1']);
    try {
      await assert.rejects(nowhere.txn({ success: [{ request_put: { key: Buffer.from('/x'), value: Buffer.from('y') } }] }), Error);
    } finally {
      await nowhere.close();
    }
  });
});
