/**
 * The protobuf wire form of etcd's KV.Txn (etcdserverpb.TxnRequest and
 * TxnResponse in etcd's rpc.proto), for the transactions the store makes: one
 * compare of a key's create or mod revision, then puts, deletes or reads of
 * single keys. Hand-written because the generic protobuf path of the gRPC
 * client cost the API server about as much CPU per write as the rest of a
 * create did; the field numbers below are rpc.proto's and kv.proto's.
 */
import { Reader, Writer, wireLengthDelimited, wireVarint } from './protobuf-wire.ts';

/** One compare of the transaction: `target(key) == revision` (a create revision of 0: the key does not exist). */
export interface TxnCompare {
  key: string;
  target: 'Create' | 'Mod';
  revision: number;
}

export type TxnOp = { put: { key: string; value: string } } | { deleteRange: { key: string } } | { range: { key: string } };

export interface TxnRequest {
  compare: TxnCompare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

/** mvccpb.KeyValue, int64s as decimal strings as the etcd3 client gives them. */
export interface TxnKeyValue {
  key: Buffer;
  value: Buffer;
  create_revision: string;
  mod_revision: string;
  version: string;
  lease: string;
}

export interface TxnResponse {
  /** The store's revision after the transaction (header.revision). */
  revision: string;
  succeeded: boolean;
  /**
   * One entry per op of the branch that ran: the key-values a range op read, none for puts and deletes.
   * May be empty when no op read anything (TxnThread does not send empty entries across).
   */
  responses: TxnKeyValue[][];
}

const compareTarget = { Create: 1, Mod: 2 } as const;

function writeOp(w: Writer, field: number, op: TxnOp): void {
  w.message(field, (r) => {
    // RequestOp: request_range = 1, request_put = 2, request_delete_range = 3.
    if ('put' in op) {
      r.message(2, (p) => {
        p.string(1, op.put.key);
        p.string(2, op.put.value);
      });
    } else if ('deleteRange' in op) {
      r.message(3, (d) => d.string(1, op.deleteRange.key));
    } else {
      r.message(1, (g) => g.string(1, op.range.key));
    }
  });
}

/** TxnRequest: compare = 1, success = 2, failure = 3. */
export function encodeTxnRequest(req: TxnRequest): Buffer {
  const w = new Writer();
  for (const c of req.compare) {
    w.message(1, (m) => {
      // Compare: result = 1 (Equal is 0, the default), target = 2, key = 3, create_revision = 5, mod_revision = 6.
      m.uint(2, compareTarget[c.target]);
      m.string(3, c.key);
      // A oneof member is sent even when zero: that is what selects it.
      m.uint(c.target === 'Create' ? 5 : 6, c.revision);
    });
  }
  for (const op of req.success) writeOp(w, 2, op);
  for (const op of req.failure ?? []) writeOp(w, 3, op);
  return w.finish();
}

/** ResponseHeader: revision = 3. */
function readRevision(r: Reader): string {
  let revision = 0;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 3 && wire === wireVarint) revision = r.varint();
    else r.skip(wire);
  }
  return String(revision);
}

const noBytes = Buffer.alloc(0);

/** mvccpb.KeyValue: key = 1, create_revision = 2, mod_revision = 3, version = 4, value = 5, lease = 6. */
function readKeyValue(r: Reader): TxnKeyValue {
  // Absent bytes fields share one empty Buffer: making Buffers is most of the cost of decoding.
  const kv: TxnKeyValue = { key: noBytes, value: noBytes, create_revision: '0', mod_revision: '0', version: '0', lease: '0' };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === wireLengthDelimited) kv.key = r.buffer();
    else if (field === 5 && wire === wireLengthDelimited) kv.value = r.buffer();
    else if (field === 2 && wire === wireVarint) kv.create_revision = String(r.varint());
    else if (field === 3 && wire === wireVarint) kv.mod_revision = String(r.varint());
    else if (field === 4 && wire === wireVarint) kv.version = String(r.varint());
    else if (field === 6 && wire === wireVarint) kv.lease = r.int64String(); // lease ids use all 64 bits
    else r.skip(wire);
  }
  return kv;
}

/** ResponseOp: response_range = 1 (RangeResponse: kvs = 2); puts and deletes carry no key-values here. */
function readResponseOp(r: Reader): TxnKeyValue[] {
  const kvs: TxnKeyValue[] = [];
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === wireLengthDelimited) {
      const range = r.sub(r.bytes());
      while (!range.done) {
        const [f, w] = range.tag();
        if (f === 2 && w === wireLengthDelimited) kvs.push(readKeyValue(range.sub(range.bytes())));
        else range.skip(w);
      }
    } else r.skip(wire);
  }
  return kvs;
}

/** TxnResponse: header = 1, succeeded = 2, responses = 3. */
export function decodeTxnResponse(buf: Buffer): TxnResponse {
  const r = new Reader(buf);
  const res: TxnResponse = { revision: '0', succeeded: false, responses: [] };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === wireLengthDelimited) res.revision = readRevision(r.sub(r.bytes()));
    else if (field === 2 && wire === wireVarint) res.succeeded = r.varint() !== 0;
    else if (field === 3 && wire === wireLengthDelimited) res.responses.push(readResponseOp(r.sub(r.bytes())));
    else r.skip(wire);
  }
  return res;
}
