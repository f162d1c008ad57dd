/**
 * subjectAltName entries (RFC 5280 section 4.2.1.6): each name is an IP
 * address when it parses as one, otherwise a DNS name.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { implicitPrimitive, sequence } from './der.ts';

/** The names every pier serving certificate carries, so local clients can always verify it. */
export const defaultServingNames: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

/** The 4 or 16 network-order bytes of an IP address, or undefined for a DNS name. */
export function ipAddressBytes(address: string): Buffer | undefined {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  let text = address.split('%', 1)[0]!;
  const groups: number[] = [];
  // An embedded IPv4 tail (::ffff:10.0.0.1) supplies the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: number[] = [];
  if (isIPv4(tail)) {
    v4 = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const before = parse(head);
  const after = rest === undefined ? [] : parse(rest);
  groups.push(...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after);
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  if (v4.length === 4) Buffer.from(v4).copy(bytes, 12);
  return bytes;
}

/** The DER value of a subjectAltName extension: dNSName is `[2]`, iPAddress `[7]`. */
export function encodeSubjectAltNames(names: readonly string[]): Buffer {
  return sequence(
    ...names.map((name) => {
      const ip = ipAddressBytes(name);
      return ip ? implicitPrimitive(7, ip) : implicitPrimitive(2, Buffer.from(name, 'ascii'));
    }),
  );
}

/** Lower-cased, de-duplicated names with the defaults first; empty entries dropped. */
export function servingNames(extra: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const name of [...defaultServingNames, ...extra]) {
    const n = name.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (n !== '') seen.add(n);
  }
  return [...seen];
}
