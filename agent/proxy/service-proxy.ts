/**
 * The node's service proxy (kube-proxy): watches Services and EndpointSlices
 * and keeps the kernel's packet rules in line with them, so a connection to
 * a ClusterIP, external IP or NodePort lands on one of the Service's
 * endpoints. Changes are batched: a sync runs at most once per
 * minSyncPeriod, writes only when the rules differ from what it last wrote,
 * and a full rebuild runs every syncPeriod to repair outside interference
 * (as kube-proxy's BoundedFrequencyRunner with minSyncPeriod/syncPeriod).
 *
 * Rules stay in place when run() ends, so traffic keeps flowing while the
 * agent restarts; cleanup() removes them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { SharedInformerFactory } from '../../client/cache/informer-factory.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { CommandError, runCommand } from '../host/run-command.ts';
import { IptablesProxier } from './iptables-proxier.ts';
import { NftablesProxier } from './nftables-proxier.ts';
import { commandIn, type ProxyBackend } from './proxy-backend.ts';
import { servicePortsFrom } from './service-port.ts';
import { endpointSlicesPath, servicesPath, sliceServiceIndex, sliceServiceKey, type EndpointSlice, type Service } from './service-types.ts';
import { SyncTrigger } from '../../client/wait/sync-trigger.ts';

export interface ServiceProxyOptions {
  client: RestClient;
  /** Unused until externalTrafficPolicy/internalTrafficPolicy Local are supported (they pick this node's endpoints). */
  nodeName: string;
  /** Addresses of this node that NodePorts answer on (IPv4; others are ignored). */
  nodeIps: readonly string[];
  /** Traffic to a ClusterIP from outside this CIDR is masqueraded (kube-proxy --cluster-cidr). */
  clusterCidr?: string;
  /** This node's pod CIDR, used the same way when clusterCidr is not given (kube's NodeCIDR detect-local mode). */
  podCidr?: string;
  /** Default: nftables when `nft` runs, else iptables. */
  backend?: 'nftables' | 'iptables';
  /** nftables table name (default `pier-proxy`); iptables chain prefix is fixed (`PIER-`). */
  tableName?: string;
  /** Program the rules inside this network namespace instead of the current one. */
  netnsPath?: string;
  /** Share informers with the rest of the agent. Its owner starts it (before or after run()). */
  informerFactory?: SharedInformerFactory;
  /** Least time between two syncs, batching bursts of changes. Default 100 ms. */
  minSyncPeriodMs?: number;
  /** Time between full rebuilds. Default 15 minutes. */
  syncPeriodMs?: number;
  onError?: (err: unknown) => void;
}

export interface ServiceProxyStats {
  /** Syncs run (including those that found nothing to change). */
  syncs: number;
  /** Syncs that wrote rules. */
  writes: number;
  /** Duration of the last sync that wrote rules, in ms. */
  lastWriteMs: number;
  lastError?: string;
}

export class ServiceProxy {
  readonly #options: ServiceProxyOptions;
  #backend: ProxyBackend | undefined;
  readonly #trigger = new SyncTrigger();
  #stats: ServiceProxyStats = { syncs: 0, writes: 0, lastWriteMs: 0 };
  #idleWaiters: Array<() => void> = [];

  constructor(options: ServiceProxyOptions) {
    this.#options = options;
  }

  /** The backend in use, known once run() has started (or after cleanup()). */
  get backendName(): 'nftables' | 'iptables' | undefined {
    return this.#backend?.name;
  }

