/**
 * The EndpointSlice controller (kubernetes pkg/controller/endpointslice):
 * keeps discovery.k8s.io/v1 EndpointSlices labelled
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
 * endpointslice-controller.k8s.io` for every Service with a selector (not
 * ExternalName), owned by the Service, with one endpoint per pod carrying
 * ready/serving/terminating, nodeName, hostname and a targetRef.
 *
 * Its own writes reach its informer later than it makes them, so, as kube's
 * endpointSliceTracker, it remembers the generation of every slice it wrote
 * and puts a Service back in the queue instead of syncing from a cache that
 * has not caught up (which would create duplicate slices).
 */
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import { splitMetaNamespaceKey } from '../../client/cache/indexer.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { runQueueWorkers } from '../controller-utils/queue-workers.ts';
import { podsResource } from '../controller-utils/workload-objects.ts';
import { endpointSlicesResource, enqueueServicesOnChange, selectorMatches, servicesResource, type Service, type ServicePod } from '../endpoint/service-pods.ts';
import {
  controllerName,
  defaultMaxEndpointsPerSlice,
  managedByLabel,
  reconcileSlices,
  serviceNameLabel,
  type EndpointSlice,
} from './endpointslice-reconciler.ts';

export interface EndpointSliceControllerOptions {
  /** `--max-endpoints-per-slice`; default 100. */
  maxEndpointsPerSlice?: number;
}

/** The generation each written slice must reach in the cache; `deleted` for ones we removed. */
type Expectations = Map<string, number | 'deleted'>;

function isManaged(slice: EndpointSlice): boolean {
  return slice.metadata.labels?.[managedByLabel] === controllerName && !!slice.metadata.labels?.[serviceNameLabel];
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  readonly queue = new RateLimitingQueue<string>();
  syncHandler: (key: string) => Promise<void>;
  readonly #client: RestClient;
  readonly #onError: (err: unknown) => void;
  readonly #maxEndpointsPerSlice: number;
  readonly #services: SharedInformer<Service>;
  readonly #pods: SharedInformer<ServicePod>;
  readonly #slices: SharedInformer<EndpointSlice>;
  /** Service key → what its slices must look like in the cache before the next sync may trust it. */
  readonly #tracker = new Map<string, Expectations>();

  constructor(ctx: ControllerContext, options: EndpointSliceControllerOptions = {}) {
    this.#client = ctx.client;
    this.#onError = ctx.onError;
    this.#maxEndpointsPerSlice = options.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice;
    this.#services = ctx.informers.informerFor<Service>(servicesResource);
    this.#pods = ctx.informers.informerFor<ServicePod>(podsResource);
    this.#slices = ctx.informers.informerFor<EndpointSlice>(endpointSlicesResource);
    this.syncHandler = (key) => this.syncService(key);
    enqueueServicesOnChange(this.#services, this.#pods, (key) => this.queue.add(key));
    // A slice changed or removed by someone else is put back; our own writes are harmless re-syncs.
    const onSlice = (slice: EndpointSlice) => {
      if (isManaged(slice)) this.queue.add(`${slice.metadata.namespace}/${slice.metadata.labels![serviceNameLabel]}`);
    };
    this.#slices.addEventHandler({
      onAdd: onSlice,
      onUpdate: (_old, cur) => onSlice(cur),
      onDelete: (obj) => onSlice(unwrapTombstone(obj)),
    });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const synced = await Promise.all([this.#services.waitForCacheSync(signal), this.#pods.waitForCacheSync(signal), this.#slices.waitForCacheSync(signal)]);
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      return;
    }
    await runQueueWorkers({ name: this.name, queue: this.queue, workers, signal, sync: (key) => this.syncHandler(key), onError: this.#onError });
  }

  #managedSlices(namespace: string | undefined, serviceName: string): EndpointSlice[] {
    return this.#slices.lister.list(namespace, (s) => isManaged(s) && s.metadata.labels![serviceNameLabel] === serviceName);
  }

  /** StaleSlices: whether the cache still lacks one of our writes. Observed expectations are dropped. */
  #cacheIsStale(key: string, namespace: string | undefined): boolean {
    const expectations = this.#tracker.get(key);
    if (!expectations) return false;
    let stale = false;
    for (const [name, want] of expectations) {
      const cached = this.#slices.lister.get(namespace, name);
      const seen = want === 'deleted' ? !cached : !!cached && (cached.metadata.generation ?? 0) >= want;
      if (seen) expectations.delete(name);
      else stale = true;
    }
    if (expectations.size === 0) this.#tracker.delete(key);
    return stale;
  }

  #expect(key: string, name: string, want: number | 'deleted'): void {
    let expectations = this.#tracker.get(key);
    if (!expectations) this.#tracker.set(key, (expectations = new Map()));
    expectations.set(name, want);
  }

  async syncService(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    if (this.#cacheIsStale(key, namespace)) {
      // "EndpointSlice informer cache is out of date": try again once it has caught up.
      this.queue.addAfter(key, 100);
      return;
    }
    const svc = this.#services.lister.get(namespace, name);
    if (!svc) {
      // The garbage collector would remove them through their owner reference; doing it here does not wait for it.
      for (const slice of this.#managedSlices(namespace, name)) await this.#delete(key, slice);
      return;
    }
    // Services without a selector get hand-made slices; ExternalName ones get none (issues.k8s.io/105986).
    if (!svc.spec?.selector || svc.spec.type === 'ExternalName') return;
    if (svc.metadata.deletionTimestamp) return;

    const pods = this.#pods.lister.list(namespace, (pod) => selectorMatches(svc.spec?.selector, pod.metadata.labels));
    const changes = reconcileSlices(svc, pods, this.#managedSlices(namespace, name), this.#maxEndpointsPerSlice);
    // Creates before updates before deletes, so the Service never loses endpoints in between (finalize).
    for (const slice of changes.create) {
      const created = await this.#client.create<EndpointSlice>({ ...endpointSlicesResource, namespace: namespace! }, slice);
      this.#expect(key, created.metadata.name!, created.metadata.generation ?? 1);
    }
    for (const slice of changes.update) {
      const updated = await this.#client.update<EndpointSlice>({ ...endpointSlicesResource, namespace: namespace!, name: slice.metadata.name! }, slice);
      this.#expect(key, updated.metadata.name!, updated.metadata.generation ?? 1);
    }
    for (const slice of changes.delete) await this.#delete(key, slice);
  }

  async #delete(key: string, slice: EndpointSlice): Promise<void> {
    try {
      await this.#client.delete({ ...endpointSlicesResource, namespace: slice.metadata.namespace!, name: slice.metadata.name! }, { preconditions: { uid: slice.metadata.uid! } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#expect(key, slice.metadata.name!, 'deleted');
  }
}
