/**
 * DNS wire format (RFC 1035 §4, RFC 2782 SRV, RFC 3596 AAAA, RFC 6891 OPT):
 * just enough to answer cluster names and to read the question of anything
 * forwarded. Names are written with compression; records of types the
 * server does not build are carried as raw rdata.
 */

export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const ResponseCode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

export const classIN = 1;

export interface DnsQuestion {
  /** Without the trailing dot; '' is the root. */
  name: string;
  type: number;
  class: number;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export type RecordData =
  | { kind: 'A'; address: string }
  | { kind: 'AAAA'; address: string }
  | { kind: 'name'; target: string } // CNAME, NS, PTR
  | { kind: 'SOA'; soa: SoaData }
  | { kind: 'SRV'; srv: SrvData }
  | { kind: 'TXT'; texts: string[] }
  | { kind: 'raw'; bytes: Buffer };

export interface DnsRecord {
  name: string;
  type: number;
  /** For OPT: the requester's UDP payload size. */
  class: number;
  /** For OPT: extended RCODE and flags. */
  ttl: number;
  data: RecordData;
}

export interface DnsFlags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

// Decoding.

class Reader {
  readonly buf: Buffer;
  offset = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DnsFormatError('message is truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /** A possibly compressed name; pointers may only go backwards, which also rules out loops. */
  name(): string {
    const labels: string[] = [];
    let offset = this.offset;
    let jumped = false;
    let length = 0;
    for (;;) {
      if (offset >= this.buf.length) throw new DnsFormatError('name runs past the message');
      const len = this.buf.readUInt8(offset);
      if ((len & 0xc0) === 0xc0) {
        if (offset + 1 >= this.buf.length) throw new DnsFormatError('name runs past the message');
        const pointer = ((len & 0x3f) << 8) | this.buf.readUInt8(offset + 1);
        if (pointer >= offset) throw new DnsFormatError('compression pointer does not point backwards');
        if (!jumped) this.offset = offset + 2;
        jumped = true;
        offset = pointer;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new DnsFormatError('unsupported label type');
      if (len === 0) {
        if (!jumped) this.offset = offset + 1;
        return labels.join('.');
      }
      if (offset + 1 + len > this.buf.length) throw new DnsFormatError('label runs past the message');
      length += len + 1;
      if (length > 255) throw new DnsFormatError('name is longer than 255 octets');
      labels.push(this.buf.toString('latin1', offset + 1, offset + 1 + len));
      offset += 1 + len;
    }
  }
}

function decodeRecord(r: Reader): DnsRecord {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const rdlength = r.u16();
  r.need(rdlength);
  const end = r.offset + rdlength;
  let data: RecordData;
  switch (type) {
    case RecordType.A:
      data = rdlength === 4 ? { kind: 'A', address: [...r.bytes(4)].join('.') } : { kind: 'raw', bytes: r.bytes(rdlength) };
      break;
    case RecordType.AAAA: {
      if (rdlength !== 16) {
        data = { kind: 'raw', bytes: r.bytes(rdlength) };
        break;
      }
      const b = r.bytes(16);
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
      data = { kind: 'AAAA', address: groups.join(':') };
      break;
    }
    case RecordType.CNAME:
    case RecordType.NS:
    case RecordType.PTR:
      data = { kind: 'name', target: r.name() };
      break;
    case RecordType.SOA:
      data = { kind: 'SOA', soa: { mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() } };
      break;
    case RecordType.SRV:
      data = { kind: 'SRV', srv: { priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() } };
      break;
    case RecordType.TXT: {
      const texts: string[] = [];
      while (r.offset < end) texts.push(r.bytes(r.u8()).toString('utf8'));
      data = { kind: 'TXT', texts };
      break;
    }
    default:
      data = { kind: 'raw', bytes: Buffer.from(r.bytes(rdlength)) };
  }
  if (r.offset !== end) throw new DnsFormatError(`rdata of type ${type} has the wrong length`);
  return { name, type, class: cls, ttl, data };
}

export function decodeMessage(buf: Buffer): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16();
  const f = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const records = (n: number) => Array.from({ length: n }, () => decodeRecord(r));
  return {
    id,
    flags: {
      qr: (f & 0x8000) !== 0,
      opcode: (f >> 11) & 0xf,
      aa: (f & 0x0400) !== 0,
      tc: (f & 0x0200) !== 0,
      rd: (f & 0x0100) !== 0,
      ra: (f & 0x0080) !== 0,
      ad: (f & 0x0020) !== 0,
      cd: (f & 0x0010) !== 0,
      rcode: f & 0xf,
    },
    questions,
    answers: records(counts[1]),
    authorities: records(counts[2]),
    additionals: records(counts[3]),
  };
}

// Encoding.

class Writer {
  #buf = Buffer.alloc(512);
  length = 0;
  readonly #names = new Map<string, number>();

