/**
 * The DaemonSet controller (pkg/controller/daemon/daemon_controller.go,
 * update.go): one pod per node that should run it (nodeSelector, node
 * affinity, tolerated taints). Pods are pinned with a required node affinity
 * on `metadata.name` and bound by the scheduler, as since kube 1.12. Template
 * versions are ControllerRevisions whose hash labels the pods; RollingUpdate
 * replaces old pods within maxUnavailable (or maxSurge), OnDelete waits for
 * someone to delete them. Expectations keep a sync from acting again before
 * the informer has shown it the previous sync's creates and deletes.
 */
import { unwrapTombstone, type DeletedFinalStateUnknown } from '../../client/cache/deleted-final-state-unknown.ts';
import { splitMetaNamespaceKey } from '../../client/cache/indexer.ts';
import type { Lister } from '../../client/cache/lister.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import type { EventRecorder } from '../../client/record/event-recorder.ts';
import { labelSelectorFromMetav1, type LabelSelector } from '../../client/labels/selector.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { ControllerExpectations } from '../controller-utils/controller-expectations.ts';
import { ControllerRefManager, getControllerOf, newControllerRef, recheckDeletionTimestamp } from '../controller-utils/controller-ref-manager.ts';
import { PodControl } from '../controller-utils/pod-control.ts';
import { isPodAvailable, isPodReady } from '../controller-utils/pod-readiness.ts';
import { runQueueWorkers } from '../controller-utils/queue-workers.ts';
import { slowStartBatch } from '../controller-utils/slow-start-batch.ts';
import { podsResource, type Pod } from '../controller-utils/workload-objects.ts';
import { maxRevision, newControllerRevision, revisionMatches, revisionsToDelete, templateHash } from './controller-history.ts';
import { createPodTemplate, replaceNodeNameAffinity, targetNodeName } from './daemon-pod-template.ts';
import { byCreationTimestamp, calculateDaemonSetStatus, daemonSetStatusUnchanged, isPodUpdated, templateGeneration } from './daemonset-status.ts';
import {
  controllerRevisionHashLabel,
  controllerRevisionsResource,
  daemonSetKind,
  daemonSetsResource,
  nodesResource,
  type ControllerRevision,
  type DaemonSet,
  type DaemonSetStatus,
  type Node,
} from './daemonset-types.ts';
import { nodeShouldRunDaemonPod } from './node-should-run.ts';
import { planRollingUpdate, rollingUpdateLimits } from './rolling-update.ts';

/** BurstReplicas: the most pods one sync creates or deletes. */
export const burstReplicas = 250;

export interface DaemonSetControllerOptions {
  /** First delay before a failed daemon pod on a node is killed again; doubles up to 15 min. Default 1 s. */
  failedPodBackoffMs?: number;
}

