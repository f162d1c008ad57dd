/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection package: candidates try to acquire or renew the Lease every
 * retryPeriod; a Lease counts as expired only when its record has not changed
 * for leaseDuration *as this candidate observed it* (local clock, so skew
 * between hosts does not matter); the leader steps down when it could not renew
 * within renewDeadline. Writes carry the resourceVersion, so two candidates
 * racing for an expired Lease cannot both win.
 */
import { microTime } from '../api/meta-time.ts';
import type { KubeObject } from '../api/meta.ts';
import { isNotFound } from '../rest/api-error.ts';
import type { ResourcePath } from '../rest/resource-path.ts';
import type { RestClient } from '../rest/rest-client.ts';
import { sleep } from '../wait/sleep.ts';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionConfig {
  client: RestClient;
  namespace: string;
  name: string;
  /** Unique per candidate, e.g. `hostname_uuid`. */
  identity: string;
  /** Defaults as kube-scheduler: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Runs while this candidate leads; its signal aborts when leadership is lost or run() ends. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
  now?: () => number;
}



export class LeaderElector {
  readonly #c: Required<Omit<LeaderElectionConfig, 'onStoppedLeading' | 'onNewLeader'>> & Pick<LeaderElectionConfig, 'onStoppedLeading' | 'onNewLeader'>;
  readonly #path: ResourcePath;
  #observedRecord = '';
  #observedTime = 0;
  #observedHolder = '';
  #leading = false;

  constructor(config: LeaderElectionConfig) {
    this.#c = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      now: Date.now,
      ...config,
    };
    if (this.#c.renewDeadlineMs >= this.#c.leaseDurationMs) throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    this.#path = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: config.namespace, name: config.name };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Campaigns until `signal` aborts; leads, loses, and campaigns again as the Lease dictates. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Acquire.
      while (!signal.aborted && !(await this.#tryAcquireOrRenew())) await sleep(this.#c.retryPeriodMs, signal);
      if (signal.aborted) break;
      this.#leading = true;
      const leading = new AbortController();
      const stop = () => leading.abort();
      signal.addEventListener('abort', stop, { once: true });
      this.#c.onStartedLeading(leading.signal);
      // Renew until a renewal deadline is missed or we are told to stop.
      let lastRenew = this.#c.now();
      while (!signal.aborted) {
        await sleep(this.#c.retryPeriodMs, signal);
        if (signal.aborted) break;
        if (await this.#tryAcquireOrRenew()) lastRenew = this.#c.now();
        else if (this.#c.now() - lastRenew >= this.#c.renewDeadlineMs || this.#observedHolder !== this.#c.identity) break;
      }
      signal.removeEventListener('abort', stop);
      leading.abort();
      this.#leading = false;
      this.#c.onStoppedLeading?.();
      if (signal.aborted) await this.#release();
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#c.now();
    const me = this.#c.identity;
    const leaseDurationSeconds = Math.ceil(this.#c.leaseDurationMs / 1000);
    let lease: Lease;
    try {
      lease = await this.#c.client.get<Lease>(this.#path);
    } catch (err) {
      if (!isNotFound(err)) return false;
      try {
        const { name: _name, ...collection } = this.#path;
        await this.#c.client.create<Lease>(
          collection,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.#c.name, namespace: this.#c.namespace },
            spec: { holderIdentity: me, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          },
        );
        this.#observe(JSON.stringify({ holderIdentity: me }), me, now);
        return true;
      } catch {
        return false;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = JSON.stringify([holder, spec.renewTime, spec.leaseTransitions]);
    if (record !== this.#observedRecord) this.#observe(record, holder, now);
    const expired = this.#observedTime + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 <= now;
    if (holder !== '' && holder !== me && !expired) return false;
    const updated: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: me,
        leaseDurationSeconds,
        renewTime: microTime(now),
        acquireTime: holder === me ? spec.acquireTime ?? microTime(now) : microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === me ? 0 : 1),
      },
    };
    try {
      // A 409 means another candidate wrote first: it won this round.
      await this.#c.client.update<Lease>(this.#path, updated);
    } catch {
      return false;
    }
    this.#observe(JSON.stringify([me, updated.spec!.renewTime, updated.spec!.leaseTransitions]), me, now);
    return true;
  }

  #observe(record: string, holder: string, now: number): void {
    this.#observedRecord = record;
    this.#observedTime = now;
    if (holder !== this.#observedHolder) {
      this.#observedHolder = holder;
      if (holder) this.#c.onNewLeader?.(holder);
    }
  }

  /** On a clean stop, hand the Lease back so another candidate need not wait for it to expire. */
  async #release(): Promise<void> {
    try {
      const lease = await this.#c.client.get<Lease>(this.#path);
      if (lease.spec?.holderIdentity !== this.#c.identity) return;
      await this.#c.client.update<Lease>(this.#path, { ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(this.#c.now()) } });
    } catch {
      // Best effort: the Lease expires anyway.
    }
  }
}
