/**
 * The Job controller (pkg/controller/job/job_controller.go): runs a Job's
 * pods to `completions` successes with at most `parallelism` at once, replaces
 * failed pods after an exponential backoff until `backoffLimit` failures,
 * enforces `activeDeadlineSeconds`, and honours `suspend`.
 *
 * Every pod carries the batch.kubernetes.io/job-tracking finalizer, so a
 * finished pod cannot vanish before it is counted: a finished pod's UID goes
 * to `status.uncountedTerminatedPods` first, then its finalizer is removed,
 * then it moves into the `succeeded`/`failed` counters. A finishing Job gets
 * SuccessCriteriaMet or FailureTarget first and Complete or Failed only once
 * no pod is left terminating or uncounted, as kube 1.31+ does.
 */
import { metaNow } from '../../client/api/meta-time.ts';
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
import { podsToDelete } from '../controller-utils/active-pods-ordering.ts';
import { ControllerExpectations } from '../controller-utils/controller-expectations.ts';
import { ControllerRefManager, getControllerOf, newControllerRef, recheckDeletionTimestamp } from '../controller-utils/controller-ref-manager.ts';
import { PodControl, podFromTemplate } from '../controller-utils/pod-control.ts';
import { isPodActive, isPodReady } from '../controller-utils/pod-readiness.ts';
import { runQueueWorkers } from '../controller-utils/queue-workers.ts';
import { slowStartBatch } from '../controller-utils/slow-start-batch.ts';
import { podsResource, type Pod, type PodTemplateSpec } from '../controller-utils/workload-objects.ts';
import { completionIndexOf, firstPendingIndexes, formatIndexes, generateNameWithIndex, parseIndexes } from './completion-indexes.ts';
import { FinalizerExpectations } from './finalizer-expectations.ts';
import {
  ensureJobConditionStatus,
  findJobCondition,
  isJobFinished,
  messageBackoffLimitExceeded,
  messageCompletionsReached,
  messageDeadlineExceeded,
  newJobCondition,
  reasonBackoffLimitExceeded,
  reasonCompletionsReached,
  reasonDeadlineExceeded,
} from './job-conditions.ts';
import { jobPodTemplate, templateForIndex } from './job-pod-template.ts';
import { jobControllerName, jobKind, jobsResource, jobTrackingFinalizer, type Job, type JobCondition, type JobStatus } from './job-types.ts';
import { defaultPodFailureBackoffMs, maxPodFailureBackoffMs, PodFailureBackoffStore, remainingBackoffMs, type BackoffRecord } from './pod-failure-backoff.ts';

/** MaxPodCreateDeletePerSync. */
export const maxPodCreateDeletePerSync = 500;
/** MaxUncountedPods: keeps status.uncountedTerminatedPods around 20 KB. */
export const maxUncountedPods = 500;

export interface JobControllerOptions {
  /** First delay before replacing a failed pod; doubles per failure. Default 10 s (DefaultJobPodFailureBackOff). */
  podFailureBackoffMs?: number;
  /** Cap of that delay. Default 10 min (MaxJobPodFailureBackOff). */
  maxPodFailureBackoffMs?: number;
  /** Pod events are batched per Job over this period (syncJobBatchPeriod). Default 1 s. */
  syncBatchPeriodMs?: number;
}

function keyOf(obj: { metadata: { namespace?: string; name?: string } }): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata.finalizers?.includes(jobTrackingFinalizer) ?? false;
}

function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** controller.IsPodTerminating: being deleted and not yet finished. */
function isPodTerminating(pod: Pod): boolean {
  return !isPodTerminal(pod) && Boolean(pod.metadata.deletionTimestamp);
}

/** onlyReplaceFailedPods: with podReplacementPolicy Failed (or a podFailurePolicy) a terminating pod is not yet failed. */
function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec.podReplacementPolicy === 'Failed' || job.spec.podFailurePolicy != null;
}

/** isPodFailed: Failed, or (unless only failed pods are replaced) deleted before succeeding. */
function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return Boolean(pod.metadata.deletionTimestamp) && pod.status?.phase !== 'Succeeded';
}

function isIndexed(job: Job): boolean {
  return job.spec.completionMode === 'Indexed';
}

function jobSuspended(job: Job): boolean {
  return job.spec.suspend === true;
}

/** pastBackoffLimitOnFailure: with restartPolicy OnFailure, container restarts count against the limit. */
function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec.template.spec?.['restartPolicy'] !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** What one sync learned about a Job (syncJobCtx). */
interface SyncJobContext {
  job: Job;
  key: string;
  pods: Pod[];
  activePods: Pod[];
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  expectedRmFinalizers: ReadonlySet<string>;
  finishedCondition: JobCondition | undefined;
  newBackoffRecord: BackoffRecord;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
}

