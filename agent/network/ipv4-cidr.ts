/**
 * IPv4 address and CIDR arithmetic for pod CIDRs and gateways. IPv6 pod
 * networks are not supported yet (issue 6).
 */

/** Parses a dotted IPv4 address; returns it canonical. */
export function parseIpv4(text: string, what = 'address'): string {
  return ipv4ToString(ipv4ToNumber(text, what));
}

/** Canonical network form of an IPv4 CIDR (host bits cleared). */
export function normalizeIpv4Cidr(cidr: string): string {
  const { network, prefix } = parseIpv4Cidr(cidr);
  return `${ipv4ToString(network)}/${prefix}`;
}

/** An IPv4 CIDR as numbers. */
export function parseIpv4Cidr(cidr: string): { network: number; prefix: number } {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const prefix = Number(match[2]);
  if (prefix > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ipv4ToNumber(match[1] ?? '', 'CIDR') & mask) >>> 0, prefix };
}

/** Whether `ip` lies inside `cidr`. */
export function ipv4InCidr(ip: string, cidr: string): boolean {
  const { network, prefix } = parseIpv4Cidr(cidr);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((ipv4ToNumber(ip, 'address') & mask) >>> 0) === network;
}

/** The address `offset` places into the CIDR (1 is the conventional gateway). */
export function ipv4AddressInCidr(cidr: string, offset: number): string {
  const { network, prefix } = parseIpv4Cidr(cidr);
  if (offset < 0 || offset >= 2 ** (32 - prefix)) throw new Error(`offset ${offset} is outside ${cidr}`);
  return ipv4ToString((network + offset) >>> 0);
}

function ipv4ToNumber(text: string, what: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`invalid IPv4 ${what} ${JSON.stringify(text)}`);
  }
  return parts.reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0);
}

function ipv4ToString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}
