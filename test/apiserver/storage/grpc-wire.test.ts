/**
 * The hand-written etcd Txn codec against the etcd3 client's own protobuf
 * definitions (node_modules/etcd3/proto, read by protobufjs): requests decode
 * there to the intended compares and ops, so every field number is
 * rpc.proto's, and answers protobufjs encodes decode here to the same
 * revisions, flags and key-values (64-bit lease ids exactly). Also the
 * writer's varints (exact up to 2^53) and the gRPC de-framer (messages split
 * across, and packed within, DATA chunks).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { frame, GrpcError, MessageDeframer } from '../../../apiserver/storage/etcd3/grpc-channel.ts';
import { WireReader } from '../../../apiserver/protobuf/wire-reader.ts';
import { Writer } from '../../../apiserver/protobuf/wire-writer.ts';
import { decodeTxnResponse, encodeTxnRequest } from '../../../apiserver/storage/etcd3/txn-codec.ts';

const rpcProto = fileURLToPath(new URL('../../../node_modules/etcd3/proto/rpc.proto', import.meta.url));
const root = new protobuf.Root().loadSync(rpcProto, { keepCase: true });
const TxnRequestType = root.lookupType('etcdserverpb.TxnRequest');
const TxnResponseType = root.lookupType('etcdserverpb.TxnResponse');
/** The etcd3 client's proto-loader options (lib/connection-pool.js). */
const etcd3Conversion = { longs: String, enums: String, bytes: String, oneofs: true } as const;

describe('txn-codec', () => {
  it('encodes the create, update and delete transactions as rpc.proto reads them', () => {
    const create = TxnRequestType.toObject(
      TxnRequestType.decode(encodeTxnRequest({ compare: [{ key: '/registry/pods/ns/a', target: 'Create', revision: 0 }], success: [{ put: { key: '/registry/pods/ns/a', value: '{"é":1}' } }] })),
      etcd3Conversion,
    );
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    assert.deepEqual(create, {
      // result Equal is the default (0) and is not sent; create_revision 0 is sent, as it selects the oneof.
      compare: [{ target: 'Create', key: b64('/registry/pods/ns/a'), create_revision: '0', target_union: 'create_revision' }],
      success: [{ request_put: { key: b64('/registry/pods/ns/a'), value: b64('{"é":1}') }, request: 'request_put' }],
    });
    const update = TxnRequestType.toObject(
      TxnRequestType.decode(
        encodeTxnRequest({ compare: [{ key: '/k', target: 'Mod', revision: 2 ** 40 + 3 }], success: [{ put: { key: '/k', value: 'v' } }], failure: [{ range: { key: '/k' } }] }),
      ),
      etcd3Conversion,
    );
    assert.deepEqual(update.compare, [{ target: 'Mod', key: b64('/k'), mod_revision: String(2 ** 40 + 3), target_union: 'mod_revision' }]);
    assert.deepEqual(update.failure, [{ request_range: { key: b64('/k') }, request: 'request_range' }]);
    const del = TxnRequestType.toObject(TxnRequestType.decode(encodeTxnRequest({ compare: [{ key: '/k', target: 'Mod', revision: 7 }], success: [{ deleteRange: { key: '/k' } }] })), etcd3Conversion);
    assert.deepEqual(del.success, [{ request_delete_range: { key: b64('/k') }, request: 'request_delete_range' }]);
  });

  it('decodes the answers protobufjs encodes, skipping fields it does not use', () => {
    const lease = '9223372036854775807'; // lease ids use all 64 bits
    const kv = { key: Buffer.from('/k'), value: Buffer.from('{"a":1}'), create_revision: 5, mod_revision: 2 ** 40, version: 3, lease };
    const header = { cluster_id: '18446744073709551615', member_id: 1, revision: 2 ** 45 + 1, raft_term: 9 };
    const bytes = Buffer.from(
      TxnResponseType.encode(
        TxnResponseType.fromObject({ header, succeeded: false, responses: [{ response_range: { header, kvs: [kv], count: 1, more: false } }, { response_put: { header } }] }),
      ).finish(),
    );
    const res = decodeTxnResponse(bytes);
    assert.equal(res.revision, String(2 ** 45 + 1));
    assert.equal(res.succeeded, false);
    assert.equal(res.responses.length, 2);
    const [got] = res.responses[0]!;
    assert.equal(got!.key.toString(), '/k');
    assert.equal(got!.value.toString(), '{"a":1}');
    assert.deepEqual([got!.create_revision, got!.mod_revision, got!.version, got!.lease], ['5', String(2 ** 40), '3', lease]);
    assert.deepEqual(res.responses[1], []);
    assert.equal(decodeTxnResponse(Buffer.from(TxnResponseType.encode(TxnResponseType.fromObject({ header, succeeded: true })).finish())).succeeded, true);
  });

  it('refuses truncated answers and revisions a JS number cannot hold exactly', () => {
    const bytes = Buffer.from(TxnResponseType.encode(TxnResponseType.fromObject({ header: { revision: 12 }, succeeded: true, responses: [{ response_range: { kvs: [{ key: Buffer.from('/k') }] } }] })).finish());
    // Cut inside the header field (its tag, length, and 2 bytes of content), and inside the last field.
    for (const cut of [1, 2, 3, bytes.length - 1]) {
      assert.throws(() => decodeTxnResponse(bytes.subarray(0, cut)), /unexpected end of data|overruns/, `cut at ${cut}`);
    }
    assert.throws(() => encodeTxnRequest({ compare: [{ key: '/k', target: 'Mod', revision: 2 ** 53 }], success: [] }), RangeError);
  });
});

