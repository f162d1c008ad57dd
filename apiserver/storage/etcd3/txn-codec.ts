/**
 * The protobuf wire form of etcd's KV.Txn (etcdserverpb.TxnRequest and
 * TxnResponse in etcd's rpc.proto), for the transactions the store makes: one
 * compare of a key's create or mod revision, then puts, deletes or reads of
 * single keys. Hand-written because the generic protobuf path of the gRPC
 * client cost the API server about as much CPU per write as the rest of a
 * create did; the field numbers below are rpc.proto's and kv.proto's.
 */
import { WireReader, wireType } from '../../protobuf/wire-reader.ts';
import { Writer } from '../../protobuf/wire-writer.ts';

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

const { varint, lengthDelimited } = wireType;

/** An int64 varint as a decimal string, as the etcd3 client gives them (lease ids use all 64 bits). */
function int64(r: WireReader): string {
  return BigInt.asIntN(64, r.readVarint()).toString();
}

/** ResponseHeader: revision = 3. */
function readRevision(r: WireReader): string {
  let revision = '0';
  while (!r.done) {
    const { fieldNumber, wireType: wire } = r.readTag();
    if (fieldNumber === 3 && wire === varint) revision = int64(r);
    else r.skip(wire);
  }
  return revision;
}

const noBytes = Buffer.alloc(0);

/** mvccpb.KeyValue: key = 1, create_revision = 2, mod_revision = 3, version = 4, value = 5, lease = 6. */
function readKeyValue(r: WireReader): TxnKeyValue {
  // Absent bytes fields share one empty Buffer.
  const kv: TxnKeyValue = { key: noBytes, value: noBytes, create_revision: '0', mod_revision: '0', version: '0', lease: '0' };
  while (!r.done) {
    const { fieldNumber, wireType: wire } = r.readTag();
    if (fieldNumber === 1 && wire === lengthDelimited) kv.key = r.readLengthDelimited();
    else if (fieldNumber === 5 && wire === lengthDelimited) kv.value = r.readLengthDelimited();
    else if (fieldNumber === 2 && wire === varint) kv.create_revision = int64(r);
    else if (fieldNumber === 3 && wire === varint) kv.mod_revision = int64(r);
    else if (fieldNumber === 4 && wire === varint) kv.version = int64(r);
    else if (fieldNumber === 6 && wire === varint) kv.lease = int64(r);
    else r.skip(wire);
  }
  return kv;
}

/** ResponseOp: response_range = 1 (RangeResponse: kvs = 2); puts and deletes carry no key-values here. */
function readResponseOp(r: WireReader): TxnKeyValue[] {
  const kvs: TxnKeyValue[] = [];
  while (!r.done) {
    const { fieldNumber, wireType: wire } = r.readTag();
    if (fieldNumber === 1 && wire === lengthDelimited) {
      const range = new WireReader(r.readLengthDelimited());
      while (!range.done) {
        const tag = range.readTag();
        if (tag.fieldNumber === 2 && tag.wireType === lengthDelimited) kvs.push(readKeyValue(new WireReader(range.readLengthDelimited())));
        else range.skip(tag.wireType);
      }
    } else r.skip(wire);
  }
  return kvs;
}

/** TxnResponse: header = 1, succeeded = 2, responses = 3. */
export function decodeTxnResponse(buf: Buffer): TxnResponse {
  const r = new WireReader(buf);
  const res: TxnResponse = { revision: '0', succeeded: false, responses: [] };
  while (!r.done) {
    const { fieldNumber, wireType: wire } = r.readTag();
    if (fieldNumber === 1 && wire === lengthDelimited) res.revision = readRevision(new WireReader(r.readLengthDelimited()));
    else if (fieldNumber === 2 && wire === varint) res.succeeded = r.readVarint() !== 0n;
    else if (fieldNumber === 3 && wire === lengthDelimited) res.responses.push(readResponseOp(new WireReader(r.readLengthDelimited())));
    else r.skip(wire);
  }
  return res;
}
