/**
 * Writing the protobuf wire format (protobuf.dev/programming-guides/encoding):
 * what the hand-written etcd Txn codec needs, varints (exact up to 2^53, which
 * etcd's revisions fit), strings, bytes and nested messages. Its reader
 * counterpart is wire-reader.ts.
 */
import { wireType } from './wire-reader.ts';

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
    this.tag(field, wireType.varint);
    this.varint(value);
  }

  string(field: number, value: string): void {
    const length = Buffer.byteLength(value);
    this.tag(field, wireType.lengthDelimited);
    this.varint(length);
    this.#ensure(length);
    this.#pos += this.#buf.write(value, this.#pos, 'utf8');
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, wireType.lengthDelimited);
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
