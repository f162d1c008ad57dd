/**
 * An allocation bitmap persisted in etcd as a core/v1 RangeAllocation (as
 * kubernetes' pkg/registry/core/service/allocator/storage Etcd): every
 * allocate and release is a read-modify-write of the whole snapshot in one
 * compare-and-swap transaction, so API servers sharing an etcd never hand out
 * the same value. Within one process the operations are serialized (kube's
 * mutex), which keeps lost CAS races to those between processes.
 */
import type { KubeObject } from '../../../../client/api/meta.ts';
import { StorageError, type Storage } from '../../../storage/interface.ts';
import { AllocationBitmap } from './allocation-bitmap.ts';

/** `/registry/ranges/serviceips` and `/registry/ranges/servicenodeports`, as kube-apiserver keys them. */
export const serviceIPsRangeKey = '/registry/ranges/serviceips';
export const serviceNodePortsRangeKey = '/registry/ranges/servicenodeports';

/** core/v1 RangeAllocation: `range` is the CIDR or port range, `data` the bitmap (base64 of []byte). */
export interface RangeAllocation extends KubeObject {
  range: string;
  data: string;
}

export function newRangeAllocation(range: string, data: string): RangeAllocation {
  return { apiVersion: 'v1', kind: 'RangeAllocation', metadata: {}, range, data };
}

/** Thrown inside the CAS closure when the bitmap refuses; never leaves this module. */
class UnableToAllocate extends Error {}

export class StoredAllocator {
  readonly #storage: Storage;
  readonly #key: string;
  readonly #max: number;
  readonly #rangeSpec: string;
  readonly #staticBand: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(storage: Storage, key: string, rangeSpec: string, max: number, staticBand: number) {
    this.#storage = storage;
    this.#key = key;
    this.#rangeSpec = rangeSpec;
    this.#max = max;
    this.#staticBand = staticBand;
  }

  get key(): string {
    return this.#key;
  }

  /** Reserves `offset`; false when it is already taken. */
  allocate(offset: number): Promise<boolean> {
    return this.#serialized(async () => {
      try {
        await this.#tryUpdate((bitmap) => {
          if (!bitmap.allocate(offset)) throw new UnableToAllocate();
        });
        return true;
      } catch (err) {
        if (err instanceof UnableToAllocate) return false;
        throw err;
      }
    });
  }

  /** Reserves a random free offset; undefined when the range is full. */
  allocateNext(): Promise<number | undefined> {
    return this.#serialized(async () => {
      let chosen: number | undefined;
      try {
        await this.#tryUpdate((bitmap) => {
          // The closure may run again after a lost race: only the last run's choice counts.
          chosen = bitmap.allocateNext();
          if (chosen === undefined) throw new UnableToAllocate();
        });
        return chosen;
      } catch (err) {
        if (err instanceof UnableToAllocate) return undefined;
        throw err;
      }
    });
  }

  release(offset: number): Promise<void> {
    return this.#serialized(() =>
      this.#tryUpdate((bitmap) => {
        bitmap.release(offset);
      }),
    );
  }

  /** The current persisted state (a fresh read); empty when nothing was ever allocated. */
  async current(): Promise<AllocationBitmap> {
    const bitmap = this.#empty();
    try {
      const stored = (await this.#storage.get(this.#key)) as RangeAllocation;
      bitmap.restore(stored.range, stored.data ?? '');
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'KeyNotFound')) throw err;
    }
    return bitmap;
  }

  #empty(): AllocationBitmap {
    return new AllocationBitmap(this.#max, this.#rangeSpec, this.#staticBand);
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #tryUpdate(mutate: (bitmap: AllocationBitmap) => void): Promise<void> {
    for (;;) {
      try {
        await this.#storage.guaranteedUpdate(this.#key, (current) => {
          const existing = current as RangeAllocation;
          const bitmap = this.#empty();
          bitmap.restore(existing.range, existing.data ?? '');
          mutate(bitmap);
          const snap = bitmap.snapshot();
          if (snap.data === (existing.data ?? '')) return undefined;
          return { ...existing, range: snap.range, data: snap.data };
        });
        return;
      } catch (err) {
        if (!(err instanceof StorageError && err.code === 'KeyNotFound')) throw err;
      }
      // First use on this etcd: create the empty record, then run the update against it.
      // Another API server may create it first; either way the loop retries the update.
      const snap = this.#empty().snapshot();
      try {
        await this.#storage.create(this.#key, newRangeAllocation(snap.range, snap.data));
      } catch (err) {
        if (!(err instanceof StorageError && err.code === 'KeyExists')) throw err;
      }
    }
  }
}