export class JobController implements Controller {
  readonly name = 'job-controller';
  readonly queue = new RateLimitingQueue<string>();
  /** Pods whose Job is gone or finished but which still carry the tracking finalizer. */
  readonly orphanQueue = new RateLimitingQueue<string>();
  readonly expectations = new ControllerExpectations();
  readonly finalizerExpectations = new FinalizerExpectations();
  readonly backoffStore = new PodFailureBackoffStore();
  /** The sync run for each key; replaceable so tests can observe or stall it (STYLE.md §7). */
  syncHandler: (key: string) => Promise<void>;
  readonly #client: RestClient;
  readonly #recorder: EventRecorder;
  readonly #onError: (err: unknown) => void;
  readonly #podControl: PodControl;
  readonly #jobInformer: SharedInformer<Job>;
  readonly #podInformer: SharedInformer<Pod>;
  readonly #jobLister: Lister<Job>;
  readonly #podLister: Lister<Pod>;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #batchPeriodMs: number;

  constructor(ctx: ControllerContext, options: JobControllerOptions = {}) {
    this.#client = ctx.client;
    this.#onError = ctx.onError;
    this.#recorder = ctx.recorder(this.name);
    this.#podControl = new PodControl(ctx.client, this.#recorder);
    this.#backoffBaseMs = options.podFailureBackoffMs ?? defaultPodFailureBackoffMs;
    this.#backoffMaxMs = options.maxPodFailureBackoffMs ?? maxPodFailureBackoffMs;
    this.#batchPeriodMs = options.syncBatchPeriodMs ?? 1000;
    this.#jobInformer = ctx.informers.informerFor<Job>(jobsResource);
    this.#podInformer = ctx.informers.informerFor<Pod>(podsResource);
    this.#jobLister = this.#jobInformer.lister;
    this.#podLister = this.#podInformer.lister;
    this.syncHandler = (key) => this.syncJob(key);
    this.#jobInformer.addEventHandler({
      onAdd: (job) => this.#enqueueJob(job),
      onUpdate: (old, cur) => {
        if (old.metadata.uid !== cur.metadata.uid) this.#deleteJob(old);
        this.#enqueueJob(cur);
      },
      onDelete: (obj) => this.#deleteJob(obj),
    });
    this.#podInformer.addEventHandler({
      onAdd: (pod) => this.#addPod(pod),
      onUpdate: (old, cur) => this.#updatePod(old, cur),
      onDelete: (obj) => this.#deletePod(unwrapTombstone(obj), true),
    });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const synced = await Promise.all([this.#jobInformer.waitForCacheSync(signal), this.#podInformer.waitForCacheSync(signal)]);
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      this.orphanQueue.shutDown();
      return;
    }
    await Promise.all([
      runQueueWorkers({ name: this.name, queue: this.queue, workers, signal, sync: (key) => this.syncHandler(key), onError: this.#onError }),
      runQueueWorkers({ name: `${this.name} orphan pods`, queue: this.orphanQueue, workers: 1, signal, sync: (key) => this.#syncOrphanPod(key), onError: this.#onError }),
    ]);
  }

  #managedHere(job: Job): boolean {
    return job.spec.managedBy === undefined || job.spec.managedBy === jobControllerName;
  }

  #enqueueJob(job: Job): void {
    if (!this.#managedHere(job)) return;
    this.queue.add(keyOf(job));
  }

  #enqueueBatched(job: Job): void {
    if (!this.#managedHere(job)) return;
    this.queue.addAfter(keyOf(job), this.#batchPeriodMs);
  }

  #deleteJob(obj: Job | DeletedFinalStateUnknown<Job>): void {
    const job = unwrapTombstone(obj);
    const key = keyOf(job);
    this.queue.add(key);
    // Its pods keep their finalizers until someone removes them: the Job is no longer there to count them.
    for (const pod of this.#podLister.list(job.metadata.namespace)) {
      if (hasTrackingFinalizer(pod) && getControllerOf(pod)?.uid === job.metadata.uid) this.orphanQueue.add(keyOf(pod));
    }
  }

  /** The Job a controllerRef names, if it is still that very object. */
  #resolveControllerRef(namespace: string | undefined, ref: { kind: string; apiVersion: string; name: string; uid: string }): Job | undefined {
    if (ref.kind !== jobKind.kind || ref.apiVersion !== jobKind.apiVersion) return undefined;
    const job = this.#jobLister.get(namespace, ref.name);
    return job && job.metadata.uid === ref.uid ? job : undefined;
  }

  /** Jobs whose selector matches an orphan pod (getPodJobs). */
  #podJobs(pod: Pod): Job[] {
    return this.#jobLister.list(pod.metadata.namespace).filter((job) => {
      try {
        const selector = labelSelectorFromMetav1(job.spec.selector);
        return !selector.empty() && selector.matches(pod.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  /** A pod with the tracking finalizer whose Job is gone or finished goes to the orphan queue. */
  #maybeOrphan(pod: Pod): void {
    if (!hasTrackingFinalizer(pod)) return;
    const ref = getControllerOf(pod);
    const job = ref ? this.#resolveControllerRef(pod.metadata.namespace, ref) : undefined;
    if (!job || isJobFinished(job)) this.orphanQueue.add(keyOf(pod));
  }

  #addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      this.#deletePod(pod, false);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const job = this.#resolveControllerRef(pod.metadata.namespace, ref);
      if (!job) {
        this.#maybeOrphan(pod);
        return;
      }
      this.expectations.creationObserved(keyOf(job));
      this.#enqueueBatched(job);
      return;
    }
    this.#maybeOrphan(pod);
    for (const job of this.#podJobs(pod)) this.#enqueueBatched(job);
  }

  #updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (cur.metadata.deletionTimestamp) {
      // A pod being deleted is as good as gone for the creation count (kube's updatePod → deletePod(cur, false)).
      this.#deletePod(cur, false);
      return;
    }
    const finalizerRemoved = !hasTrackingFinalizer(cur);
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const job = this.#resolveControllerRef(old.metadata.namespace, oldRef);
      if (job) {
        if (finalizerRemoved) this.finalizerExpectations.finalizerRemovalObserved(keyOf(job), cur.metadata.uid ?? '');
        this.#enqueueBatched(job);
      }
    }
    if (curRef) {
      const job = this.#resolveControllerRef(cur.metadata.namespace, curRef);
      if (!job) {
        this.#maybeOrphan(cur);
        return;
      }
      if (finalizerRemoved) this.finalizerExpectations.finalizerRemovalObserved(keyOf(job), cur.metadata.uid ?? '');
      // A pod failing for the first time waits for the batch period; other changes are counted at once.
      const newlyFailed = cur.status?.phase === 'Failed' && old.status?.phase !== 'Failed';
      if (newlyFailed || !finalizerRemoved) this.#enqueueBatched(job);
      else this.#enqueueJob(job);
      if (isJobFinished(job)) this.#maybeOrphan(cur);
      return;
    }
    this.#maybeOrphan(cur);
    const labelChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (labelChanged || oldRef) for (const job of this.#podJobs(cur)) this.#enqueueBatched(job);
  }

  /** `final`: the pod object is gone (not merely marked for deletion). */
  #deletePod(pod: Pod, final: boolean): void {
    const ref = getControllerOf(pod);
    if (!ref) {
      if (!final) this.#maybeOrphan(pod);
      return;
    }
    const job = this.#resolveControllerRef(pod.metadata.namespace, ref);
    if (!job) {
      if (!final) this.#maybeOrphan(pod);
      return;
    }
    const key = keyOf(job);
    this.expectations.deletionObserved(key, keyOf(pod));
    if (final || !hasTrackingFinalizer(pod)) this.finalizerExpectations.finalizerRemovalObserved(key, pod.metadata.uid ?? '');
    if (!final && isJobFinished(job)) this.#maybeOrphan(pod);
    this.#enqueueBatched(job);
  }

  /** syncOrphanPod: removes the finalizer of a pod no unfinished Job will count. */
  async #syncOrphanPod(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const pod = this.#podLister.get(namespace, name);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = getControllerOf(pod);
    if (ref) {
      if (ref.kind !== jobKind.kind || ref.apiVersion !== jobKind.apiVersion) return;
      const job = this.#resolveControllerRef(namespace, ref);
      if (job && (!this.#managedHere(job) || !isJobFinished(job))) return;
    }
    await this.#removeFinalizer(pod);
  }

  async #removeFinalizer(pod: Pod): Promise<void> {
    try {
      await this.#client.patch({ ...podsResource, namespace: pod.metadata.namespace!, name: pod.metadata.name! }, 'strategic', {
        metadata: { [`$deleteFromPrimitiveList/finalizers`]: [jobTrackingFinalizer] },
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  /** syncJob: converge one Job from the caches and rewrite its status. */
  async syncJob(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const shared = this.#jobLister.get(namespace, name);
    if (!shared) {
      this.expectations.deleteExpectations(key);
      this.finalizerExpectations.deleteExpectations(key);
      this.backoffStore.remove(key);
      return;
    }
    if (!this.#managedHere(shared)) return;
    if (isJobFinished(shared)) {
      this.backoffStore.remove(key);
      return;
    }
    const job: Job = { ...structuredClone(shared), ...jobKind };
    job.status ??= {};
    const status = job.status;
    const completionMode = job.spec.completionMode ?? 'NonIndexed';
    if (completionMode !== 'NonIndexed' && completionMode !== 'Indexed') {
      void this.#recorder.event(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const uncounted = status.uncountedTerminatedPods ?? {};
    // Expectations first: a pod arriving after the listing below only delays the next sync.
    const satisfiedExpectations = this.expectations.satisfiedExpectations(key);
    const pods = await this.#getPodsForJob(job);
    const activePods = pods.filter(isPodActive);
    const expectedRmFinalizers = this.finalizerExpectations.expectedUIDs(key);
    const ctx: SyncJobContext = {
      job,
      key,
      pods,
      activePods,
      ready: activePods.filter(isPodReady).length,
      terminating: pods.filter(isPodTerminating).length,
      succeeded: 0,
      failed: 0,
      uncountedSucceeded: new Set(uncounted.succeeded ?? []),
      uncountedFailed: new Set(uncounted.failed ?? []),
      expectedRmFinalizers,
      finishedCondition: undefined,
      newBackoffRecord: { key, failuresAfterLastSuccess: 0, lastFailureTime: undefined },
      prevSucceededIndexes: new Set(),
      succeededIndexes: new Set(),
    };
    let active = activePods.length;
    const { newSucceeded, newFailed } = this.#newFinishedPods(ctx);
    ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncountedSucceeded.size;
    ctx.failed = (status.failed ?? 0) + newFailed.length + ctx.uncountedFailed.size;
    const now = Date.now();
    let startTimeSet = false;
    if (!status.startTime && !jobSuspended(job)) {
      status.startTime = metaNow(new Date(now));
      startTimeSet = true;
    }
    ctx.newBackoffRecord = this.backoffStore.newRecord(key, newSucceeded, newFailed, now);

    const exceedsBackoffLimit = ctx.failed > (job.spec.backoffLimit ?? 6);
    const successCriteriaMet = findJobCondition(status.conditions, 'SuccessCriteriaMet');
    if (successCriteriaMet?.status === 'True') ctx.finishedCondition = successCriteriaMet;
    if (!ctx.finishedCondition) {
      const failureTarget = findJobCondition(status.conditions, 'FailureTarget');
      if (failureTarget?.status === 'True') ctx.finishedCondition = newJobCondition('Failed', 'True', failureTarget.reason ?? '', failureTarget.message ?? '', now);
    }
    if (!ctx.finishedCondition) {
      if (exceedsBackoffLimit || pastBackoffLimitOnFailure(job, pods)) {
        ctx.finishedCondition = newJobCondition('FailureTarget', 'True', reasonBackoffLimitExceeded, messageBackoffLimitExceeded, now);
      } else if (this.#pastActiveDeadline(job, now)) {
        ctx.finishedCondition = newJobCondition('FailureTarget', 'True', reasonDeadlineExceeded, messageDeadlineExceeded, now);
      } else if (job.spec.activeDeadlineSeconds != null && !jobSuspended(job) && status.startTime) {
        // Look again when the deadline passes.
        const remaining = job.spec.activeDeadlineSeconds * 1000 - (now - Date.parse(status.startTime));
        this.queue.addAfter(key, Math.max(remaining, 0) + 10);
      }
    }
    if (isIndexed(job)) {
      const completions = job.spec.completions ?? 0;
      ctx.prevSucceededIndexes = parseIndexes(status.completedIndexes, completions);
      ctx.succeededIndexes = new Set(ctx.prevSucceededIndexes);
      for (const p of pods) {
        const ix = completionIndexOf(p);
        if (p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && ix >= 0 && ix < completions) ctx.succeededIndexes.add(ix);
      }
      ctx.succeeded = ctx.succeededIndexes.size;
    }

    let suspendCondChanged = false;
    let manageJobErr: unknown;
    if (ctx.finishedCondition) {
      // A failed Job's pods are deleted with their finalizers kept: they are counted below, then released.
      const { deleted, deletedReady, error } = await this.#deleteActivePods(job, ctx.activePods);
      if (deleted !== active || !satisfiedExpectations) ctx.finishedCondition = undefined;
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      manageJobErr = error;
    } else {
      let manageJobCalled = false;
      if (satisfiedExpectations && !job.metadata.deletionTimestamp) {
        try {
          active = await this.#manageJob(ctx);
        } catch (err) {
          manageJobErr = err;
          active = ctx.activePods.length;
        }
        manageJobCalled = true;
      }
      const completions = job.spec.completions;
      const complete = completions == null ? ctx.succeeded > 0 && active === 0 : ctx.succeeded >= completions && active === 0;
      if (complete) {
        ctx.finishedCondition = newJobCondition('SuccessCriteriaMet', 'True', reasonCompletionsReached, messageCompletionsReached, now);
      } else if (manageJobCalled) {
        status.conditions ??= [];
        if (jobSuspended(job)) {
          if (ensureJobConditionStatus(status.conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
            suspendCondChanged = true;
            void this.#recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else if (ensureJobConditionStatus(status.conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
          suspendCondChanged = true;
          void this.#recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
          // activeDeadlineSeconds counts continuous activity: resuming restarts the clock.
          status.startTime = metaNow(new Date(now));
        }
        if (status.conditions.length === 0) delete status.conditions;
      }
    }

    const needsStatusUpdate =
      startTimeSet || suspendCondChanged || active !== (status.active ?? 0) || ctx.ready !== status.ready || ctx.terminating !== status.terminating;
    status.active = active;
    status.ready = ctx.ready;
    status.terminating = ctx.terminating;
    await this.#trackJobStatusAndRemoveFinalizers(ctx, needsStatusUpdate);
    if (manageJobErr !== undefined) throw manageJobErr;
  }

  #pastActiveDeadline(job: Job, now: number): boolean {
    const deadline = job.spec.activeDeadlineSeconds;
    if (deadline == null || !job.status?.startTime || jobSuspended(job)) return false;
    return now - Date.parse(job.status.startTime) >= deadline * 1000;
  }

  /** getPodsForJob: the pods this Job owns after adoption and release, terminating ones included. */
  async #getPodsForJob(job: Job): Promise<Pod[]> {
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromMetav1(job.spec.selector);
    } catch (err) {
      this.#onError(new Error(`${this.name}: Job ${keyOf(job)} has an invalid selector: ${err instanceof Error ? err.message : String(err)}`));
      return [];
    }
    const namespace = job.metadata.namespace!;
    const candidates = this.#podLister.list(namespace, (p) => selector.matches(p.metadata.labels) || getControllerOf(p)?.uid === job.metadata.uid);
    const manager = new ControllerRefManager<Pod>({
      client: this.#client,
      controller: job,
      controllerKind: jobKind,
      selector,
      dependents: podsResource,
      canAdopt: recheckDeletionTimestamp(this.#client, { ...jobsResource, namespace, name: job.metadata.name! }, job.metadata.uid),
    });
    return manager.claim(candidates);
  }

  /** getNewFinishedPods: finished pods still holding the finalizer and not yet in uncountedTerminatedPods. */
  #newFinishedPods(ctx: SyncJobContext): { newSucceeded: Pod[]; newFailed: Pod[] } {
    const completions = ctx.job.spec.completions ?? 0;
    const valid = (p: Pod, uncounted: Set<string>) => {
      const uid = p.metadata.uid ?? '';
      if (!hasTrackingFinalizer(p) || uncounted.has(uid) || ctx.expectedRmFinalizers.has(uid)) return false;
      if (!isIndexed(ctx.job)) return true;
      const ix = completionIndexOf(p);
      return ix >= 0 && ix < completions;
    };
    return {
      newSucceeded: ctx.pods.filter((p) => valid(p, ctx.uncountedSucceeded) && p.status?.phase === 'Succeeded'),
      newFailed: ctx.pods.filter((p) => valid(p, ctx.uncountedFailed) && isPodFailed(p, ctx.job)),
    };
  }

  /** manageJob: deletes surplus pods or creates missing ones; returns the active count after acting. */
  async #manageJob(ctx: SyncJobContext): Promise<number> {
    const { job, key } = ctx;
    let active = ctx.activePods.length;
    const parallelism = job.spec.parallelism ?? 1;
    if (jobSuspended(job)) {
      const { removed, removedReady, error } = await this.#deleteJobPods(job, key, ctx.activePods);
      ctx.terminating += removed;
      ctx.ready -= removedReady;
      if (error !== undefined) throw error;
      return active - removed;
    }
    let wantActive: number;
    const completions = job.spec.completions;
    if (completions == null) {
      // Work-queue Jobs: once one pod succeeded, the others finish on their own.
      wantActive = ctx.succeeded > 0 ? active : parallelism;
    } else {
      wantActive = Math.max(0, Math.min(completions - ctx.succeeded, parallelism));
    }
    const victims = this.#activePodsForRemoval(ctx, Math.max(0, active - wantActive));
    if (victims.length > 0) {
      const batch = victims.slice(0, maxPodCreateDeletePerSync);
      const { removed, removedReady, error } = await this.#deleteJobPods(job, key, batch);
      ctx.terminating += removed;
      ctx.ready -= removedReady;
      if (error !== undefined) throw error;
      return active - removed;
    }
    const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return active;
    const remaining = remainingBackoffMs(ctx.newBackoffRecord, this.#backoffBaseMs, this.#backoffMaxMs);
    if (remaining > 0) {
      this.queue.addAfter(key, remaining);
      return active;
    }
    diff = Math.min(diff, maxPodCreateDeletePerSync);
    let indexes: number[] | undefined;
    if (isIndexed(job)) {
      indexes = firstPendingIndexes(ctx.succeededIndexes, ctx.activePods, diff, completions ?? 0);
      diff = indexes.length;
      if (diff === 0) return active;
    }
    this.expectations.expectCreations(key, diff);
    const template = jobPodTemplate(job);
    const ref = newControllerRef(job, jobKind);
    let next = 0;
    const { successes, error } = await slowStartBatch(diff, 1, async () => {
      const i = next++;
      const ix = indexes?.[i];
      if (ix === undefined) await this.#createPod(job, template, ref);
      else await this.#createPod(job, templateForIndex(template, job, ix), ref, generateNameWithIndex(job.metadata.name!, ix));
    });
    const skipped = diff - successes;
    if (skipped > 0) this.expectations.lowerExpectations(key, skipped, 0);
    active += successes;
    if (error !== undefined) {
      // A namespace being deleted refuses pods; that is not this Job's failure.
      if (error instanceof ApiError && JSON.stringify(error.status?.details ?? {}).includes('NamespaceTerminating')) return active;
      throw error;
    }
    return active;
  }

  /** CreatePodsWithGenerateName, with RealPodControl's events. */
  async #createPod(job: Job, template: PodTemplateSpec, ref: ReturnType<typeof newControllerRef>, generateName?: string): Promise<void> {
    if (generateName === undefined) {
      await this.#podControl.createPod(job.metadata.namespace!, template, job, ref);
      return;
    }
    const pod = podFromTemplate(template, job, ref);
    pod.metadata.generateName = generateName;
    let created: Pod;
    try {
      created = await this.#client.create<Pod>({ ...podsResource, namespace: job.metadata.namespace! }, pod);
    } catch (err) {
      void this.#recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    void this.#recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  }

  /**
   * activePodsForRemoval: for Indexed Jobs, pods with an out-of-range,
   * already-succeeded or duplicated index first; then the cheapest pods to lose.
   */
  #activePodsForRemoval(ctx: SyncJobContext, rmAtLeast: number): Pod[] {
    const { job, activePods } = ctx;
    if (!isIndexed(job)) return rmAtLeast > 0 ? podsToDelete(activePods, activePods, rmAtLeast) : [];
    const completions = job.spec.completions ?? 0;
    const seen = new Set<number>();
    const rm: Pod[] = [];
    const keep: Pod[] = [];
    const sorted = [...activePods].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
    for (const p of sorted) {
      const ix = completionIndexOf(p);
      if (ix < 0 || ix >= completions || ctx.succeededIndexes.has(ix) || seen.has(ix)) rm.push(p);
      else {
        seen.add(ix);
        keep.push(p);
      }
    }
    if (rm.length < rmAtLeast) rm.push(...podsToDelete(keep, activePods, rmAtLeast - rm.length));
    return rm;
  }

  /** deleteJobPods: removes the finalizer first (a pod this controller deletes is not a failure), then deletes. */
  async #deleteJobPods(job: Job, key: string, pods: readonly Pod[]): Promise<{ removed: number; removedReady: number; error?: unknown }> {
    if (pods.length === 0) return { removed: 0, removedReady: 0 };
    this.expectations.expectDeletions(key, pods.map(keyOf));
    let removed = 0;
    let removedReady = 0;
    const errors: unknown[] = [];
    await Promise.all(
      pods.map(async (pod) => {
        try {
          if (hasTrackingFinalizer(pod)) await this.#removeFinalizer(pod);
          await this.#podControl.deletePod(job.metadata.namespace!, pod.metadata.name!, job);
        } catch (err) {
          // The delete will never be observed.
          this.expectations.deletionObserved(key, keyOf(pod));
          if (!(err instanceof ApiError && err.code === 404)) {
            errors.push(err);
            return;
          }
        }
        removed++;
        if (isPodReady(pod)) removedReady++;
      }),
    );
    return errors.length > 0 ? { removed, removedReady, error: errors[0] } : { removed, removedReady };
  }

  /** deleteActivePods: deletes keeping finalizers, so trackJobStatusAndRemoveFinalizers counts them. */
  async #deleteActivePods(job: Job, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    const errors: unknown[] = [];
    await Promise.all(
      pods.map(async (pod) => {
        try {
          await this.#podControl.deletePod(job.metadata.namespace!, pod.metadata.name!, job);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) {
            errors.push(err);
            return;
          }
        }
        deleted++;
        if (isPodReady(pod)) deletedReady++;
      }),
    );
    return errors.length > 0 ? { deleted, deletedReady, error: errors[0] } : { deleted, deletedReady };
  }

  /**
   * trackJobStatusAndRemoveFinalizers: (1) finished pods' UIDs into
   * uncountedTerminatedPods, flushed; (2) their finalizers removed; (3) the
   * UIDs moved into the counters; (4) the terminal condition once nothing is
   * left uncounted or terminating.
   */
  async #trackJobStatusAndRemoveFinalizers(ctx: SyncJobContext, needsFlushIn: boolean): Promise<void> {
    let needsFlush = needsFlushIn;
    let job = ctx.job;
    const indexed = isIndexed(job);
    const completions = job.spec.completions ?? 0;
    const status = job.status!;
    const uncounted = { succeeded: [...ctx.uncountedSucceeded], failed: [...ctx.uncountedFailed] };
    const uidsWithFinalizer = new Set<string>();
    for (const p of ctx.pods) if (hasTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(p.metadata.uid ?? '')) uidsWithFinalizer.add(p.metadata.uid ?? '');
    if (cleanUncounted(status, uncounted, uidsWithFinalizer)) needsFlush = true;
    const podsToRemoveFinalizer: Pod[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMaxUncounted = false;
    const pods = indexed ? [...ctx.pods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b)) : ctx.pods;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (!hasTrackingFinalizer(pod) || ctx.expectedRmFinalizers.has(uid)) continue;
      const failed = isPodFailed(pod, job);
      const canRemove = Boolean(job.metadata.deletionTimestamp) || ctx.finishedCondition !== undefined || pod.status?.phase === 'Succeeded' || failed;
      if (!canRemove) continue;
      podsToRemoveFinalizer.push(pod);
      if (pod.status?.phase === 'Succeeded' && !ctx.uncountedFailed.has(uid)) {
        if (indexed) {
          const ix = completionIndexOf(pod);
          if (ix >= 0 && ix < completions && !ctx.prevSucceededIndexes.has(ix)) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!ctx.uncountedSucceeded.has(uid)) {
          uncounted.succeeded.push(uid);
          needsFlush = true;
        }
      } else if (failed || (ctx.finishedCondition !== undefined && ctx.finishedCondition.type !== 'SuccessCriteriaMet')) {
        // Once the Job has failed, every pod that did not succeed counts as failed.
        const ix = completionIndexOf(pod);
        if (!ctx.uncountedFailed.has(uid) && (!indexed || (ix >= 0 && ix < completions))) {
          uncounted.failed.push(uid);
          needsFlush = true;
        }
      }
      if (newSucceededIndexes.length + uncounted.succeeded.length + uncounted.failed.length >= maxUncountedPods) {
        reachedMaxUncounted = true;
        break;
      }
    }
    if (indexed) {
      for (const ix of newSucceededIndexes) ctx.succeededIndexes.add(ix);
      const text = formatIndexes(ctx.succeededIndexes);
      if (text !== (status.completedIndexes ?? '')) needsFlush = true;
      status.succeeded = ctx.succeededIndexes.size;
      status.completedIndexes = text;
    }
    setUncounted(status, uncounted);
    let finished = ctx.finishedCondition;
    if (finished?.type === 'FailureTarget') {
      status.conditions = [...(status.conditions ?? []), finished];
      needsFlush = true;
      finished = newJobCondition('Failed', 'True', finished.reason ?? '', finished.message ?? '');
    }
    if (finished?.type === 'SuccessCriteriaMet') {
      if (findJobCondition(status.conditions, 'SuccessCriteriaMet')?.status !== 'True') {
        status.conditions = [...(status.conditions ?? []), finished];
        needsFlush = true;
      }
      finished = newJobCondition('Complete', 'True', finished.reason ?? '', finished.message ?? '');
    }

    // flushUncountedAndRemoveFinalizers.
    if (needsFlush) {
      job = await this.#updateStatus(job);
      this.backoffStore.update(ctx.newBackoffRecord);
      needsFlush = false;
    }
    const jobStatus = job.status!;
    let rmError: unknown;
    if (podsToRemoveFinalizer.length > 0) {
      this.finalizerExpectations.expectFinalizersRemoved(ctx.key, podsToRemoveFinalizer.map((p) => p.metadata.uid ?? ''));
      const errors: unknown[] = [];
      await Promise.all(
        podsToRemoveFinalizer.map(async (pod) => {
          try {
            await this.#removeFinalizer(pod);
            uidsWithFinalizer.delete(pod.metadata.uid ?? '');
          } catch (err) {
            this.finalizerExpectations.finalizerRemovalObserved(ctx.key, pod.metadata.uid ?? '');
            errors.push(err);
          }
        }),
      );
      rmError = errors[0];
    }
    const current = { succeeded: [...(jobStatus.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(jobStatus.uncountedTerminatedPods?.failed ?? [])] };
    if (cleanUncounted(jobStatus, current, uidsWithFinalizer)) needsFlush = true;
    setUncounted(jobStatus, current);
    if (rmError !== undefined) {
      if (needsFlush) await this.#updateStatus(job);
      throw rmError;
    }
    // enactJobFinished.
    let jobFinished = false;
    if (finished && !reachedMaxUncounted && current.succeeded.length + current.failed.length === 0 && ctx.terminating === 0) {
      jobStatus.conditions ??= [];
      ensureJobConditionStatus(jobStatus.conditions, finished.type, finished.status, finished.reason ?? '', finished.message ?? '');
      if (finished.type === 'Complete') jobStatus.completionTime = findJobCondition(jobStatus.conditions, 'Complete')?.lastTransitionTime ?? metaNow();
      jobFinished = true;
      needsFlush = true;
    }
    if (needsFlush) {
      const updated = await this.#updateStatus(job);
      if (jobFinished) this.#recordJobFinished(updated, finished!);
    }
  }

  #recordJobFinished(job: Job, finished: JobCondition): void {
    if (finished.type === 'Complete') {
      const completions = job.spec.completions;
      if (completions != null && (job.status?.succeeded ?? 0) > completions) {
        void this.#recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      void this.#recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      void this.#recorder.event(job, 'Warning', finished.reason ?? '', finished.message ?? '');
    }
  }

  /** PUT /status with the cached resourceVersion: a stale view loses with 409 and the sync is retried. */
  async #updateStatus(job: Job): Promise<Job> {
    const body: Job = { ...job, ...jobKind, status: serializeStatus(job.status ?? {}) };
    const updated = await this.#client.update<Job>({ ...jobsResource, namespace: job.metadata.namespace!, name: job.metadata.name!, subresource: 'status' }, body);
    // Keep working on what was written, with the new resourceVersion.
    return { ...updated, ...jobKind, status: { ...(updated.status ?? {}), ...structuredClone(job.status ?? {}) } };
  }
}