function keyOf(obj: { metadata: { namespace?: string; name?: string } }): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  readonly queue = new RateLimitingQueue<string>();
  readonly expectations = new ControllerExpectations();
  /** The sync run for each key; replaceable so tests can observe or stall it (STYLE.md §7). */
  syncHandler: (key: string) => Promise<void>;
  readonly #client: RestClient;
  readonly #recorder: EventRecorder;
  readonly #onError: (err: unknown) => void;
  readonly #podControl: PodControl;
  readonly #dsInformer: SharedInformer<DaemonSet>;
  readonly #podInformer: SharedInformer<Pod>;
  readonly #nodeInformer: SharedInformer<Node>;
  readonly #historyInformer: SharedInformer<ControllerRevision>;
  readonly #dsLister: Lister<DaemonSet>;
  readonly #podLister: Lister<Pod>;
  readonly #nodeLister: Lister<Node>;
  readonly #historyLister: Lister<ControllerRevision>;
  readonly #failedPodBackoffMs: number;
  /** Per `<ds uid>/<node>`: when a failed pod may next be killed, and the current delay (failedPodsBackoff). */
  readonly #failedPodBackoff = new Map<string, { until: number; delayMs: number }>();

  constructor(ctx: ControllerContext, options: DaemonSetControllerOptions = {}) {
    this.#client = ctx.client;
    this.#onError = ctx.onError;
    this.#recorder = ctx.recorder(this.name);
    this.#podControl = new PodControl(ctx.client, this.#recorder);
    this.#failedPodBackoffMs = options.failedPodBackoffMs ?? 1000;
    this.#dsInformer = ctx.informers.informerFor<DaemonSet>(daemonSetsResource);
    this.#podInformer = ctx.informers.informerFor<Pod>(podsResource);
    this.#nodeInformer = ctx.informers.informerFor<Node>(nodesResource);
    this.#historyInformer = ctx.informers.informerFor<ControllerRevision>(controllerRevisionsResource);
    this.#dsLister = this.#dsInformer.lister;
    this.#podLister = this.#podInformer.lister;
    this.#nodeLister = this.#nodeInformer.lister;
    this.#historyLister = this.#historyInformer.lister;
    this.syncHandler = (key) => this.syncDaemonSet(key);
    this.#dsInformer.addEventHandler({
      onAdd: (ds) => this.queue.add(keyOf(ds)),
      onUpdate: (old, cur) => {
        if (old.metadata.uid !== cur.metadata.uid) this.#deleteDaemonSet(old);
        this.queue.add(keyOf(cur));
      },
      onDelete: (obj) => this.#deleteDaemonSet(obj),
    });
    this.#podInformer.addEventHandler({
      onAdd: (pod) => this.#addPod(pod),
      onUpdate: (old, cur) => this.#updatePod(old, cur),
      onDelete: (obj) => this.#deletePod(obj),
    });
    this.#nodeInformer.addEventHandler({
      onAdd: () => this.#enqueueAll(),
      onUpdate: (old, cur) => {
        // Heartbeats and status do not change where daemons run (shouldIgnoreNodeUpdate).
        if (sameJson(old.metadata.labels, cur.metadata.labels) && sameJson(old.spec?.taints, cur.spec?.taints) && old.spec?.unschedulable === cur.spec?.unschedulable) return;
        this.#enqueueAll();
      },
      onDelete: () => this.#enqueueAll(),
    });
    this.#historyInformer.addEventHandler({
      onDelete: (obj) => {
        const ref = getControllerOf(unwrapTombstone(obj));
        if (ref?.kind === daemonSetKind.kind) this.queue.add(`${unwrapTombstone(obj).metadata.namespace}/${ref.name}`);
      },
    });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const informers = [this.#dsInformer, this.#podInformer, this.#nodeInformer, this.#historyInformer];
    const synced = await Promise.all(informers.map((i) => i.waitForCacheSync(signal)));
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      return;
    }
    await runQueueWorkers({ name: this.name, queue: this.queue, workers, signal, sync: (key) => this.syncHandler(key), onError: this.#onError });
  }

  #enqueueAll(): void {
    for (const ds of this.#dsLister.list()) this.queue.add(keyOf(ds));
  }

  #deleteDaemonSet(obj: DaemonSet | DeletedFinalStateUnknown<DaemonSet>): void {
    const ds = unwrapTombstone(obj);
    this.expectations.deleteExpectations(keyOf(ds));
    this.queue.add(keyOf(ds));
  }

  #resolveControllerRef(namespace: string | undefined, ref: { kind: string; name: string; uid: string }): DaemonSet | undefined {
    if (ref.kind !== daemonSetKind.kind) return undefined;
    const ds = this.#dsLister.get(namespace, ref.name);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  }

  /** DaemonSets whose selector matches an orphan pod (getDaemonSetsForPod). */
  #podDaemonSets(pod: Pod): DaemonSet[] {
    return this.#dsLister.list(pod.metadata.namespace).filter((ds) => {
      try {
        const selector = labelSelectorFromMetav1(ds.spec.selector);
        return !selector.empty() && selector.matches(pod.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  #addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      this.#deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const ds = this.#resolveControllerRef(pod.metadata.namespace, ref);
      if (!ds) return;
      this.expectations.creationObserved(keyOf(ds));
      this.queue.add(keyOf(ds));
      return;
    }
    for (const ds of this.#podDaemonSets(pod)) this.queue.add(keyOf(ds));
  }

  #updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const ds = this.#resolveControllerRef(old.metadata.namespace, oldRef);
      if (ds) this.queue.add(keyOf(ds));
    }
    if (curRef) {
      const ds = this.#resolveControllerRef(cur.metadata.namespace, curRef);
      if (!ds) return;
      if (cur.metadata.deletionTimestamp) this.expectations.deletionObserved(keyOf(ds), keyOf(cur));
      this.queue.add(keyOf(ds));
      const minReadySeconds = ds.spec.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0) this.queue.addAfter(keyOf(ds), minReadySeconds * 1000 + 100);
      return;
    }
    if (!sameJson(old.metadata.labels, cur.metadata.labels) || oldRef) for (const ds of this.#podDaemonSets(cur)) this.queue.add(keyOf(ds));
  }

  #deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = unwrapTombstone(obj);
    const ref = getControllerOf(pod);
    if (!ref) return;
    const ds = this.#resolveControllerRef(pod.metadata.namespace, ref);
    if (!ds) return;
    this.expectations.deletionObserved(keyOf(ds), keyOf(pod));
    this.queue.add(keyOf(ds));
  }

  /** syncDaemonSet: converge one DaemonSet from the caches and rewrite its status. */
  async syncDaemonSet(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const shared = this.#dsLister.get(namespace, name);
    if (!shared) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const ds: DaemonSet = { ...structuredClone(shared), ...daemonSetKind };
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromMetav1(ds.spec.selector);
    } catch (err) {
      this.#onError(new Error(`${this.name}: DaemonSet ${key} has an invalid selector: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (selector.empty()) {
      void this.#recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    const nodes = this.#nodeLister.list();
    // Nothing more for a DaemonSet being deleted: the garbage collector takes its pods.
    if (ds.metadata.deletionTimestamp) return;
    const { cur, old } = await this.#constructHistory(ds, selector);
    const hash = cur.metadata.labels?.[controllerRevisionHashLabel] ?? templateHash(ds);
    if (!this.expectations.satisfiedExpectations(key)) {
      await this.#updateStatus(ds, nodes, selector, hash);
      return;
    }
    await this.#manage(ds, nodes, selector, hash);
    if (this.expectations.satisfiedExpectations(key) && ds.spec.updateStrategy?.type === 'RollingUpdate') {
      await this.#rollingUpdate(ds, nodes, selector, hash);
    }
    await this.#cleanupHistory(ds, selector, old);
    await this.#updateStatus(ds, nodes, selector, hash);
  }

  /** getDaemonPods + getNodesToDaemonPods: owned pods by the node they run on (or are pinned to). */
  async #nodesToDaemonPods(ds: DaemonSet, selector: LabelSelector): Promise<Map<string, Pod[]>> {
    const namespace = ds.metadata.namespace!;
    const candidates = this.#podLister.list(namespace, (p) => selector.matches(p.metadata.labels) || getControllerOf(p)?.uid === ds.metadata.uid);
    const manager = new ControllerRefManager<Pod>({
      client: this.#client,
      controller: ds,
      controllerKind: daemonSetKind,
      selector,
      dependents: podsResource,
      canAdopt: recheckDeletionTimestamp(this.#client, { ...daemonSetsResource, namespace, name: ds.metadata.name! }, ds.metadata.uid),
    });
    const pods = await manager.claim(candidates);
    const out = new Map<string, Pod[]>();
    for (const pod of pods) {
      // A finished pod already being deleted is gone as far as placement goes.
      const phase = pod.status?.phase;
      if (pod.metadata.deletionTimestamp && (phase === 'Succeeded' || phase === 'Failed')) continue;
      const node = targetNodeName(pod);
      if (node === undefined) continue;
      const list = out.get(node);
      if (list) list.push(pod);
      else out.set(node, [pod]);
    }
    return out;
  }

  /** manage + podsShouldBeOnNode: which nodes need a pod and which pods must go. */
  async #manage(ds: DaemonSet, nodes: readonly Node[], selector: LabelSelector, hash: string): Promise<void> {
    const nodeToPods = await this.#nodesToDaemonPods(ds, selector);
    const nodesNeedingPods: string[] = [];
    const podsToDelete: string[] = [];
    const surge = rollingUpdateLimits(ds, 1).maxSurge > 0;
    const now = Date.now();
    const known = new Set<string>();
    for (const node of nodes) {
      const nodeName = node.metadata.name ?? '';
      known.add(nodeName);
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      const pods = nodeToPods.get(nodeName) ?? [];
      if (shouldRun && pods.length === 0) {
        nodesNeedingPods.push(nodeName);
        continue;
      }
      if (shouldContinueRunning) {
        const running: Pod[] = [];
        for (const pod of pods) {
          if (pod.metadata.deletionTimestamp) continue;
          if (pod.status?.phase === 'Failed') {
            const backoffKey = `${ds.metadata.uid}/${nodeName}`;
            const backoff = this.#failedPodBackoff.get(backoffKey);
            if (backoff && backoff.until > now) {
              this.queue.addAfter(keyOf(ds), backoff.until - now);
              continue;
            }
            const delayMs = backoff ? Math.min(backoff.delayMs * 2, 15 * 60_000) : this.#failedPodBackoffMs;
            this.#failedPodBackoff.set(backoffKey, { until: now + delayMs, delayMs });
            void this.#recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`);
            podsToDelete.push(pod.metadata.name!);
            continue;
          }
          running.push(pod);
        }
        if (running.length <= 1) continue;
        running.sort(byCreationTimestamp);
        if (!surge) {
          // Keep the oldest.
          for (const p of running.slice(1)) podsToDelete.push(p.metadata.name!);
          continue;
        }
        // With surge, an old and a new pod may share a node while the new one becomes available.
        let oldestNew: Pod | undefined;
        let oldestOld: Pod | undefined;
        const generation = templateGeneration(ds);
        for (const p of running) {
          if (isPodUpdated(p, hash, generation)) {
            if (!oldestNew) {
              oldestNew = p;
              continue;
            }
          } else if (!oldestOld) {
            oldestOld = p;
            continue;
          }
          podsToDelete.push(p.metadata.name!);
        }
        if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, now))) {
          podsToDelete.push(oldestOld.metadata.name!);
        }
        continue;
      }
      for (const pod of pods) if (!pod.metadata.deletionTimestamp) podsToDelete.push(pod.metadata.name!);
    }
    // Pods pinned to nodes that no longer exist: kube leaves them to PodGC, which pier lacks.
    for (const [nodeName, pods] of nodeToPods) {
      if (known.has(nodeName)) continue;
      for (const pod of pods) if (!pod.metadata.deletionTimestamp) podsToDelete.push(pod.metadata.name!);
    }
    await this.#syncNodes(ds, podsToDelete, nodesNeedingPods, hash);
  }

  /**
   * syncNodes: deletes, then creates pinned pods in slow-start batches.
   * ControllerExpectations awaits either creations or deletions at a time, so
   * when both are due the creations wait for the next sync (which the
   * observed deletions trigger).
   */
  async #syncNodes(ds: DaemonSet, podsToDelete: readonly string[], nodesNeedingPods: readonly string[], hash: string): Promise<void> {
    const key = keyOf(ds);
    const namespace = ds.metadata.namespace!;
    if (podsToDelete.length > 0) {
      const victims = [...new Set(podsToDelete)].slice(0, burstReplicas);
      this.expectations.expectDeletions(key, victims.map((n) => `${namespace}/${n}`));
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (podName) => {
          try {
            await this.#podControl.deletePod(namespace, podName, ds);
          } catch (err) {
            this.expectations.deletionObserved(key, `${namespace}/${podName}`);
            if (!(err instanceof ApiError && err.code === 404)) errors.push(err);
          }
        }),
      );
      if (errors.length > 0) throw errors[0];
      return;
    }
    const targets = nodesNeedingPods.slice(0, burstReplicas);
    if (targets.length === 0) return;
    this.expectations.expectCreations(key, targets.length);
    const template = createPodTemplate(ds.spec.template, templateGeneration(ds), hash);
    const ref = newControllerRef(ds, daemonSetKind);
    let next = 0;
    const { successes, error } = await slowStartBatch(targets.length, 1, async () => {
      const nodeName = targets[next++]!;
      const podTemplate = structuredClone(template);
      podTemplate.spec ??= {};
      podTemplate.spec['affinity'] = replaceNodeNameAffinity(podTemplate.spec['affinity'] as never, nodeName);
      await this.#podControl.createPod(namespace, podTemplate, ds, ref);
    });
    const skipped = targets.length - successes;
    if (skipped > 0) this.expectations.lowerExpectations(key, skipped, 0);
    if (error !== undefined) throw error;
  }

  /** rollingUpdate: the old pods to replace now (and, with surge, the nodes to get a new pod beside the old). */
  async #rollingUpdate(ds: DaemonSet, nodes: readonly Node[], selector: LabelSelector, hash: string): Promise<void> {
    const nodeToPods = await this.#nodesToDaemonPods(ds, selector);
    let desired = 0;
    for (const node of nodes) {
      if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
      desired++;
      const name = node.metadata.name ?? '';
      if (!nodeToPods.has(name)) nodeToPods.set(name, []);
    }
    const generation = templateGeneration(ds);
    const plan = planRollingUpdate(ds, nodeToPods, (p) => isPodUpdated(p, hash, generation), rollingUpdateLimits(ds, desired));
    await this.#syncNodes(ds, plan.podsToDelete, plan.nodesNeedingPods, hash);
  }

  /** The ControllerRevisions this DaemonSet owns, after adoption and release. */
  async #histories(ds: DaemonSet, selector: LabelSelector): Promise<ControllerRevision[]> {
    const namespace = ds.metadata.namespace!;
    const candidates = this.#historyLister.list(namespace, (h) => selector.matches(h.metadata.labels) || getControllerOf(h)?.uid === ds.metadata.uid);
    const manager = new ControllerRefManager<ControllerRevision>({
      client: this.#client,
      controller: ds,
      controllerKind: daemonSetKind,
      selector,
      dependents: controllerRevisionsResource,
      canAdopt: recheckDeletionTimestamp(this.#client, { ...daemonSetsResource, namespace, name: ds.metadata.name! }, ds.metadata.uid),
    });
    return manager.claim(candidates);
  }

  /**
   * constructHistory: the revision of the current template (created, or
   * renumbered to be the newest) and the others. A name taken by a revision
   * with other data is a hash collision: collisionCount goes up and the sync
   * is retried with a new hash.
   */
  async #constructHistory(ds: DaemonSet, selector: LabelSelector): Promise<{ cur: ControllerRevision; old: ControllerRevision[] }> {
    const namespace = ds.metadata.namespace!;
    const histories = await this.#histories(ds, selector);
    const current = histories.filter((h) => revisionMatches(ds, h)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
    let old = histories.filter((h) => !current.includes(h));
    const nextRevision = maxRevision(old) + 1;
    let cur = current[0];
    if (!cur) {
      const hash = templateHash(ds);
      const revision = newControllerRevision(ds, newControllerRef(ds, daemonSetKind), hash, nextRevision);
      try {
        cur = await this.#client.create<ControllerRevision>({ ...controllerRevisionsResource, namespace }, revision);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
        const existing = await this.#client.get<ControllerRevision>({ ...controllerRevisionsResource, namespace, name: revision.metadata.name! });
        if (getControllerOf(existing)?.uid !== ds.metadata.uid || !revisionMatches(ds, existing)) {
          const collisionCount = (ds.status?.collisionCount ?? 0) + 1;
          await this.#client.update({ ...daemonSetsResource, namespace, name: ds.metadata.name!, subresource: 'status' }, { ...ds, status: { ...ds.status, collisionCount } });
          throw new Error(`found a hash collision for DaemonSet ${keyOf(ds)}: bumped collisionCount to ${collisionCount} to resolve it`);
        }
        cur = existing;
      }
    } else {
      // dedupCurHistories: one revision per template.
      for (const dup of current.slice(1)) {
        try {
          await this.#client.delete({ ...controllerRevisionsResource, namespace, name: dup.metadata.name! });
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
      if ((cur.revision ?? 0) < nextRevision) {
        // A rollback to an older template makes its revision the newest again.
        cur = await this.#client.patch<ControllerRevision>({ ...controllerRevisionsResource, namespace, name: cur.metadata.name! }, 'merge', { revision: nextRevision });
      }
    }
    old = old.filter((h) => h.metadata.uid !== cur.metadata.uid);
    return { cur, old };
  }

  async #cleanupHistory(ds: DaemonSet, selector: LabelSelector, old: readonly ControllerRevision[]): Promise<void> {
    const pods = [...(await this.#nodesToDaemonPods(ds, selector)).values()].flat();
    for (const h of revisionsToDelete(ds, old, pods)) {
      try {
        await this.#client.delete({ ...controllerRevisionsResource, namespace: ds.metadata.namespace!, name: h.metadata.name! });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
  }

  /** updateDaemonSetStatus: written through /status only when a count or the observed generation moved. */
  async #updateStatus(ds: DaemonSet, nodes: readonly Node[], selector: LabelSelector, hash: string): Promise<void> {
    const nodeToPods = await this.#nodesToDaemonPods(ds, selector);
    const status: DaemonSetStatus = calculateDaemonSetStatus(ds, nodes, nodeToPods, hash);
    if (!daemonSetStatusUnchanged(ds, status)) {
      await this.#client.update<DaemonSet>({ ...daemonSetsResource, namespace: ds.metadata.namespace!, name: ds.metadata.name!, subresource: 'status' }, { ...ds, status });
    }
    const minReadySeconds = ds.spec.minReadySeconds ?? 0;
    if (minReadySeconds > 0 && status.numberReady !== (status.numberAvailable ?? 0)) this.queue.addAfter(keyOf(ds), minReadySeconds * 1000);
  }
}
