/**
 * Keeps each simulated node's heartbeat Lease (kube-node-lease/<node>) fresh,
 * as the kubelet's nodelease controller does: renewTime every renew interval
 * (a quarter of the 40 s lease duration by default), with the renewals of
 * thousands of nodes spread evenly over the interval instead of in bursts.
 */
import { microTime } from '../../client/api/meta-time.ts';
import type { KubeObject } from '../../client/api/meta.ts';
import { ApiError, isNotFound } from '../../client/rest/api-error.ts';
import type { ConcurrencyLimiter } from '../../client/rest/concurrency-limiter.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { sleep } from '../../client/wait/sleep.ts';

export const nodeLeaseNamespace = 'kube-node-lease';
export const nodeLeaseDurationSeconds = 40;

const leasesPath = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: nodeLeaseNamespace } as const;

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
}
type Lease = KubeObject & { spec?: LeaseSpec };

/** The node a lease belongs to: its owner, so deleting the Node collects the Lease. */
export interface LeaseHolder {
  name: string;
  uid: string;
}

export interface NodeLeaseRenewerOptions {
  client: RestClient;
  limiter: ConcurrencyLimiter;
  renewIntervalMs: number;
  onError: (err: unknown) => void;
}


export class NodeLeaseRenewer {
  readonly #o: NodeLeaseRenewerOptions;
  readonly #holders: LeaseHolder[] = [];
  readonly #leases = new Map<string, Lease>();

  constructor(options: NodeLeaseRenewerOptions) {
    this.#o = options;
  }

  add(holder: LeaseHolder): void {
    this.#holders.push(holder);
  }

  /** Renews every lease once (creating missing ones). */
  async renewAll(): Promise<void> {
    await Promise.all(this.#holders.map((h) => this.#renew(h)));
  }

  /**
   * Renews holder i at offset (i / n) of each interval until `signal` aborts:
   * a tick every 100 ms renews the holders whose slot it passed.
   */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#o.renewIntervalMs;
    const tickMs = Math.min(100, interval);
    let cursor = 0;
    let slotTime = Date.now();
    const inFlight = new Set<Promise<void>>();
    while (!signal.aborted) {
      await sleep(tickMs, signal);
      if (signal.aborted || this.#holders.length === 0) continue;
      const perHolder = interval / this.#holders.length;
      const now = Date.now();
      while (slotTime + perHolder <= now && !signal.aborted) {
        const holder = this.#holders[cursor % this.#holders.length]!;
        cursor++;
        slotTime += perHolder;
        const p = this.#renew(holder).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      // Fell far behind (an overloaded server): skip missed slots rather than bursting.
      if (now - slotTime > interval) slotTime = now;
    }
    await Promise.all(inFlight);
  }

  async #renew(holder: LeaseHolder): Promise<void> {
    const now = microTime();
    const current = this.#leases.get(holder.name);
    try {
      const written = await this.#o.limiter.run(() =>
        current
          ? this.#o.client.update<Lease>({ ...leasesPath, name: holder.name }, { ...current, spec: { ...current.spec, renewTime: now } })
          : this.#o.client.create<Lease>(leasesPath, {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: {
                name: holder.name,
                namespace: nodeLeaseNamespace,
                ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: holder.name, uid: holder.uid }],
              },
              spec: { holderIdentity: holder.name, leaseDurationSeconds: nodeLeaseDurationSeconds, renewTime: now },
            }),
      );
      this.#leases.set(holder.name, written);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 409 || isNotFound(err))) {
        // Someone else wrote it (or it was deleted): start over from the server's copy next time.
        this.#leases.delete(holder.name);
        if (err.code === 409) await this.#adopt(holder);
        return;
      }
      this.#o.onError(err);
    }
  }

  async #adopt(holder: LeaseHolder): Promise<void> {
    try {
      this.#leases.set(holder.name, await this.#o.limiter.run(() => this.#o.client.get<Lease>({ ...leasesPath, name: holder.name })));
    } catch (err) {
      if (!isNotFound(err)) this.#o.onError(err);
    }
  }
}
