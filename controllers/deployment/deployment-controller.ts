/**
 * The Deployment controller (pkg/controller/deployment): each Deployment owns
 * ReplicaSets, one per template version, told apart by the pod-template-hash
 * label. A sync claims the Deployment's ReplicaSets, then either only scales
 * (paused, or spec.replicas changed: proportional across active RSs) or rolls
 * out (RollingUpdate within maxSurge/maxUnavailable, or Recreate: old pods
 * gone first), keeps revisions, trims history, and rewrites status and the
 * Progressing/Available conditions. Rollback needs no special path: when the
 * template goes back to an old one (kubectl rollout undo patches it so), that
 * old RS is the new RS again and gets the next revision number.
 */
import { unwrapTombstone, type DeletedFinalStateUnknown } from '../../client/cache/deleted-final-state-unknown.ts';
import { splitMetaNamespaceKey } from '../../client/cache/indexer.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import { labelSelectorFromMetav1, type LabelSelector } from '../../client/labels/selector.ts';
import type { EventRecorder } from '../../client/record/event-recorder.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { ControllerRefManager, getControllerOf, newControllerRef, recheckDeletionTimestamp } from '../controller-utils/controller-ref-manager.ts';
import { runQueueWorkers } from '../controller-utils/queue-workers.ts';
import {
  deploymentsResource,
  podsResource,
  replicaSetsResource,
  type Deployment,
  type DeploymentStatus,
  type Pod,
  type ReplicaSet,
} from '../controller-utils/workload-objects.ts';
import { desiredReplicasOf, maxRevision, replicasAnnotationsNeedUpdate, revisionAnnotation, revisionOf, setNewReplicaSetAnnotations, setReplicasAnnotations } from './deployment-annotations.ts';
import {
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getDeploymentCondition,
  hasProgressDeadline,
  newDeploymentCondition,
  progressingCondition,
  reasons,
  removeDeploymentCondition,
  replicaFailureCondition,
  setDeploymentCondition,
} from './deployment-conditions.ts';
import { calculateDeploymentStatus, deploymentStatusEqual } from './deployment-status.ts';
import { findNewReplicaSet, findOldReplicaSets, isSaturated, newRSNewReplicas } from './new-replica-set.ts';
import { computeHash, equalIgnoreHash, podTemplateHashLabel } from './pod-template-hash.ts';
import {
  availableOf,
  byCreationTimestamp,
  bySizeNewer,
  bySizeOlder,
  filterActiveReplicaSets,
  getProportion,
  replicaCount,
  specReplicas,
} from './replica-set-counts.ts';
import { isRollingUpdate, maxSurge, maxUnavailable } from './rollout-limits.ts';

export const deploymentKind = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
const replicaSetKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;
const maxInt32 = 2_147_483_647;

function keyOf(obj: { metadata: { namespace?: string; name?: string } }): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Pods of each of the Deployment's ReplicaSets, by RS UID (getPodMapForDeployment). */
type PodMap = Map<string, Pod[]>;