  stats(): ServiceProxyStats {
    return { ...this.#stats };
  }

  /** Rules the proxy has programmed, per its last successful sync. */
  rulesCount(): number {
    return this.#backend?.rulesCount() ?? 0;
  }

  /** Resolves once every change seen so far has been applied (or failed). */
  whenIdle(): Promise<void> {
    if (!this.#trigger.pending && this.#stats.syncs > 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Watches and syncs until `signal` aborts. Rules are left in place. */
  async run(signal: AbortSignal): Promise<void> {
    const backend = await this.#ensureBackend();
    const ownFactory = !this.#options.informerFactory;
    const factory = this.#options.informerFactory ?? new SharedInformerFactory(this.#options.client, this.#options.onError ? { onError: this.#options.onError } : {});
    const services = factory.informerFor<Service>(servicesPath);
    const slices = factory.informerFor<EndpointSlice>(endpointSlicesPath, { [sliceServiceIndex]: sliceServiceKey });
    const registrations = [services, slices].map((informer: SharedInformer<Service> | SharedInformer<EndpointSlice>) =>
      (informer as SharedInformer<Service>).addEventHandler({
        onAdd: () => this.#trigger.request(),
        onUpdate: () => this.#trigger.request(),
        onDelete: () => this.#trigger.request(),
      }),
    );
    // A shared factory is started by its owner; informers asked for after that start at once.
    if (ownFactory) factory.start(signal);
    try {
      if (!(await factory.waitForCacheSync(signal))) return;
      const minSyncPeriod = this.#options.minSyncPeriodMs ?? 100;
      const syncPeriod = this.#options.syncPeriodMs ?? 15 * 60_000;
      let full = true;
      let lastFull = 0;
      let lastSync = 0;
      let failures = 0;
      while (!signal.aborted) {
        const untilFull = lastFull + syncPeriod - Date.now();
        if (!this.#trigger.pending && !full) {
          if (untilFull <= 0) full = true;
          else await this.#trigger.wait(signal, untilFull);
          if (signal.aborted) break;
          if (!this.#trigger.pending && Date.now() >= lastFull + syncPeriod) full = true;
        }
        const wait = lastSync + minSyncPeriod - Date.now();
        if (wait > 0) await delay(wait, undefined, { signal }).catch(() => {});
        if (signal.aborted) break;
        this.#trigger.take();
        lastSync = Date.now();
        const started = performance.now();
        try {
          const wrote = await backend.sync(servicePortsFrom(services.lister, slices.lister), full);
          this.#stats.syncs++;
          if (wrote) {
            this.#stats.writes++;
            this.#stats.lastWriteMs = performance.now() - started;
          }
          if (full) lastFull = Date.now();
          full = false;
          failures = 0;
          delete this.#stats.lastError;
        } catch (err) {
          this.#stats.syncs++;
          this.#stats.lastError = err instanceof Error ? err.message : String(err);
          this.#report(err);
          // Retry with backoff; the backend rebuilds from scratch after a failure.
          this.#trigger.request();
          failures++;
          await delay(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), undefined, { signal }).catch(() => {});
        }
        if (!this.#trigger.pending) for (const wake of this.#idleWaiters.splice(0)) wake();
      }
    } finally {
      for (const r of registrations) r.remove();
      if (ownFactory) await factory.shutdown();
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /** Removes every rule the proxy created. */
  async cleanup(): Promise<void> {
    const backend = await this.#ensureBackend();
    await backend.cleanup();
  }

  async #ensureBackend(): Promise<ProxyBackend> {
    if (this.#backend) return this.#backend;
    const o = this.#options;
    const kind = o.backend ?? ((await this.#nftRuns()) ? 'nftables' : 'iptables');
    const localCidr = o.clusterCidr ?? o.podCidr;
    const common = {
      nodeIps: o.nodeIps,
      ...(localCidr !== undefined ? { localCidr } : {}),
      ...(o.netnsPath !== undefined ? { netnsPath: o.netnsPath } : {}),
    };
    this.#backend = kind === 'nftables'
      ? new NftablesProxier({ ...common, ...(o.tableName !== undefined ? { tableName: o.tableName } : {}) })
      : new IptablesProxier(common);
    return this.#backend;
  }

  async #nftRuns(): Promise<boolean> {
    const [file, args] = commandIn(this.#options, 'nft', ['--version']);
    try {
      await runCommand(file, args);
      return true;
    } catch (err) {
      if (err instanceof CommandError) return false;
      throw err;
    }
  }

  #report(err: unknown): void {
    if (this.#options.onError) this.#options.onError(err);
    else console.warn(`service proxy: ${err instanceof Error ? err.message : String(err)}`);
  }
}
