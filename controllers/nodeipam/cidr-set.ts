/**
 * The subnets of a cluster CIDR, handed out in order (as kubernetes
 * pkg/controller/nodeipam/ipam/cidrset CidrSet): a /16 cut into /24s gives
 * 256 subnets; allocation scans round-robin from the one after the last
 * handed out, so a freed subnet is not immediately reused.
 */

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** `a.b.c.d/n` → network and prefix length (host bits masked). */
export function parseCidr(text: string): { network: number; prefixLength: number } | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const ip = m ? parseIPv4(m[1]!) : undefined;
  if (!m || ip === undefined || Number(m[2]) > 32) return undefined;
  const prefixLength = Number(m[2]);
  const size = 2 ** (32 - prefixLength);
  return { network: Math.floor(ip / size) * size, prefixLength };
}

export class CidrSet {
  readonly clusterCidr: string;
  readonly nodeMaskSize: number;
  readonly #network: number;
  readonly #subnetSize: number;
  readonly #used: Uint8Array;
  #usedCount = 0;
  #nextCandidate = 0;

  constructor(clusterCidr: string, nodeMaskSize: number) {
    const cidr = parseCidr(clusterCidr);
    if (!cidr) throw new Error(`invalid cluster CIDR "${clusterCidr}": must be an IPv4 CIDR such as 10.244.0.0/16`);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < cidr.prefixLength || nodeMaskSize > 32) {
      throw new Error(`node CIDR mask size ${nodeMaskSize} does not fit cluster CIDR ${clusterCidr}: it must be between ${cidr.prefixLength} and 32`);
    }
    if (nodeMaskSize - cidr.prefixLength > 16) {
      throw new Error('CIDRSet: the difference between cluster mask and subnet mask should be <= 16');
    }
    this.#network = cidr.network;
    this.clusterCidr = `${formatIPv4(cidr.network)}/${cidr.prefixLength}`;
    this.nodeMaskSize = nodeMaskSize;
    this.#subnetSize = 2 ** (32 - nodeMaskSize);
    this.#used = new Uint8Array(2 ** (nodeMaskSize - cidr.prefixLength));
  }

  get size(): number {
    return this.#used.length;
  }

  get usedCount(): number {
    return this.#usedCount;
  }

  #cidrAt(index: number): string {
    return `${formatIPv4(this.#network + index * this.#subnetSize)}/${this.nodeMaskSize}`;
  }

  /** The subnet index of `cidr`, or undefined when it is not one of this set's subnets. */
  #indexOf(cidr: string): number | undefined {
    const parsed = parseCidr(cidr);
    if (!parsed || parsed.prefixLength !== this.nodeMaskSize) return undefined;
    const offset = parsed.network - this.#network;
    const index = offset / this.#subnetSize;
    return Number.isInteger(index) && index >= 0 && index < this.#used.length ? index : undefined;
  }

  /** The next free subnet, marked used; undefined when every one is taken (CIDRSetFull). */
  allocateNext(): string | undefined {
    const n = this.#used.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#nextCandidate + i) % n;
      if (this.#used[index] === 0) {
        this.#used[index] = 1;
        this.#usedCount++;
        this.#nextCandidate = (index + 1) % n;
        return this.#cidrAt(index);
      }
    }
    return undefined;
  }

  /** Marks a subnet used (a node already has it); false when it is not inside the cluster CIDR. */
  occupy(cidr: string): boolean {
    const index = this.#indexOf(cidr);
    if (index === undefined) return false;
    if (this.#used[index] === 0) {
      this.#used[index] = 1;
      this.#usedCount++;
    }
    return true;
  }

  release(cidr: string): void {
    const index = this.#indexOf(cidr);
    if (index === undefined || this.#used[index] === 0) return;
    this.#used[index] = 0;
    this.#usedCount--;
  }

  isUsed(cidr: string): boolean {
    const index = this.#indexOf(cidr);
    return index !== undefined && this.#used[index] === 1;
  }
}
