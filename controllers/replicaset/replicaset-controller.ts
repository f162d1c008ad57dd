/**
 * The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps
 * `spec.replicas` active pods matching each ReplicaSet's selector. Pods are
 * owned through a controller ownerReference; matching orphans are adopted and
 * owned pods that stop matching are released. Creates go out in slow-start
 * batches and deletes pick the cheapest pods first (ActivePodsWithRanks).
 * Expectations keep a sync from acting again before the informer has shown
 * it the results of the previous one, so a lagging watch never causes
 * double creation.
 */
import { unwrapTombstone, type DeletedFinalStateUnknown } from '../../client/cache/deleted-final-state-unknown.ts';
import { splitMetaNamespaceKey } from '../../client/cache/indexer.ts';
import type { Lister } from '../../client/cache/lister.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import { labelSelectorFromMetav1, type LabelSelector } from '../../client/labels/selector.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { podsToDelete } from '../controller-utils/active-pods-ordering.ts';
import { ControllerExpectations } from '../controller-utils/controller-expectations.ts';
import { ControllerRefManager, getControllerOf, newControllerRef, recheckDeletionTimestamp } from '../controller-utils/controller-ref-manager.ts';
import { PodControl } from '../controller-utils/pod-control.ts';
import { isPodActive, isPodReady } from '../controller-utils/pod-readiness.ts';
import { runQueueWorkers } from '../controller-utils/queue-workers.ts';
import { slowStartBatch } from '../controller-utils/slow-start-batch.ts';
import { podsResource, replicaSetsResource, type Pod, type ReplicaSet, type ReplicaSetStatus } from '../controller-utils/workload-objects.ts';
import { calculateReplicaSetStatus, replicaSetStatusUnchanged } from './replicaset-status.ts';

export const replicaSetKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;

