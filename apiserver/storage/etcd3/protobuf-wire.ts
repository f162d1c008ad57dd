/**
 * The protobuf wire format (protobuf.dev/programming-guides/encoding), just
 * what the hand-written etcd codec (txn-codec.ts) needs: a writer of
 * varints, strings, bytes and nested messages, and a reader that walks a
 * message's fields in place.
 *
 * int64s: etcd's revisions fit in a JS number (exact up to 2^53); lease ids
 * may use all 64 bits, so an int64 is also readable as an exact decimal string.
 */

export const wireVarint = 0;
export const wire64Bit = 1;
export const wireLengthDelimited = 2;
export const wire32Bit = 5;

const two32 = 0x1_0000_0000;

/** An append-only protobuf writer over a growing buffer. */
export class Writer {
  #buf = Buffer.allocUnsafe(256);
  #pos = 0;

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /** A non-negative varint, exact up to 2^53. */
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
    this.varint(field * 8 + wire);
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

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, wireLengthDelimited);
    this.varint(value.length);
    this.#ensure(value.length);
    this.#buf.set(value, this.#pos);
    this.#pos += value.length;
  }

  /** A nested message, written by `body` and then length-prefixed in place. */
  message(field: number, body: (w: Writer) => void): void {
    const inner = new Writer();
    body(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}

/** A protobuf reader over one message's bytes. */
export class Reader {
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

  /** A varint as a number: exact for values up to 2^53 (a negative or larger int64 reads inexactly: use int64String). */
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

  /** A varint's low and high 32 bits, exactly. */
  #varint64(): [lo: number, hi: number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      const shift = i * 7;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new Error('malformed protobuf varint');
  }

  /** An int64 varint as an exact decimal string (as protobufjs with `longs: String`). */
  int64String(): string {
    const [lo, hi] = this.#varint64();
    if (hi < 0x20_0000) return String(hi * two32 + lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
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

  /** A length-delimited field's bytes as a Buffer sharing this reader's memory. */
  buffer(): Buffer {
    const [start, end] = this.bytes();
    return this.buf.subarray(start, end);
  }

  skip(wire: number): void {
    if (wire === wireVarint) this.varint();
    else if (wire === wireLengthDelimited) this.bytes();
    else if (wire === wire64Bit) this.pos += 8;
    else if (wire === wire32Bit) this.pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (this.pos > this.end) throw new Error('truncated protobuf field');
  }

  sub([start, end]: [number, number]): Reader {
    return new Reader(this.buf, start, end);
  }
}
