/**
 * A cursor over protobuf wire-format bytes (varints, 64/32-bit words,
 * length-delimited fields). It knows nothing about messages; malformed or
 * truncated input raises {@link WireFormatError}.
 */

/** Wire types of the protobuf encoding; 3 and 4 (groups) are never produced by Kubernetes. */
export const wireType = { varint: 0, fixed64: 1, lengthDelimited: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

export class WireFormatError extends Error {
  /** True once the message names the field path where decoding failed. */
  readonly located: boolean;

  constructor(message: string, located = false) {
    super(message);
    this.name = 'WireFormatError';
    this.located = located;
  }
}

export interface Tag {
  fieldNumber: number;
  wireType: number;
}

export class WireReader {
  private readonly buf: Buffer;
  private pos: number;
  private readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as an unsigned 64-bit value. */
  readVarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('unexpected end of data inside a varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new WireFormatError('varint is longer than 10 bytes');
  }

  readTag(): Tag {
    const key = this.readVarint();
    if (key > 0xffffffffn) throw new WireFormatError(`field key ${key} is out of range`);
    const fieldNumber = Number(key >> 3n);
    if (fieldNumber === 0) throw new WireFormatError('field number 0 is not allowed');
    return { fieldNumber, wireType: Number(key & 7n) };
  }

  /** The payload of a length-delimited field, as a view on the same memory. */
  readLengthDelimited(): Buffer {
    const length = this.readVarint();
    if (length > BigInt(this.end - this.pos)) {
      throw new WireFormatError(`length-delimited field of ${length} bytes overruns the ${this.end - this.pos} bytes left`);
    }
    const start = this.pos;
    this.pos += Number(length);
    return this.buf.subarray(start, this.pos);
  }

  readFixed64(): Buffer {
    return this.take(8);
  }

  readFixed32(): Buffer {
    return this.take(4);
  }

  /** Steps over a field of an unknown number. */
  skip(type: number): void {
    switch (type) {
      case wireType.varint:
        this.readVarint();
        return;
      case wireType.fixed64:
        this.take(8);
        return;
      case wireType.lengthDelimited:
        this.readLengthDelimited();
        return;
      case wireType.fixed32:
        this.take(4);
        return;
      default:
        throw new WireFormatError(`unsupported wire type ${type}`);
    }
  }

  private take(n: number): Buffer {
    if (this.end - this.pos < n) throw new WireFormatError(`unexpected end of data: wanted ${n} bytes, ${this.end - this.pos} left`);
    const start = this.pos;
    this.pos += n;
    return this.buf.subarray(start, this.pos);
  }
}
