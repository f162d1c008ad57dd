/**
 * The `default/kubernetes` Service and its endpoints (as kube-apiserver's
 * controlplane kubernetesservice controller plus the lease endpoint
 * reconciler): the Service gets the first IP of the ClusterIP range and port
 * 443 → the API server's secure port; every API server renews a master lease
 * under /registry/masterleases/<ip> and writes the Endpoints and EndpointSlice
 * `kubernetes` to list the IPs whose leases are live.
 *
 * etcd leases (TTLs) are not in pier's Storage contract, so a lease carries
 * its expiry time and expired ones are removed by whichever server notices.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { StatusError } from '../errors/status-error.ts';
import type { GenericStore } from '../registry/generic-store.ts';
import { StorageError, type Storage } from '../storage/interface.ts';

export const kubernetesServiceName = 'kubernetes';
const namespace = 'default';
const leasePrefix = '/registry/masterleases/';
const expiryAnnotation = 'pier.dev/lease-expire-time';

export interface KubernetesServiceOptions {
  storage: Storage;
  services: GenericStore;
  endpoints: GenericStore;
  endpointSlices: GenericStore;
  /** The first IP of `--service-cluster-ip-range`. */
  serviceIP: string;
  /** The IP other components reach this API server on. */
  publicIP: string;
  /** The secure port as known before listening (may be replaced once the socket is bound). */
  port: number;
  /** How often endpoints are reconciled (kube's EndpointInterval, 10 s). */
  intervalMs?: number;
  /** How long a master lease lives without renewal (kube's 15 s). */
  leaseTtlMs?: number;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function isNotFound(err: unknown): boolean {
  return err instanceof StatusError && err.code === 404;
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof StatusError && err.reason === 'AlreadyExists';
}

export class KubernetesServiceController {
  readonly #o: KubernetesServiceOptions;
  #port: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: KubernetesServiceOptions) {
    this.#o = options;
    this.#port = options.port;
  }

  /** Creates the Service if missing, or puts its ports right (CreateOrUpdateMasterServiceIfNeeded). */
  async ensureService(): Promise<void> {
    const ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: this.#port }];
    let current: KubeObject;
    try {
      current = await this.#o.services.get(namespace, kubernetesServiceName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const svc: KubeObject = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: kubernetesServiceName, namespace, labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: this.#o.serviceIP, ports, sessionAffinity: 'None' },
      };
      try {
        await this.#o.services.create(namespace, svc);
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) throw createErr;
      }
      return;
    }
    const spec = (current['spec'] ?? {}) as Record<string, unknown>;
    if (JSON.stringify(spec['ports']) === JSON.stringify(ports) && spec['type'] === 'ClusterIP') return;
    await this.#o.services.guaranteedUpdate(namespace, kubernetesServiceName, {}, (obj) => {
      const s = (obj['spec'] ?? {}) as Record<string, unknown>;
      s['ports'] = ports;
      s['type'] = 'ClusterIP';
      obj['spec'] = s;
      return obj;
    });
  }

  /** Starts reconciling with the port actually bound; resolves after the first pass. */
  async start(port: number): Promise<void> {
    this.#port = port;
    await this.#reconcile(true);
    if (this.#stopped) return;
    this.#timer = setInterval(() => void this.#reconcile(true), this.#o.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  /** Stops reconciling and takes this server out of the endpoints (RemoveEndpoints), best effort. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#running) await this.#running.catch(() => undefined);
    if (this.#timer === undefined) return;
    this.#timer = undefined;
    await Promise.race([this.#pass(false).catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  #reconcile(alive: boolean): Promise<void> {
    if (this.#running || (this.#stopped && alive)) return this.#running ?? Promise.resolve();
    this.#running = this.#pass(alive)
      .catch(() => undefined)
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #pass(alive: boolean): Promise<void> {
    if (alive) await this.ensureService();
    const ips = await this.#liveLeases(alive);
    await this.#writeEndpoints(ips);
  }

  /** Renews (or drops) this server's lease and returns the live IPs, expired leases removed. */
  async #liveLeases(alive: boolean): Promise<string[]> {
    const { storage, publicIP } = this.#o;
    const key = `${leasePrefix}${publicIP}`;
    if (alive) {
      const lease: KubeObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: publicIP, annotations: { [expiryAnnotation]: new Date(Date.now() + (this.#o.leaseTtlMs ?? 15_000)).toISOString() } },
        subsets: [{ addresses: [{ ip: publicIP }], ports: [{ port: this.#port, protocol: 'TCP' }] }],
      };
      try {
        await storage.guaranteedUpdate(key, () => lease);
      } catch (err) {
        if (!(err instanceof StorageError && err.code === 'KeyNotFound')) throw err;
        await storage.create(key, lease).catch((e) => {
          if (!(e instanceof StorageError && e.code === 'KeyExists')) throw e;
        });
      }
    } else {
      await storage.delete(key).catch(() => undefined);
    }
    // A limit makes this an etcd read: no watch cache is kept for leases.
    const list = await storage.list(leasePrefix, { limit: 1000 });
    const now = Date.now();
    const ips: string[] = [];
    for (const item of list.items) {
      const expiry = Date.parse(item.metadata.annotations?.[expiryAnnotation] ?? '');
      const name = item.metadata.name ?? '';
      if (!(expiry > now)) {
        await storage.delete(`${leasePrefix}${name}`, { resourceVersion: item.metadata.resourceVersion! }).catch(() => undefined);
        continue;
      }
      if (name !== '') ips.push(name);
    }
    return ips.sort();
  }

  async #writeEndpoints(ips: string[]): Promise<void> {
    const port = { name: 'https', port: this.#port, protocol: 'TCP' };
    const subsets = ips.length > 0 ? [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }] : [];
    await this.#upsert(this.#o.endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: kubernetesServiceName, namespace, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } }, (obj) => {
      obj['subsets'] = subsets;
    });
    await this.#upsert(
      this.#o.endpointSlices,
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: kubernetesServiceName, namespace, labels: { 'kubernetes.io/service-name': kubernetesServiceName } }, addressType: 'IPv4' },
      (obj) => {
        // EndpointSlice validation refuses loopback addresses (as kube's), and pods could not reach one anyway.
        obj['endpoints'] = ips.filter((ip) => !isLoopback(ip)).map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
        obj['ports'] = [port];
      },
    );
  }

  /** Creates `template` with `fill` applied, or applies `fill` to the stored object when it differs. */
  async #upsert(store: GenericStore, template: KubeObject, fill: (obj: KubeObject) => void): Promise<void> {
    let current: KubeObject | undefined;
    try {
      current = await store.get(namespace, kubernetesServiceName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!current) {
      const obj = structuredClone(template);
      fill(obj);
      try {
        await store.create(namespace, obj);
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        current = await store.get(namespace, kubernetesServiceName);
      }
    }
    const desired = structuredClone(current);
    fill(desired);
    if (JSON.stringify(desired) === JSON.stringify(current)) return;
    await store.guaranteedUpdate(namespace, kubernetesServiceName, {}, (obj) => {
      fill(obj);
      return obj;
    });
  }
}