describe('wire-writer', () => {
  it('writes varints up to 2^53 that read back exactly', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 35 + 17, 2 ** 49, Number.MAX_SAFE_INTEGER]) {
      const w = new Writer();
      w.varint(v);
      w.varint(v);
      const r = new WireReader(w.finish());
      assert.equal(r.readVarint(), BigInt(v));
      assert.equal(r.readVarint(), BigInt(v));
      assert.ok(r.done);
    }
    assert.throws(() => new Writer().varint(2 ** 53), RangeError);
    assert.throws(() => new Writer().varint(-1), RangeError);
  });
});

describe('MessageDeframer', () => {
  const messages = [Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(70_000, 7), Buffer.from('hello world'), Buffer.alloc(3, 1)];
  const stream = Buffer.concat(messages.map(frame));

  function feed(chunks: Buffer[]): Buffer[] {
    const d = new MessageDeframer();
    const out: Buffer[] = [];
    for (const c of chunks) d.push(c, (m) => out.push(Buffer.from(m)));
    assert.equal(d.pendingBytes, 0);
    return out;
  }

  it('cuts one chunk holding many messages', () => {
    assert.deepEqual(feed([stream]), messages);
  });

  it('reassembles at every split point, including inside the 5-byte prefixes', () => {
    for (let cut = 0; cut <= stream.length; cut += cut < 200 || cut > stream.length - 200 ? 1 : 997) {
      assert.deepEqual(feed([stream.subarray(0, cut), stream.subarray(cut)]), messages, `split at ${cut}`);
    }
  });

  it('reassembles byte by byte and in 16 KiB DATA-frame-sized pieces', () => {
    const bytes: Buffer[] = [];
    for (let i = 0; i < 300; i++) bytes.push(stream.subarray(i, i + 1));
    bytes.push(stream.subarray(300));
    assert.deepEqual(feed(bytes), messages);
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 16_384) frames.push(stream.subarray(i, i + 16_384));
    assert.deepEqual(feed(frames), messages);
  });

  it('holds an incomplete message, and refuses a compressed one', () => {
    const d = new MessageDeframer();
    d.push(frame(Buffer.from('abc')).subarray(0, 6), () => assert.fail('not complete'));
    assert.equal(d.pendingBytes, 6);
    const compressed = frame(Buffer.from('x'));
    compressed[0] = 1;
    assert.throws(() => new MessageDeframer().push(compressed, () => undefined), GrpcError);
  });
});