  #grow(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.length + n));
    this.#buf.copy(next, 0, 0, this.length);
    this.#buf = next;
  }

  u8(v: number): void {
    this.#grow(1);
    this.#buf.writeUInt8(v, this.length++);
  }

  u16(v: number): void {
    this.#grow(2);
    this.#buf.writeUInt16BE(v, this.length);
    this.length += 2;
  }

  u32(v: number): void {
    this.#grow(4);
    this.#buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.#grow(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  setU16(at: number, v: number): void {
    this.#buf.writeUInt16BE(v, at);
  }

  name(name: string, compress = true): void {
    const labels = name === '' ? [] : name.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const known = compress ? this.#names.get(suffix) : undefined;
      if (known !== undefined) {
        this.u16(0xc000 | known);
        return;
      }
      if (this.length < 0x3fff) this.#names.set(suffix, this.length);
      const label = Buffer.from(labels[i]!, 'latin1');
      if (label.length === 0 || label.length > 63) throw new DnsFormatError(`invalid label in ${JSON.stringify(name)}`);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  result(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.length));
  }
}

function writeRecord(w: Writer, rec: DnsRecord): void {
  w.name(rec.name);
  w.u16(rec.type);
  w.u16(rec.class);
  w.u32(rec.ttl);
  const lengthAt = w.length;
  w.u16(0);
  const start = w.length;
  const d = rec.data;
  switch (d.kind) {
    case 'A':
      w.bytes(Uint8Array.from(d.address.split('.').map(Number)));
      break;
    case 'AAAA':
      w.bytes(ipv6Bytes(d.address));
      break;
    case 'name':
      w.name(d.target);
      break;
    case 'SOA':
      w.name(d.soa.mname);
      w.name(d.soa.rname);
      for (const v of [d.soa.serial, d.soa.refresh, d.soa.retry, d.soa.expire, d.soa.minimum]) w.u32(v);
      break;
    case 'SRV':
      w.u16(d.srv.priority);
      w.u16(d.srv.weight);
      w.u16(d.srv.port);
      // RFC 2782: the target must not be compressed.
      w.name(d.srv.target, false);
      break;
    case 'TXT':
      for (const t of d.texts) {
        const b = Buffer.from(t, 'utf8').subarray(0, 255);
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case 'raw':
      w.bytes(d.bytes);
  }
  w.setU16(lengthAt, w.length - start);
}

function flagBits(f: DnsFlags): number {
  return (f.qr ? 0x8000 : 0) | ((f.opcode & 0xf) << 11) | (f.aa ? 0x0400 : 0) | (f.tc ? 0x0200 : 0) | (f.rd ? 0x0100 : 0) | (f.ra ? 0x0080 : 0) | (f.ad ? 0x0020 : 0) | (f.cd ? 0x0010 : 0) | (f.rcode & 0xf);
}

function encodeAll(msg: DnsMessage): Buffer {
  const w = new Writer();
  w.u16(msg.id);
  w.u16(flagBits(msg.flags));
  for (const n of [msg.questions.length, msg.answers.length, msg.authorities.length, msg.additionals.length]) w.u16(n);
  for (const q of msg.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rec of [...msg.answers, ...msg.authorities, ...msg.additionals]) writeRecord(w, rec);
  return w.result();
}

/**
 * Encodes `msg`. When it does not fit `maxSize` (a UDP reply), the records
 * are dropped and TC set so the client retries over TCP (RFC 2181 §9);
 * an OPT record is kept so the client still sees EDNS.
 */
export function encodeMessage(msg: DnsMessage, maxSize = 65535): Buffer {
  const full = encodeAll(msg);
  if (full.length <= maxSize) return full;
  return encodeAll({ ...msg, flags: { ...msg.flags, tc: true }, answers: [], authorities: [], additionals: msg.additionals.filter((r) => r.type === RecordType.OPT) });
}

function ipv6Bytes(address: string): Uint8Array {
  const [head = '', tail] = address.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g & 0xffff, i * 2));
  return out;
}

/** Reads only the ID and question of a message (enough to answer SERVFAIL for anything). */
export function peekQuestion(buf: Buffer): { id: number; flags: number; question?: DnsQuestion } | undefined {
  if (buf.length < 12) return undefined;
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const qdcount = r.u16();
  r.offset = 12;
  try {
    return qdcount > 0 ? { id, flags, question: { name: r.name(), type: r.u16(), class: r.u16() } } : { id, flags };
  } catch {
    return { id, flags };
  }
}