/** BurstReplicas: the most pods one sync creates or deletes. */
export const burstReplicas = 500;

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function keyOf(rs: ReplicaSet): string {
  return `${rs.metadata.namespace}/${rs.metadata.name}`;
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset-controller';
  readonly queue = new RateLimitingQueue<string>();
  readonly expectations = new ControllerExpectations();
  /** The sync run for each key; replaceable so tests can observe or stall it (STYLE.md §7). */
  syncHandler: (key: string) => Promise<void>;
  readonly #client: RestClient;
  readonly #onError: (err: unknown) => void;
  readonly #podControl: PodControl;
  readonly #rsInformer: SharedInformer<ReplicaSet>;
  readonly #podInformer: SharedInformer<Pod>;
  readonly #rsLister: Lister<ReplicaSet>;
  readonly #podLister: Lister<Pod>;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#onError = ctx.onError;
    this.#podControl = new PodControl(ctx.client, ctx.recorder(this.name));
    this.#rsInformer = ctx.informers.informerFor<ReplicaSet>(replicaSetsResource);
    this.#podInformer = ctx.informers.informerFor<Pod>(podsResource);
    this.#rsLister = this.#rsInformer.lister;
    this.#podLister = this.#podInformer.lister;
    this.syncHandler = (key) => this.syncReplicaSet(key);
    this.#rsInformer.addEventHandler({
      onAdd: (rs) => this.#enqueue(rs),
      onUpdate: (old, cur) => {
        if (old.metadata.uid !== cur.metadata.uid) this.#deleteRS(old);
        this.#enqueue(cur);
      },
      onDelete: (obj) => this.#deleteRS(obj),
    });
    this.#podInformer.addEventHandler({
      onAdd: (pod) => this.#addPod(pod),
      onUpdate: (old, cur) => this.#updatePod(old, cur),
      onDelete: (obj) => this.#deletePod(obj),
    });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const synced = await Promise.all([this.#rsInformer.waitForCacheSync(signal), this.#podInformer.waitForCacheSync(signal)]);
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      return;
    }
    await runQueueWorkers({ name: this.name, queue: this.queue, workers, signal, sync: (key) => this.syncHandler(key), onError: this.#onError });
  }

  #enqueue(rs: ReplicaSet): void {
    this.queue.add(keyOf(rs));
  }

  #deleteRS(obj: ReplicaSet | DeletedFinalStateUnknown<ReplicaSet>): void {
    const rs = unwrapTombstone(obj);
    const key = keyOf(rs);
    this.expectations.deleteExpectations(key);
    this.queue.add(key);
  }

  /** The ReplicaSet a controllerRef names, if it is still that very object (same UID). */
  #resolveControllerRef(namespace: string | undefined, ref: { kind: string; name: string; uid: string }): ReplicaSet | undefined {
    if (ref.kind !== replicaSetKind.kind) return undefined;
    const rs = this.#rsLister.get(namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod (GetPodReplicaSets). */
  #podReplicaSets(pod: Pod): ReplicaSet[] {
    return this.#rsLister.list(pod.metadata.namespace).filter((rs) => {
      let selector: LabelSelector;
      try {
        selector = labelSelectorFromMetav1(rs.spec.selector);
      } catch {
        return false;
      }
      return !selector.empty() && selector.matches(pod.metadata.labels);
    });
  }

  #addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      // A pod that shows up already being deleted must not be counted as a pending creation forever.
      this.#deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.#resolveControllerRef(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.#podReplicaSets(pod)) this.#enqueue(rs);
  }

  #updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      this.#deletePod(cur);
      if (labelChanged) this.#deletePod(old);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.#resolveControllerRef(old.metadata.namespace, oldRef);
      if (rs) this.#enqueue(rs);
    }
    if (curRef) {
      const rs = this.#resolveControllerRef(cur.metadata.namespace, curRef);
      if (!rs) return;
      this.#enqueue(rs);
      // A pod that just became ready turns available minReadySeconds later: look again then.
      const minReadySeconds = rs.spec.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0) this.queue.addAfter(keyOf(rs), minReadySeconds * 1000 + 100);
      return;
    }
    if (labelChanged || refChanged) for (const rs of this.#podReplicaSets(cur)) this.#enqueue(rs);
  }

  #deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = unwrapTombstone(obj);
    const ref = getControllerOf(pod);
    if (!ref) return;
    const rs = this.#resolveControllerRef(pod.metadata.namespace, ref);
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }

  /** syncReplicaSet: converge one ReplicaSet, read from the cache, and rewrite its status. */
  async syncReplicaSet(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const rs = this.#rsLister.get(namespace, name);
    if (!rs) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const rsNeedsSync = this.expectations.satisfiedExpectations(key);
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromMetav1(rs.spec.selector);
    } catch (err) {
      // An invalid selector will not heal by retrying.
      this.#onError(new Error(`${this.name}: ReplicaSet ${key} has an invalid selector: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const activePods = this.#podLister.list(namespace).filter(isPodActive);
    const manager = new ControllerRefManager<Pod>({
      client: this.#client,
      controller: rs,
      controllerKind: replicaSetKind,
      selector,
      dependents: podsResource,
      canAdopt: recheckDeletionTimestamp(this.#client, { ...replicaSetsResource, namespace: namespace!, name }, rs.metadata.uid),
    });
    const filteredPods = await manager.claim(activePods);
    let manageReplicasErr: unknown;
    if (rsNeedsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.#manageReplicas(filteredPods, rs, key);
      } catch (err) {
        manageReplicasErr = err;
      }
    }
    const status = calculateReplicaSetStatus(rs, filteredPods, manageReplicasErr);
    const updated = await this.#updateStatus(rs, status);
    const replicas = updated.spec.replicas ?? 1;
    const minReadySeconds = updated.spec.minReadySeconds ?? 0;
    if (
      manageReplicasErr === undefined &&
      minReadySeconds > 0 &&
      (updated.status?.readyReplicas ?? 0) === replicas &&
      (updated.status?.availableReplicas ?? 0) !== replicas
    ) {
      this.queue.addAfter(key, minReadySeconds * 1000);
    }
    if (manageReplicasErr !== undefined) throw manageReplicasErr;
  }

  async #manageReplicas(filteredPods: Pod[], rs: ReplicaSet, key: string): Promise<void> {
    const diff = filteredPods.length - (rs.spec.replicas ?? 1);
    const owner = { ...rs, ...replicaSetKind };
    const namespace = rs.metadata.namespace!;
    if (diff < 0) {
      const toCreate = Math.min(-diff, burstReplicas);
      // Expect first: the informer may deliver a created pod before create() returns.
      this.expectations.expectCreations(key, toCreate);
      const ref = newControllerRef(rs, replicaSetKind);
      const { successes, error } = await slowStartBatch(toCreate, 1, async () => {
        await this.#podControl.createPod(namespace, rs.spec.template, owner, ref);
      });
      // Creations never sent (or failed) will never be observed.
      const skipped = toCreate - successes;
      if (skipped > 0) this.expectations.lowerExpectations(key, skipped, 0);
      if (error !== undefined) throw error;
      return;
    }
    if (diff > 0) {
      const toDelete = Math.min(diff, burstReplicas);
      const victims = podsToDelete(filteredPods, this.#relatedPods(rs), toDelete);
      this.expectations.expectDeletions(key, victims.map(podKey));
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.#podControl.deletePod(namespace, pod.metadata.name!, owner);
          } catch (err) {
            // The delete will never be observed: stop waiting for it.
            this.expectations.deletionObserved(key, podKey(pod));
            if (!(err instanceof ApiError && err.code === 404)) errors.push(err);
          }
        }),
      );
      if (errors.length > 0) throw errors[0];
    }
  }

  /**
   * Pods of this ReplicaSet and of its siblings (ReplicaSets with the same
   * controller, e.g. one Deployment's), used to spread deletions across nodes
   * (getIndirectlyRelatedPods).
   */
  #relatedPods(rs: ReplicaSet): Pod[] {
    const owner = getControllerOf(rs);
    const uids = new Set<string>([rs.metadata.uid ?? '']);
    if (owner) {
      for (const other of this.#rsLister.list(rs.metadata.namespace)) if (getControllerOf(other)?.uid === owner.uid) uids.add(other.metadata.uid ?? '');
    }
    return this.#podLister.list(rs.metadata.namespace).filter((p) => {
      const ref = getControllerOf(p);
      return ref !== undefined && uids.has(ref.uid);
    });
  }

  /** updateReplicaSetStatus: writes through /status only when something changed. */
  async #updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (replicaSetStatusUnchanged(rs, status)) return rs;
    const body: ReplicaSet = { ...structuredClone(rs), ...replicaSetKind, status: { ...status, observedGeneration: rs.metadata.generation ?? 0 } };
    return this.#client.update<ReplicaSet>({ ...replicaSetsResource, namespace: rs.metadata.namespace!, name: rs.metadata.name!, subresource: 'status' }, body);
  }
}
