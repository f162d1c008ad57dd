/**
 * SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 §2.2, plus 3.1's
 * WINDOW_UPDATE), as Kubernetes' streaming protocols use it through
 * moby/spdystream: an 8-byte header, then control or data payload.
 */

export const spdyVersion = 3;

/** Control frame types. */
export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const flagFin = 0x01;

/** RST_STREAM status codes. */
export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  Cancel: 5,
  InternalError: 6,
} as const;

export type SpdyFrame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; type: number; flags: number; payload: Buffer };

/** Frames above this are a protocol error: a 24-bit length allows 16 MiB, nothing Kubernetes sends comes near it. */
const maxFrameLength = 1 << 24;

/**
 * Splits a byte stream into frames. The stream may arrive in any pieces
 * (kubectl's WebSocket tunnel splits one frame over several messages).
 */
export class SpdyFrameParser {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;

  push(chunk: Buffer): SpdyFrame[] {
    if (chunk.length > 0) {
      this.buffered.push(chunk);
      this.bufferedLength += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    for (;;) {
      if (this.bufferedLength < 8) break;
      const head = this.peek(8);
      const length = head.readUIntBE(5, 3);
      if (length >= maxFrameLength) throw new Error(`SPDY frame of ${length} bytes`);
      if (this.bufferedLength < 8 + length) break;
      const frame = this.take(8 + length);
      const flags = frame[4]!;
      const body = frame.subarray(8);
      if (frame[0]! & 0x80) {
        const version = frame.readUInt16BE(0) & 0x7fff;
        if (version !== spdyVersion) throw new Error(`unsupported SPDY version ${version}`);
        frames.push({ kind: 'control', type: frame.readUInt16BE(2), flags, payload: body });
      } else {
        frames.push({ kind: 'data', streamId: frame.readUInt32BE(0) & 0x7fffffff, flags, data: body });
      }
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.buffered[0]!.length < n) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedLength -= n;
    return out;
  }
}

function header(firstWord: number, flags: number, length: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(firstWord >>> 0, 0);
  head.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return head;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([header((0x8000 | spdyVersion) * 0x10000 + type, flags, payload.length), payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  return Buffer.concat([header(streamId & 0x7fffffff, flags, data.length), data]);
}

export function uint32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** The uncompressed header block: a count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [uint32(headers.length)];
  for (const [name, value] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(uint32(n.length), n, uint32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Header names are lower case; several values of one name are NUL-separated, as SPDY sends them. */
export function decodeHeaderBlock(block: Buffer): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let offset = 0;
  const read = (): Buffer => {
    if (offset + 4 > block.length) throw new Error('truncated SPDY header block');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new Error('truncated SPDY header block');
    const value = block.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  if (block.length < 4) throw new Error('truncated SPDY header block');
  const count = block.readUInt32BE(0);
  offset = 4;
  for (let i = 0; i < count; i++) {
    const name = read().toString('utf8').toLowerCase();
    const values = read().toString('utf8').split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}
