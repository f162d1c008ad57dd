/**
 * The Endpoints controller (kubernetes pkg/controller/endpoint): for every
 * Service with a selector, an Endpoints object of the same name listing the
 * matching pods' IPs, ready ones under `addresses` and the rest under
 * `notReadyAddresses` (all ready with publishNotReadyAddresses), one subset
 * per distinct set of ports once repacked, targetPorts resolved by number or
 * by container port name. Services without a selector keep hand-written
 * Endpoints; a deleted Service takes its Endpoints with it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../client/api/meta.ts';
import { unwrapTombstone, type DeletedFinalStateUnknown } from '../../client/cache/deleted-final-state-unknown.ts';
import { splitMetaNamespaceKey } from '../../client/cache/indexer.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { runQueueWorkers } from '../controller-utils/queue-workers.ts';
import { podsResource } from '../controller-utils/workload-objects.ts';
import { repackSubsets, type EndpointAddress, type EndpointPort, type EndpointSubset } from './endpoint-subsets.ts';
import {
  endpointsResource,
  enqueueServicesOnChange,
  findPort,
  isHeadless,
  keyOf,
  managesEndpoints,
  podIPOfFamily,
  podReady,
  podReference,
  selectorMatches,
  servicesResource,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  type Service,
  type ServicePod,
} from './service-pods.ts';

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

/** None yet: kube's --concurrent-endpoint-syncs is the worker count the manager passes to run(). */
export type EndpointsControllerOptions = Record<string, unknown>;

/** Label marking a headless Service's Endpoints (v1.IsHeadlessService). */
export const headlessServiceLabel = 'service.kubernetes.io/headless';

export class EndpointsController implements Controller {
  readonly name = 'endpoint-controller';
  readonly queue = new RateLimitingQueue<string>();
  /** The sync run for each key; replaceable so tests can observe it. */
  syncHandler: (key: string) => Promise<void>;
  readonly #client: RestClient;
  readonly #onError: (err: unknown) => void;
  readonly #services: SharedInformer<Service>;
  readonly #pods: SharedInformer<ServicePod>;
  readonly #endpoints: SharedInformer<Endpoints>;

  constructor(ctx: ControllerContext, _options: EndpointsControllerOptions = {}) {
    this.#client = ctx.client;
    this.#onError = ctx.onError;
    this.#services = ctx.informers.informerFor<Service>(servicesResource);
    this.#pods = ctx.informers.informerFor<ServicePod>(podsResource);
    this.#endpoints = ctx.informers.informerFor<Endpoints>(endpointsResource);
    this.syncHandler = (key) => this.syncService(key);
    enqueueServicesOnChange(this.#services, this.#pods, (key) => this.queue.add(key));
    // Someone else changing or deleting our Endpoints gets them rewritten (onEndpointsUpdate/Delete).
    this.#endpoints.addEventHandler({
      onUpdate: (_old, cur) => this.#enqueueIfService(cur),
      onDelete: (obj: Endpoints | DeletedFinalStateUnknown<Endpoints>) => this.#enqueueIfService(unwrapTombstone(obj)),
    });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const synced = await Promise.all([this.#services.waitForCacheSync(signal), this.#pods.waitForCacheSync(signal), this.#endpoints.waitForCacheSync(signal)]);
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      return;
    }
    // checkLeftoverEndpoints: Endpoints whose Service went away while we were not watching.
    for (const ep of this.#endpoints.lister.list()) this.#enqueueIfService(ep, true);
    await runQueueWorkers({ name: this.name, queue: this.queue, workers, signal, sync: (key) => this.syncHandler(key), onError: this.#onError });
  }

  /** Endpoints of a managed Service, or (orphansToo) of no Service at all, get their Service synced. */
  #enqueueIfService(ep: Endpoints, orphansToo = false): void {
    const svc = this.#services.lister.get(ep.metadata.namespace, ep.metadata.name!);
    if (svc ? managesEndpoints(svc) : orphansToo) this.queue.add(keyOf(ep));
  }

  /** getPodServiceMemberships, for the pod's labels now and (on update) before. */
  async syncService(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.#services.lister.get(namespace, name);
    if (!svc) {
      // The Service is gone: so are its Endpoints, unless nobody made any.
      const existing = this.#endpoints.lister.get(namespace, name);
      if (!existing) return;
      await this.#client.delete({ ...endpointsResource, namespace: namespace!, name }).catch((err) => {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      });
      return;
    }
    if (!managesEndpoints(svc)) return;

    const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
    const family = svc.spec?.ipFamilies?.[0] ?? 'IPv4';
    const subsets: EndpointSubset[] = [];
    const pods = this.#pods.lister.list(namespace, (pod) => selectorMatches(svc.spec?.selector, pod.metadata.labels));
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
      const ip = podIPOfFamily(pod, family);
      if (!ip) continue;
      const address: EndpointAddress = { ip, targetRef: podReference(pod) };
      if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
      if (shouldSetHostname(pod, svc)) address.hostname = pod.spec!.hostname!;
      const ready = tolerateUnready || podReady(pod);
      // A not-ready pod on its way out is nobody's endpoint (addEndpointSubset).
      if (!ready && !shouldPodBeInEndpoints(pod, false)) continue;
      const ports = svc.spec?.ports ?? [];
      if (ports.length === 0) {
        // Headless without ports: the addresses alone (for DNS).
        if (isHeadless(svc)) subsets.push(ready ? { addresses: [address] } : { notReadyAddresses: [address] });
        continue;
      }
      for (const servicePort of ports) {
        const portNum = findPort(pod, servicePort);
        if (portNum === undefined) continue;
        const port: EndpointPort = { port: portNum, protocol: servicePort.protocol ?? 'TCP' };
        if (servicePort.name) port.name = servicePort.name;
        if (servicePort.appProtocol) port.appProtocol = servicePort.appProtocol;
        subsets.push(ready ? { addresses: [address], ports: [port] } : { notReadyAddresses: [address], ports: [port] });
      }
    }
    const desiredSubsets = repackSubsets(subsets);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (isHeadless(svc)) labels[headlessServiceLabel] = '';
    else delete labels[headlessServiceLabel];

    const current = this.#endpoints.lister.get(namespace, name);
    if (current && isDeepStrictEqual(current.subsets ?? [], desiredSubsets) && isDeepStrictEqual(current.metadata.labels ?? {}, labels)) return;
    const metadata: KubeObject['metadata'] = { name, namespace: namespace!, labels };
    if (current) {
      const updated: Endpoints = {
        ...current,
        metadata: { ...current.metadata, labels },
        subsets: desiredSubsets,
      };
      await this.#client.update<Endpoints>({ ...endpointsResource, namespace: namespace!, name }, updated);
      return;
    }
    try {
      await this.#client.create<Endpoints>({ ...endpointsResource, namespace: namespace! }, { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets: desiredSubsets });
    } catch (err) {
      // Created behind our informer's back (or by a user): the next pass updates it.
      if (err instanceof ApiError && err.code === 409) {
        this.queue.addRateLimited(key);
        return;
      }
      throw err;
    }
  }
}
