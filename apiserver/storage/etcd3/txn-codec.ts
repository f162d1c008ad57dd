/**
 * The protobuf wire form of etcd's KV.Txn (etcdserverpb.TxnRequest and
 * TxnResponse in etcd's rpc.proto), for the transactions the store makes: one
 * compare of a key's create or mod revision, then puts, deletes or reads of
 * single keys. Hand-written because the generic protobuf path of the gRPC
 * client cost the API server about as much CPU per write as the rest of a
 * create did; the field numbers below are rpc.proto's and kv.proto's.
 */

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

const wireVarint = 0;
const wireLengthDelimited = 2;
const compareTarget = { Create: 1, Mod: 2 } as const;

/** An append-only protobuf writer over a growing buffer. */
class Writer {
  #buf = Buffer.allocUnsafe(256);
  #pos = 0;

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf varint out of range: ${value}`);
    this.#ensure(10);
    while (value > 0x7f) {
      this.#buf[this.#pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#buf[this.#pos++] = value;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  uint(field: number, value: number): void {
    this.tag(field, wireVarint);
    this.varint(value);
  }

  string(field: number, value: string): void {
    const length = Buffer.byteLength(value);
    this.tag(field, wireLengthDelimited);
    this.varint(length);
    this.#ensure(length);
    this.#pos += this.#buf.write(value, this.#pos, 'utf8');
  }

  /** A nested message, written by `body` and then length-prefixed in place. */
  message(field: number, body: (w: Writer) => void): void {
    const inner = new Writer();
    body(inner);
    const bytes = inner.finish();
    this.tag(field, wireLengthDelimited);
    this.varint(bytes.length);
    this.#ensure(bytes.length);
    bytes.copy(this.#buf, this.#pos);
    this.#pos += bytes.length;
  }

  finish(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}

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

/** A protobuf reader over one message's bytes. */
class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new Error('malformed protobuf varint');
  }

  /** A field's tag: [field number, wire type]. */
  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t & 7];
  }

  /** The bounds of a length-delimited field's bytes, advancing past them. */
  bytes(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) throw new Error('truncated protobuf field');
    this.pos = start + length;
    return [start, start + length];
  }

  skip(wire: number): void {
    if (wire === wireVarint) this.varint();
    else if (wire === wireLengthDelimited) this.bytes();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (this.pos > this.end) throw new Error('truncated protobuf field');
  }

  sub([start, end]: [number, number]): Reader {
    return new Reader(this.buf, start, end);
  }
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

/** mvccpb.KeyValue: key = 1, create_revision = 2, mod_revision = 3, version = 4, value = 5, lease = 6. */
function readKeyValue(r: Reader): TxnKeyValue {
  const kv: TxnKeyValue = { key: Buffer.alloc(0), value: Buffer.alloc(0), create_revision: '0', mod_revision: '0', version: '0', lease: '0' };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === wireLengthDelimited) kv.key = r.buf.subarray(...r.bytes());
    else if (field === 5 && wire === wireLengthDelimited) kv.value = r.buf.subarray(...r.bytes());
    else if (field === 2 && wire === wireVarint) kv.create_revision = String(r.varint());
    else if (field === 3 && wire === wireVarint) kv.mod_revision = String(r.varint());
    else if (field === 4 && wire === wireVarint) kv.version = String(r.varint());
    else if (field === 6 && wire === wireVarint) kv.lease = String(r.varint());
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
