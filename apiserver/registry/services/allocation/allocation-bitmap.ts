/**
 * An in-memory allocation bitmap over offsets 0..max-1 (as kubernetes'
 * pkg/registry/core/service/allocator AllocationBitmap with the
 * randomScanStrategyWithOffset): dynamic allocations pick a random free
 * offset in the upper band [offset, max) first, leaving the lower band for
 * statically requested values, and fall back to the lower band when the
 * upper one is full.
 *
 * Snapshots are encoded as Go's big.Int.Bytes() of the bitmap (big-endian,
 * leading zero bytes trimmed, bit i = offset i), so a RangeAllocation written
 * by pier reads the same way kube's allocator would read it.
 */
import { randomInt } from 'node:crypto';

export class AllocationBitmap {
  readonly max: number;
  readonly rangeSpec: string;
  /** Size of the lower band reserved for static allocation first. */
  readonly staticBand: number;
  #bits: Uint8Array;
  #count = 0;

  constructor(max: number, rangeSpec: string, staticBand = 0) {
    this.max = Math.max(0, max);
    this.rangeSpec = rangeSpec;
    this.staticBand = staticBand > 0 && staticBand < this.max ? staticBand : 0;
    this.#bits = new Uint8Array(Math.ceil(this.max / 8));
  }

  has(offset: number): boolean {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.max) return false;
    return (this.#bits[offset >> 3]! & (1 << (offset & 7))) !== 0;
  }

  /** Marks `offset` used; false when it already was (or is outside the range). */
  allocate(offset: number): boolean {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.max || this.has(offset)) return false;
    this.#bits[offset >> 3]! |= 1 << (offset & 7);
    this.#count++;
    return true;
  }

  /** Marks a random free offset used and returns it; undefined when the range is full. */
  allocateNext(): number | undefined {
    const offset = this.#scan(this.staticBand, this.max) ?? this.#scan(0, this.staticBand);
    if (offset !== undefined) this.allocate(offset);
    return offset;
  }

  /** A random free offset without marking it (dry run). */
  peekNext(): number | undefined {
    return this.#scan(this.staticBand, this.max) ?? this.#scan(0, this.staticBand);
  }

  release(offset: number): void {
    if (!this.has(offset)) return;
    this.#bits[offset >> 3]! &= ~(1 << (offset & 7));
    this.#count--;
  }

  free(): number {
    return this.max - this.#count;
  }

  used(): number {
    return this.#count;
  }

  forEach(fn: (offset: number) => void): void {
    for (let byte = 0; byte < this.#bits.length; byte++) {
      const b = this.#bits[byte]!;
      if (b === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) fn(byte * 8 + bit);
    }
  }

  /** A free offset in [from, to), starting the scan at a random point (randomScanStrategy). */
  #scan(from: number, to: number): number | undefined {
    const size = to - from;
    if (size <= 0 || this.#count >= this.max) return undefined;
    const start = from + randomInt(size);
    for (let i = 0; i < size; i++) {
      const offset = from + ((start - from + i) % size);
      // Skip whole full bytes quickly.
      if ((offset & 7) === 0 && this.#bits[offset >> 3] === 0xff && offset + 8 <= to) {
        i += 7;
        continue;
      }
      if (!this.has(offset)) return offset;
    }
    return undefined;
  }

  /** The persisted form: big-endian bytes with leading zeros trimmed, base64 (as []byte in JSON). */
  snapshot(): { range: string; data: string } {
    let last = this.#bits.length - 1;
    while (last >= 0 && this.#bits[last] === 0) last--;
    const out = Buffer.alloc(last + 1);
    for (let i = 0; i <= last; i++) out[last - i] = this.#bits[i]!;
    return { range: this.rangeSpec, data: out.toString('base64') };
  }

  /** Replaces the state with a snapshot; the range must be this bitmap's. */
  restore(range: string, data: string): void {
    if (range !== this.rangeSpec) throw new Error('the provided range does not match the current range');
    const bytes = Buffer.from(data, 'base64');
    const bits = new Uint8Array(this.#bits.length);
    const n = bytes.length;
    for (let i = 0; i < n && i < bits.length; i++) bits[i] = bytes[n - 1 - i]!;
    // Bits past max (a corrupt or foreign snapshot) are not ours to count.
    const extra = this.max & 7;
    if (extra !== 0 && bits.length > 0) bits[bits.length - 1]! &= (1 << extra) - 1;
    this.#bits = bits;
    let count = 0;
    for (const b of bits) {
      let v = b;
      while (v) {
        v &= v - 1;
        count++;
      }
    }
    this.#count = count;
  }
}
