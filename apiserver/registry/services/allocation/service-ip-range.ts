/**
 * The Service ClusterIP range (as kubernetes' ipallocator.Range): an IPv4
 * CIDR whose network and broadcast addresses are never handed out, so offset
 * 0 is the first host address (10.96.0.1 in 10.96.0.0/12).
 */

/** Dotted-quad IPv4 to a number; undefined when `text` is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Whether `text` is an IP address kube would accept (IPv4 dotted quad, or IPv6). */
export function isIP(text: string): boolean {
  if (parseIPv4(text) !== undefined) return true;
  return text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text) && (text.match(/::/g)?.length ?? 0) <= 1;
}

export interface IPv4Cidr {
  /** The network address. */
  network: number;
  prefixLength: number;
  /** Normalized text, e.g. `10.96.0.0/12`. */
  text: string;
}

/** Parses `a.b.c.d/n` (host bits are masked off, as net.ParseCIDR's network). */
export function parseIPv4Cidr(text: string): IPv4Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIPv4(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) return undefined;
  const prefixLength = Number(bits);
  const size = 2 ** (32 - prefixLength);
  const network = Math.floor(ip / size) * size;
  return { network, prefixLength, text: `${formatIPv4(network)}/${prefixLength}` };
}

/** Why an allocation failed, with kube's messages. */
export type AllocationFailure = 'Allocated' | 'NotInRange' | 'Full';

export class AllocationError extends Error {
  readonly failure: AllocationFailure;
  constructor(failure: AllocationFailure, message: string) {
    super(message);
    this.name = 'AllocationError';
    this.failure = failure;
  }
}

export class ServiceIPRange {
  readonly cidr: IPv4Cidr;
  /** The address at offset 0 (network + 1). */
  readonly base: number;
  /** Usable addresses (size - network - broadcast). */
  readonly max: number;
  /** The lower band kept for static IPs (calculateRangeOffset: min(max(16, size/16), 256), 0 for tiny ranges). */
  readonly staticBand: number;

  constructor(cidr: IPv4Cidr) {
    this.cidr = cidr;
    const size = 2 ** (32 - cidr.prefixLength);
    this.base = cidr.network + 1;
    this.max = Math.max(0, size - 2);
    this.staticBand = size <= 16 ? 0 : Math.min(Math.max(16, Math.floor(size / 16)), 256);
  }

  static parse(text: string): ServiceIPRange {
    const cidr = parseIPv4Cidr(text);
    if (!cidr) throw new Error(`invalid service cluster IP range "${text}": must be an IPv4 CIDR such as 10.96.0.0/12`);
    if (cidr.prefixLength > 30) throw new Error(`service cluster IP range ${cidr.text} is too small: it must hold at least 2 addresses`);
    if (cidr.prefixLength < 12) throw new Error(`service cluster IP range ${cidr.text} is too large: the prefix length must be at least /12`);
    return new ServiceIPRange(cidr);
  }

  /** The offset of `ip`, or undefined when it is outside the usable addresses. */
  offsetOf(ip: string): number | undefined {
    const value = parseIPv4(ip);
    if (value === undefined) return undefined;
    const offset = value - this.base;
    return offset >= 0 && offset < this.max ? offset : undefined;
  }

  ipAt(offset: number): string {
    return formatIPv4(this.base + offset);
  }

  /** The first usable address: the `kubernetes` Service's ClusterIP (10.96.0.1). */
  firstIP(): string {
    return this.ipAt(0);
  }

  notInRange(): AllocationError {
    return new AllocationError('NotInRange', `provided IP is not in the valid range. The range of valid IPs is ${this.cidr.text}`);
  }
}

export const ipAllocated = (): AllocationError => new AllocationError('Allocated', 'provided IP is already allocated');
export const rangeFull = (): AllocationError => new AllocationError('Full', 'range is full');

/** `--service-node-port-range` (portallocator): `30000-32767` by default. */
export class NodePortRange {
  readonly base: number;
  readonly size: number;
  readonly text: string;
  /** calculateRangeOffset for ports: min(max(16, size/32), 128). */
  readonly staticBand: number;

  constructor(base: number, size: number) {
    this.base = base;
    this.size = size;
    this.text = `${base}-${base + size - 1}`;
    this.staticBand = size <= 16 ? 0 : Math.min(Math.max(16, Math.floor(size / 32)), 128);
  }

  static parse(text: string): NodePortRange {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < 1 || hi > 65535 || hi < lo) throw new Error(`invalid service node port range "${text}": want LOW-HIGH within 1-65535`);
    return new NodePortRange(lo, hi - lo + 1);
  }

  offsetOf(port: number): number | undefined {
    const offset = port - this.base;
    return Number.isInteger(offset) && offset >= 0 && offset < this.size ? offset : undefined;
  }

  notInRange(): AllocationError {
    return new AllocationError('NotInRange', `provided port is not in the valid range. The range of valid ports is ${this.text}`);
  }
}

export const portAllocated = (): AllocationError => new AllocationError('Allocated', 'provided port is already allocated');