/** The new RS (if any) and every other RS of a Deployment. */
interface ReplicaSetSplit {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  readonly queue = new RateLimitingQueue<string>();
  /** The sync run for each key; replaceable so tests can observe or stall it (STYLE.md §7). */
  syncHandler: (key: string) => Promise<void>;
  /** The clock for progress deadlines; tests may move it. */
  now: () => number = Date.now;
  readonly #client: RestClient;
  readonly #onError: (err: unknown) => void;
  readonly #recorder: EventRecorder;
  readonly #dInformer: SharedInformer<Deployment>;
  readonly #rsInformer: SharedInformer<ReplicaSet>;
  readonly #podInformer: SharedInformer<Pod>;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#onError = ctx.onError;
    this.#recorder = ctx.recorder(this.name);
    this.#dInformer = ctx.informers.informerFor<Deployment>(deploymentsResource);
    this.#rsInformer = ctx.informers.informerFor<ReplicaSet>(replicaSetsResource);
    this.#podInformer = ctx.informers.informerFor<Pod>(podsResource);
    this.syncHandler = (key) => this.syncDeployment(key);
    this.#dInformer.addEventHandler({
      onAdd: (d) => this.#enqueue(d),
      onUpdate: (_old, d) => this.#enqueue(d),
      onDelete: (obj) => this.#enqueue(unwrapTombstone(obj)),
    });
    this.#rsInformer.addEventHandler({
      onAdd: (rs) => this.#addReplicaSet(rs),
      onUpdate: (old, cur) => this.#updateReplicaSet(old, cur),
      onDelete: (obj) => this.#deleteReplicaSet(obj),
    });
    this.#podInformer.addEventHandler({ onDelete: (obj) => this.#deletePod(obj) });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const synced = await Promise.all([
      this.#dInformer.waitForCacheSync(signal),
      this.#rsInformer.waitForCacheSync(signal),
      this.#podInformer.waitForCacheSync(signal),
    ]);
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      return;
    }
    await runQueueWorkers({ name: this.name, queue: this.queue, workers, signal, sync: (key) => this.syncHandler(key), onError: this.#onError });
  }

  // ---- event handlers: they only enqueue keys ------------------------------

  #enqueue(d: Deployment): void {
    this.queue.add(keyOf(d));
  }

  #resolveControllerRef(namespace: string | undefined, ref: { kind: string; name: string; uid: string }): Deployment | undefined {
    if (ref.kind !== deploymentKind.kind) return undefined;
    const d = this.#dInformer.lister.get(namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  /** Deployments whose selector matches an orphan RS (getDeploymentsForReplicaSet). */
  #deploymentsForReplicaSet(rs: ReplicaSet): Deployment[] {
    return this.#dInformer.lister.list(rs.metadata.namespace).filter((d) => {
      let selector: LabelSelector;
      try {
        selector = labelSelectorFromMetav1(d.spec.selector);
      } catch {
        return false;
      }
      return !selector.empty() && selector.matches(rs.metadata.labels);
    });
  }

  #addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp) {
      this.#deleteReplicaSet(rs);
      return;
    }
    const ref = getControllerOf(rs);
    if (ref) {
      const d = this.#resolveControllerRef(rs.metadata.namespace, ref);
      if (d) this.#enqueue(d);
      return;
    }
    for (const d of this.#deploymentsForReplicaSet(rs)) this.#enqueue(d);
  }

  #updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const d = this.#resolveControllerRef(old.metadata.namespace, oldRef);
      if (d) this.#enqueue(d);
    }
    if (curRef) {
      const d = this.#resolveControllerRef(cur.metadata.namespace, curRef);
      if (d) this.#enqueue(d);
      return;
    }
    const labelChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (labelChanged || refChanged) for (const d of this.#deploymentsForReplicaSet(cur)) this.#enqueue(d);
  }

  #deleteReplicaSet(obj: ReplicaSet | DeletedFinalStateUnknown<ReplicaSet>): void {
    const rs = unwrapTombstone(obj);
    const ref = getControllerOf(rs);
    if (!ref) return;
    const d = this.#resolveControllerRef(rs.metadata.namespace, ref);
    if (d) this.#enqueue(d);
  }

  /** Recreate waits for old pods to be gone: a pod deletion may be the one it waits for. */
  #deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = unwrapTombstone(obj);
    const podRef = getControllerOf(pod);
    if (!podRef || podRef.kind !== replicaSetKind.kind) return;
    const rs = this.#rsInformer.lister.get(pod.metadata.namespace, podRef.name);
    if (!rs || rs.metadata.uid !== podRef.uid) return;
    const rsRef = getControllerOf(rs);
    if (!rsRef) return;
    const d = this.#resolveControllerRef(rs.metadata.namespace, rsRef);
    if (d && d.spec.strategy?.type === 'Recreate') this.#enqueue(d);
  }

  // ---- sync ------------------------------------------------------------------

  /** syncDeployment: converge one Deployment from the caches. */
  async syncDeployment(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.#dInformer.lister.get(namespace, name);
    if (!cached) return;
    const d: Deployment = { ...structuredClone(cached), ...deploymentKind };
    const selector = d.spec.selector;
    if (!selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)) {
      void this.#recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata.generation ?? 0 };
        await this.#updateStatus(d);
      }
      return;
    }
    const rsList = await this.#getReplicaSetsForDeployment(d);
    const podMap = this.#getPodMapForDeployment(d, rsList);
    if (d.metadata.deletionTimestamp) {
      await this.#syncStatusOnly(d, rsList);
      return;
    }
    await this.#checkPausedConditions(d);
    if (d.spec.paused) {
      await this.#sync(d, rsList);
      return;
    }
    if (await this.#isScalingEvent(d, rsList)) {
      await this.#sync(d, rsList);
      return;
    }
    if (d.spec.strategy?.type === 'Recreate') await this.#rolloutRecreate(d, rsList, podMap);
    else await this.#rolloutRolling(d, rsList);
  }

  /** The Deployment's ReplicaSets after adopting matching orphans and releasing ones that stopped matching. */
  async #getReplicaSetsForDeployment(d: Deployment): Promise<ReplicaSet[]> {
    const selector = labelSelectorFromMetav1(d.spec.selector);
    const manager = new ControllerRefManager<ReplicaSet>({
      client: this.#client,
      controller: d,
      controllerKind: deploymentKind,
      selector,
      dependents: replicaSetsResource,
      canAdopt: recheckDeletionTimestamp(this.#client, { ...deploymentsResource, namespace: d.metadata.namespace!, name: d.metadata.name! }, d.metadata.uid),
    });
    return manager.claim(this.#rsInformer.lister.list(d.metadata.namespace));
  }

  #getPodMapForDeployment(d: Deployment, rsList: readonly ReplicaSet[]): PodMap {
    const selector = labelSelectorFromMetav1(d.spec.selector);
    const map: PodMap = new Map(rsList.map((rs) => [rs.metadata.uid ?? '', []]));
    for (const pod of this.#podInformer.lister.list(d.metadata.namespace, (p) => selector.matches(p.metadata.labels))) {
      const ref = getControllerOf(pod);
      if (ref) map.get(ref.uid)?.push(pod);
    }
    return map;
  }

  /** Replaces the cached copy of `rs` in `rsList` with what the server returned, so later steps do not write stale copies. */
  #remember(rsList: ReplicaSet[], rs: ReplicaSet): void {
    const i = rsList.findIndex((x) => x.metadata.uid === rs.metadata.uid);
    if (i >= 0) rsList[i] = rs;
    else rsList.push(rs);
  }

  async #updateStatus(d: Deployment): Promise<void> {
    const updated = await this.#client.update<Deployment>({ ...deploymentsResource, namespace: d.metadata.namespace!, name: d.metadata.name!, subresource: 'status' }, d);
    // Later writes in this sync build on this one rather than losing a conflict to it.
    d.metadata.resourceVersion = updated.metadata.resourceVersion!;
  }

  async #syncStatusOnly(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.#syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  /** sync: scaling events and paused Deployments (no rollout). */
  async #sync(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.#scale(d, newRS, oldRSs, rsList);
    if (d.spec.paused) await this.#cleanupDeployment(oldRSs, d);
    const split = this.#split(d, rsList);
    await this.#syncDeploymentStatus([...split.oldRSs, split.newRS], split.newRS, d);
  }

  #split(d: Deployment, rsList: readonly ReplicaSet[]): ReplicaSetSplit {
    return { newRS: findNewReplicaSet(d, rsList), oldRSs: findOldReplicaSets(d, rsList) };
  }

  /** checkPausedConditions: Progressing=Unknown DeploymentPaused / DeploymentResumed, so a pause never counts against the deadline. */
  async #checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getDeploymentCondition(d.status, progressingCondition);
    if (cond?.reason === reasons.timedOut) return;
    const pausedCondExists = cond?.reason === reasons.paused;
    d.status ??= {};
    if (d.spec.paused && !pausedCondExists) {
      setDeploymentCondition(d.status, newDeploymentCondition(progressingCondition, 'Unknown', reasons.paused, 'Deployment is paused', this.now()));
    } else if (!d.spec.paused && pausedCondExists) {
      setDeploymentCondition(d.status, newDeploymentCondition(progressingCondition, 'Unknown', reasons.resumed, 'Deployment is resumed', this.now()));
    } else return;
    await this.#updateStatus(d);
  }

  /** isScalingEvent: an active RS was sized for a different spec.replicas than the Deployment's now. */
  async #isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of filterActiveReplicaSets([...oldRSs, newRS])) {
      const desired = desiredReplicasOf(rs);
      if (desired !== undefined && desired !== (d.spec.replicas ?? 1)) return true;
    }
    return false;
  }

  async #getAllReplicaSetsAndSyncRevision(d: Deployment, rsList: ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSetSplit> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRS = await this.#getNewReplicaSet(d, rsList, oldRSs, createIfNotExisted);
    return { newRS, oldRSs: newRS ? oldRSs.filter((rs) => rs.metadata.uid !== newRS.metadata.uid) : oldRSs };
  }

  /**
   * getNewReplicaSet: the RS running the Deployment's template, with its
   * revision raised above every old RS's; created (sized by newRSNewReplicas)
   * when missing and `createIfNotExisted`.
   */
  async #getNewReplicaSet(d: Deployment, rsList: ReplicaSet[], oldRSs: readonly ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSet | undefined> {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    d.status ??= {};
    if (existing) {
      const rsCopy: ReplicaSet = { ...structuredClone(existing), ...replicaSetKind };
      const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadySecondsNeedsUpdate = (rsCopy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadySecondsNeedsUpdate) {
        rsCopy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
        const updated = await this.#client.update<ReplicaSet>(this.#rsPath(rsCopy), rsCopy);
        this.#remember(rsList, updated);
        return updated;
      }
      let needsUpdate = this.#setDeploymentRevision(d, rsCopy.metadata.annotations?.[revisionAnnotation] ?? '');
      if (hasProgressDeadline(d) && !getDeploymentCondition(d.status, progressingCondition)) {
        setDeploymentCondition(d.status, newDeploymentCondition(progressingCondition, 'True', reasons.foundNewRS, `Found new replica set "${rsCopy.metadata.name}"`, this.now()));
        needsUpdate = true;
      }
      if (needsUpdate) await this.#updateStatus(d);
      return existing;
    }
    if (!createIfNotExisted) return undefined;

    const template = structuredClone(d.spec.template);
    const hash = computeHash(template, d.status.collisionCount);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
    const selector = { ...structuredClone(d.spec.selector ?? {}), matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), [podTemplateHashLabel]: hash } };
    const newRS: ReplicaSet = {
      ...replicaSetKind,
      metadata: {
        // Deterministic, so a retry after a lost answer finds the RS instead of making another.
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace!,
        ownerReferences: [newControllerRef(d, deploymentKind)],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const newReplicasCount = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec.replicas = newReplicasCount;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);
    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.#client.create<ReplicaSet>({ ...replicaSetsResource, namespace: d.metadata.namespace! }, newRS);
    } catch (err) {
      if (isAlreadyExists(err)) {
        const rs = this.#rsInformer.lister.get(d.metadata.namespace, newRS.metadata.name!);
        if (!rs) throw err;
        if (getControllerOf(rs)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, rs.spec.template)) {
          created = rs;
          alreadyExists = true;
        } else {
          // A different template already has this name: bump collisionCount so the next hash differs.
          d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
          await this.#updateStatus(d);
          throw err;
        }
      } else {
        const msg = `Failed to create new replica set "${newRS.metadata.name}": ${errorMessage(err)}`;
        if (hasProgressDeadline(d)) {
          setDeploymentCondition(d.status, newDeploymentCondition(progressingCondition, 'False', reasons.failedRSCreate, msg, this.now()));
          await this.#updateStatus(d).catch(() => undefined);
        }
        void this.#recorder.event(d, 'Warning', reasons.failedRSCreate, msg);
        throw err;
      }
    }
    this.#remember(rsList, created);
    if (!alreadyExists && newReplicasCount > 0) {
      void this.#recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${newReplicasCount}`);
    }
    let needsUpdate = this.#setDeploymentRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setDeploymentCondition(d.status, newDeploymentCondition(progressingCondition, 'True', reasons.newReplicaSet, `Created new replica set "${created.metadata.name}"`, this.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.#updateStatus(d);
    return created;
  }

  /** SetDeploymentRevision: the Deployment's revision annotation follows its new RS's (written through /status). */
  #setDeploymentRevision(d: Deployment, revision: string): boolean {
    d.metadata.annotations ??= {};
    if (d.metadata.annotations[revisionAnnotation] === revision) return false;
    d.metadata.annotations[revisionAnnotation] = revision;
    return true;
  }

  #rsPath(rs: ReplicaSet) {
    return { ...replicaSetsResource, namespace: rs.metadata.namespace!, name: rs.metadata.name! };
  }

  /**
   * scale: on a resize (or while paused), spread the change over the active
   * RSs in proportion to their size, so a resize mid-rollout neither speeds
   * the rollout up nor rolls it back.
   */
  async #scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], rsList: ReplicaSet[]): Promise<void> {
    const replicas = d.spec.replicas ?? 1;
    const activeOrLatest = this.#findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (specReplicas(activeOrLatest) === replicas) return;
      await this.#scaleReplicaSetAndRecordEvent(activeOrLatest, replicas, d, rsList);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActiveReplicaSets(oldRSs)) await this.#scaleReplicaSetAndRecordEvent(old, 0, d, rsList);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const allRSs = filterActiveReplicaSets([...oldRSs, newRS]);
    const allowedSize = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowedSize - replicaCount(allRSs);
    let operation = '';
    if (toAdd > 0) {
      allRSs.sort(bySizeNewer);
      operation = 'up';
    } else if (toAdd < 0) {
      allRSs.sort(bySizeOlder);
      operation = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of allRSs) {
      if (toAdd !== 0) {
        const proportion = getProportion(rs, d, toAdd, added);
        sizes.set(rs.metadata.uid!, specReplicas(rs) + proportion);
        added += proportion;
      } else sizes.set(rs.metadata.uid!, specReplicas(rs));
    }
    for (const [i, rs] of allRSs.entries()) {
      let size = sizes.get(rs.metadata.uid!)!;
      // Leftovers go to the largest RS.
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      await this.#scaleReplicaSet(rs, size, d, operation, rsList);
    }
  }

  /** FindActiveOrLatest: the only active RS, or the newest when none is active; undefined when several are. */
  #findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
    if (!newRS && oldRSs.length === 0) return undefined;
    const sortedOld = [...oldRSs].sort(byCreationTimestamp).reverse();
    const active = filterActiveReplicaSets([...sortedOld, newRS]);
    if (active.length === 0) return newRS ?? sortedOld[0];
    if (active.length === 1) return active[0];
    return undefined;
  }

  async #scaleReplicaSetAndRecordEvent(rs: ReplicaSet, newScale: number, d: Deployment, rsList: ReplicaSet[]): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (specReplicas(rs) === newScale) return { scaled: false, rs };
    return this.#scaleReplicaSet(rs, newScale, d, specReplicas(rs) < newScale ? 'up' : 'down', rsList);
  }

  /** scaleReplicaSet: a compare-and-swap PUT, so a decision made on a stale cache loses with a Conflict. */
  async #scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment, operation: string, rsList: ReplicaSet[]): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const replicas = d.spec.replicas ?? 1;
    const maxReplicas = replicas + maxSurge(d);
    const sizeNeedsUpdate = specReplicas(rs) !== newScale;
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, replicas, maxReplicas)) return { scaled: false, rs };
    const oldScale = specReplicas(rs);
    const copy: ReplicaSet = { ...structuredClone(rs), ...replicaSetKind };
    copy.spec.replicas = newScale;
    setReplicasAnnotations(copy, replicas, maxReplicas);
    const updated = await this.#client.update<ReplicaSet>(this.#rsPath(copy), copy);
    this.#remember(rsList, updated);
    if (sizeNeedsUpdate) {
      void this.#recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${updated.metadata.name} to ${newScale} from ${oldScale}`);
    }
    return { scaled: sizeNeedsUpdate, rs: updated };
  }

  /** cleanupDeployment: delete the oldest fully scaled-down RSs beyond revisionHistoryLimit. */
  async #cleanupDeployment(oldRSs: readonly ReplicaSet[], d: Deployment): Promise<void> {
    const limit = d.spec.revisionHistoryLimit;
    if (limit === undefined || limit === null || limit === maxInt32) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreationTimestamp(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.#client.delete(this.#rsPath(rs), { preconditions: { uid: rs.metadata.uid! } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #syncDeploymentStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const status = calculateDeploymentStatus(allRSs, newRS, d, this.now());
    if (deploymentStatusEqual(d.status, status)) return;
    d.status = status;
    await this.#updateStatus(d);
  }

  // ---- rolling update (rolling.go) -------------------------------------------

  async #rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const first = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, true);
    let newRS = first.newRS!;
    const oldRSs = first.oldRSs;
    const scaledUp = await this.#reconcileNewReplicaSet([...oldRSs, newRS], newRS, d, rsList);
    if (scaledUp) {
      const s = this.#split(d, rsList);
      await this.#syncRolloutStatus([...s.oldRSs, s.newRS], s.newRS, d);
      return;
    }
    newRS = this.#split(d, rsList).newRS ?? newRS;
    const scaledDown = await this.#reconcileOldReplicaSets(filterActiveReplicaSets(oldRSs), newRS, d, rsList);
    const s = this.#split(d, rsList);
    if (!scaledDown && deploymentComplete(d, d.status ?? {})) await this.#cleanupDeployment(s.oldRSs, d);
    await this.#syncRolloutStatus([...s.oldRSs, s.newRS], s.newRS, d);
  }

  async #reconcileNewReplicaSet(allRSs: readonly ReplicaSet[], newRS: ReplicaSet, d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const replicas = d.spec.replicas ?? 1;
    if (specReplicas(newRS) === replicas) return false;
    if (specReplicas(newRS) > replicas) return (await this.#scaleReplicaSetAndRecordEvent(newRS, replicas, d, rsList)).scaled;
    const count = newRSNewReplicas(d, allRSs, newRS);
    return (await this.#scaleReplicaSetAndRecordEvent(newRS, count, d, rsList)).scaled;
  }

  /**
   * reconcileOldReplicaSets: scale old RSs down as far as availability allows:
   * first their unhealthy pods, then available ones while at least
   * spec.replicas - maxUnavailable stay available.
   */
  async #reconcileOldReplicaSets(oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const oldPodsCount = replicaCount(oldRSs);
    if (oldPodsCount === 0) return false;
    const allPodsCount = replicaCount([...oldRSs, newRS]);
    const minAvailable = (d.spec.replicas ?? 1) - maxUnavailable(d);
    const newRSUnavailablePodCount = specReplicas(newRS) - availableOf(newRS);
    const maxScaledDown = allPodsCount - minAvailable - newRSUnavailablePodCount;
    if (maxScaledDown <= 0) return false;
    const { oldRSs: cleaned, cleanupCount } = await this.#cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown, rsList);
    const scaledDownCount = await this.#scaleDownOldReplicaSetsForRollingUpdate([...cleaned, newRS], cleaned, d, rsList);
    return cleanupCount + scaledDownCount > 0;
  }

  async #cleanupUnhealthyReplicas(oldRSs: ReplicaSet[], d: Deployment, maxCleanupCount: number, rsList: ReplicaSet[]): Promise<{ oldRSs: ReplicaSet[]; cleanupCount: number }> {
    const sorted = [...oldRSs].sort(byCreationTimestamp);
    let total = 0;
    for (const [i, rs] of sorted.entries()) {
      if (total >= maxCleanupCount) break;
      const unhealthy = specReplicas(rs) - availableOf(rs);
      if (specReplicas(rs) === 0 || unhealthy <= 0) continue;
      const count = Math.min(maxCleanupCount - total, unhealthy);
      const { rs: updated } = await this.#scaleReplicaSetAndRecordEvent(rs, specReplicas(rs) - count, d, rsList);
      total += count;
      sorted[i] = updated;
    }
    return { oldRSs: sorted, cleanupCount: total };
  }

  async #scaleDownOldReplicaSetsForRollingUpdate(allRSs: readonly ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment, rsList: ReplicaSet[]): Promise<number> {
    const minAvailable = (d.spec.replicas ?? 1) - maxUnavailable(d);
    const available = allRSs.reduce((n, rs) => n + availableOf(rs), 0);
    if (available <= minAvailable) return 0;
    const totalScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreationTimestamp)) {
      if (total >= totalScaleDown) break;
      if (specReplicas(rs) === 0) continue;
      const count = Math.min(specReplicas(rs), totalScaleDown - total);
      await this.#scaleReplicaSetAndRecordEvent(rs, specReplicas(rs) - count, d, rsList);
      total += count;
    }
    return total;
  }

  // ---- recreate (recreate.go) ------------------------------------------------

  async #rolloutRecreate(d: Deployment, rsList: ReplicaSet[], podMap: PodMap): Promise<void> {
    const { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let scaledDown = false;
    for (const rs of filterActiveReplicaSets(oldRSs)) {
      if ((await this.#scaleReplicaSetAndRecordEvent(rs, 0, d, rsList)).scaled) scaledDown = true;
    }
    if (scaledDown || this.#oldPodsRunning(newRS, this.#split(d, rsList).oldRSs, podMap)) {
      const s = this.#split(d, rsList);
      await this.#syncRolloutStatus([...s.oldRSs, s.newRS], s.newRS, d);
      return;
    }
    let current = newRS;
    if (!current) current = (await this.#getAllReplicaSetsAndSyncRevision(d, rsList, true)).newRS;
    if (current) await this.#scaleReplicaSetAndRecordEvent(this.#split(d, rsList).newRS ?? current, d.spec.replicas ?? 1, d, rsList);
    const s = this.#split(d, rsList);
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanupDeployment(s.oldRSs, d);
    await this.#syncRolloutStatus([...s.oldRSs, s.newRS], s.newRS, d);
  }

  /** oldPodsRunning: any old RS still reports pods, or any pod of a non-new RS has not finished. */
  #oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podMap: PodMap): boolean {
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    for (const [uid, pods] of podMap) {
      if (newRS && newRS.metadata.uid === uid) continue;
      if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
    }
    return false;
  }

  // ---- progress (progress.go) ------------------------------------------------

  /** syncRolloutStatus: status plus the Progressing condition judged against progressDeadlineSeconds. */
  async #syncRolloutStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const now = this.now();
    const newStatus = calculateDeploymentStatus(allRSs, newRS, d, now);
    if (!hasProgressDeadline(d)) removeDeploymentCondition(newStatus, progressingCondition);
    const currentCond = getDeploymentCondition(d.status, progressingCondition);
    const isCompleteDeployment = (newStatus.replicas ?? 0) === (newStatus.updatedReplicas ?? 0) && currentCond?.reason === reasons.newRSAvailable;
    if (hasProgressDeadline(d) && !isCompleteDeployment) {
      if (deploymentComplete(d, newStatus)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : 'Deployment has successfully progressed.';
        setDeploymentCondition(newStatus, newDeploymentCondition(progressingCondition, 'True', reasons.newRSAvailable, msg, now));
      } else if (deploymentProgressing(d, newStatus)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : 'Deployment is progressing.';
        const condition = newDeploymentCondition(progressingCondition, 'True', reasons.replicaSetUpdated, msg, now);
        // Progress refreshes lastUpdateTime even when the reason stays the same; the transition time stays while True.
        if (currentCond) {
          if (currentCond.status === 'True' && currentCond.lastTransitionTime) condition.lastTransitionTime = currentCond.lastTransitionTime;
          removeDeploymentCondition(newStatus, progressingCondition);
        }
        setDeploymentCondition(newStatus, condition);
      } else if (deploymentTimedOut(d, newStatus, now)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setDeploymentCondition(newStatus, newDeploymentCondition(progressingCondition, 'False', reasons.timedOut, msg, now));
      }
    }
    const failure = this.#replicaFailure(allRSs, newRS);
    if (failure) setDeploymentCondition(newStatus, failure);
    else removeDeploymentCondition(newStatus, replicaFailureCondition);
    if (deploymentStatusEqual(d.status, newStatus)) {
      this.#requeueStuckDeployment(d, newStatus, now);
      return;
    }
    d.status = newStatus;
    await this.#updateStatus(d);
  }

  /** getReplicaFailures: the new RS's ReplicaFailure (else an old one's), promoted to the Deployment. */
  #replicaFailure(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined) {
    const candidates = newRS ? [newRS, ...allRSs.filter((rs) => rs && rs !== newRS)] : allRSs;
    for (const rs of candidates) {
      const cond = rs?.status?.conditions?.find((c) => c.type === replicaFailureCondition);
      if (cond) {
        return {
          type: replicaFailureCondition,
          status: cond.status,
          ...(cond.lastTransitionTime ? { lastTransitionTime: cond.lastTransitionTime, lastUpdateTime: cond.lastTransitionTime } : {}),
          ...(cond.reason !== undefined ? { reason: cond.reason } : {}),
          ...(cond.message !== undefined ? { message: cond.message } : {}),
        };
      }
    }
    return undefined;
  }

  /**
   * requeueStuckDeployment: with no sign of progress, nothing else will
   * trigger a sync, so look again just after the deadline would pass.
   */
  #requeueStuckDeployment(d: Deployment, newStatus: DeploymentStatus, now: number): void {
    const cond = getDeploymentCondition(d.status, progressingCondition);
    if (!hasProgressDeadline(d) || !cond) return;
    if (deploymentComplete(d, newStatus) || cond.reason === reasons.timedOut) return;
    const from = cond.lastUpdateTime ? Date.parse(cond.lastUpdateTime) : Number.NaN;
    if (Number.isNaN(from)) return;
    // lastUpdateTime has whole seconds: a second past the deadline is surely past it.
    const after = from + (d.spec.progressDeadlineSeconds ?? 0) * 1000 - now;
    this.queue.addAfter(keyOf(d), Math.max(after, 0) + 1000);
  }
}