/** cleanUncountedPodsWithoutFinalizers: UIDs whose finalizer is gone move into the counters. */
function cleanUncounted(status: JobStatus, uncounted: { succeeded: string[]; failed: string[] }, uidsWithFinalizer: ReadonlySet<string>): boolean {
  let updated = false;
  const s = uncounted.succeeded.filter((u) => uidsWithFinalizer.has(u));
  if (s.length !== uncounted.succeeded.length) {
    status.succeeded = (status.succeeded ?? 0) + uncounted.succeeded.length - s.length;
    uncounted.succeeded = s;
    updated = true;
  }
  const f = uncounted.failed.filter((u) => uidsWithFinalizer.has(u));
  if (f.length !== uncounted.failed.length) {
    status.failed = (status.failed ?? 0) + uncounted.failed.length - f.length;
    uncounted.failed = f;
    updated = true;
  }
  if (updated) setUncounted(status, uncounted);
  return updated;
}

function setUncounted(status: JobStatus, uncounted: { succeeded: string[]; failed: string[] }): void {
  status.uncountedTerminatedPods = {
    ...(uncounted.succeeded.length > 0 ? { succeeded: [...uncounted.succeeded] } : {}),
    ...(uncounted.failed.length > 0 ? { failed: [...uncounted.failed] } : {}),
  };
}

/** The status as kube serializes it: zero counters omitted (omitempty), `ready` and `terminating` always present. */
function serializeStatus(status: JobStatus): JobStatus {
  const out: JobStatus = structuredClone(status);
  for (const field of ['active', 'succeeded', 'failed'] as const) if (!out[field]) delete out[field];
  if (!out.completedIndexes) delete out.completedIndexes;
  if (out.conditions?.length === 0) delete out.conditions;
  out.ready ??= 0;
  out.terminating ??= 0;
  out.uncountedTerminatedPods ??= {};
  return out;
}
