/**
 * The scheduler process's loop (as kube-scheduler's Scheduler.scheduleOne):
 * informers feed pending pods into the queue and assigned pods and nodes into the
 * cache; each cycle pops one pod, runs the profile over the cache's snapshot,
 * assumes the chosen node, and binds through the API asynchronously, so the next
 * cycle starts while the bind is in flight. A pod that fits nowhere gets the
 * PodScheduled=False/Unschedulable condition and a FailedScheduling event, then
 * waits in the queue for a cluster event that could help.
 */
import { metaNow } from '../client/api/meta-time.ts';
import { unwrapTombstone } from '../client/cache/deleted-final-state-unknown.ts';
import { SharedInformer } from '../client/cache/shared-informer.ts';
import type { RestClient } from '../client/rest/rest-client.ts';
import type { ActionType } from './framework/interface.ts';
import type { Node, Pod } from './framework/types.ts';
import { FitError } from './fit-error.ts';
import { clusterEventsOf, defaultProfile, type Profile } from './profile.ts';
import { newCursor, schedulePod } from './schedule-one.ts';
import { SchedulerCache } from './scheduler-cache.ts';
import { SchedulingQueue } from './scheduling-queue.ts';

export interface SchedulerOptions {
  client: RestClient;
  profile?: Profile;
  /** Called for failures worth a log line (bind errors, API errors). */
  onError?: (err: unknown) => void;
}

const podsPath = { group: '', version: 'v1', plural: 'pods' } as const;
const nodesPath = { group: '', version: 'v1', plural: 'nodes' } as const;

/** The node update kinds kube-scheduler distinguishes, for requeueing. */
function nodeUpdateActions(old: Node, node: Node): ActionType[] {
  const actions: ActionType[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (!same(old.status?.allocatable, node.status?.allocatable)) actions.push('UpdateNodeAllocatable');
  if (!same(old.metadata.labels, node.metadata.labels)) actions.push('UpdateNodeLabel');
  if (!same(old.spec?.taints, node.spec?.taints) || old.spec?.unschedulable !== node.spec?.unschedulable) actions.push('UpdateNodeTaint');
  if (!same(old.status?.conditions, node.status?.conditions)) actions.push('UpdateNodeCondition');
  return actions;
}

export class Scheduler {
  readonly profile: Profile;
  readonly queue: SchedulingQueue;
  readonly cache = new SchedulerCache();
  readonly #client: RestClient;
  readonly #onError: (err: unknown) => void;
  readonly #pods: SharedInformer<Pod>;
  readonly #nodes: SharedInformer<Node>;
  readonly #cursor = newCursor();

  constructor(opts: SchedulerOptions) {
    this.#client = opts.client;
    this.profile = opts.profile ?? defaultProfile();
    this.#onError = opts.onError ?? ((err) => console.error(`scheduler: ${err instanceof Error ? err.message : String(err)}`));
    this.queue = new SchedulingQueue({ pluginEvents: clusterEventsOf(this.profile) });
    this.#pods = new SharedInformer<Pod>(opts.client, { path: podsPath, onError: this.#onError });
    this.#nodes = new SharedInformer<Node>(opts.client, { path: nodesPath, onError: this.#onError });
    this.#wireInformers();
  }

  /** Pods this scheduler is responsible for: pending, ours, not being deleted, not finished. */
  #responsible(pod: Pod): boolean {
    const phase = pod.status?.phase;
    return (
      !pod.spec.nodeName &&
      (pod.spec.schedulerName ?? 'default-scheduler') === this.profile.schedulerName &&
      !pod.metadata.deletionTimestamp &&
      phase !== 'Succeeded' &&
      phase !== 'Failed'
    );
  }

  #wireInformers(): void {
    this.#pods.addEventHandler({
      onAdd: (pod) => {
        if (pod.spec.nodeName) {
          this.cache.addPod(pod);
          this.queue.moveAllToActiveOrBackoff('AssignedPod', 'Add');
        } else if (this.#responsible(pod)) this.queue.add(pod);
      },
      onUpdate: (old, pod) => {
        if (pod.spec.nodeName) {
          if (!old.spec.nodeName) this.queue.delete(pod);
          this.cache.updatePod(pod);
        } else if (this.#responsible(pod)) this.queue.update(pod);
        else this.queue.delete(pod);
      },
      onDelete: (obj) => {
        const pod = unwrapTombstone(obj);
        if (pod.spec?.nodeName) {
          this.cache.removePod(pod);
          this.queue.moveAllToActiveOrBackoff('AssignedPod', 'Delete');
        } else this.queue.delete(pod);
      },
    });
    this.#nodes.addEventHandler({
      onAdd: (node) => {
        this.cache.addNode(node);
        this.queue.moveAllToActiveOrBackoff('Node', 'Add');
      },
      onUpdate: (old, node) => {
        this.cache.updateNode(node);
        for (const action of nodeUpdateActions(old, node)) this.queue.moveAllToActiveOrBackoff('Node', action);
      },
      onDelete: (obj) => this.cache.removeNode(unwrapTombstone(obj)),
    });
  }

  /** Runs informers and the scheduling loop until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    void this.#pods.run(signal);
    void this.#nodes.run(signal);
    await Promise.all([this.#pods.waitForCacheSync(signal), this.#nodes.waitForCacheSync(signal)]);
    const housekeeping = setInterval(() => {
      this.queue.flush();
      for (const pod of this.cache.cleanupAssumedPods()) this.#onError(new Error(`assumed pod ${pod.metadata.namespace}/${pod.metadata.name} was never confirmed; forgotten`));
    }, 500);
    // An abort before this point fires no event: close at once then.
    if (signal.aborted) this.queue.close();
    else signal.addEventListener('abort', () => this.queue.close(), { once: true });
    try {
      for (;;) {
        const info = await this.queue.pop();
        if (!info) break;
        this.#scheduleOne(info);
      }
    } finally {
      clearInterval(housekeeping);
    }
  }

  #scheduleOne(info: Awaited<ReturnType<SchedulingQueue['pop']>> & object): void {
    const pod = info.pod;
    const cycle = this.queue.schedulingCycle;
    if (pod.metadata.deletionTimestamp || this.cache.isAssumed(pod)) {
      this.queue.done(pod);
      return;
    }
    let host: string;
    try {
      host = schedulePod(this.profile, pod, this.cache.snapshot(), this.#cursor).suggestedHost;
    } catch (err) {
      const plugins = err instanceof FitError ? err.diagnosis.unschedulablePlugins : new Set<string>();
      this.#requeue(info, plugins, cycle);
      void this.#recordFailure(pod, err instanceof Error ? err.message : String(err), err instanceof FitError);
      return;
    }
    try {
      this.cache.assumePod(pod, host);
    } catch (err) {
      // An error of this attempt, not of the loop: the next pods must still be scheduled.
      this.#requeue(info, new Set(), cycle);
      this.#onError(err);
      return;
    }
    void this.#bind(pod, host).then(
      () => {
        this.cache.finishBinding(pod);
        this.queue.done(pod);
      },
      (err: unknown) => {
        this.cache.forgetPod(pod);
        this.#requeue(info, new Set(), cycle);
        this.#onError(err);
      },
    );
  }

  /**
   * Puts a pod whose attempt failed back in the queue, unless the informer says it
   * was deleted or bound meanwhile, e.g. by another scheduler whose binding beat
   * ours (as kube-scheduler's handleSchedulingFailure): retrying such a pod would
   * bind it again or, being in the cache as bound already, fail to be assumed.
   */
  #requeue(info: Awaited<ReturnType<SchedulingQueue['pop']>> & object, plugins: ReadonlySet<string>, cycle: number): void {
    const latest = this.#pods.indexer.getByKey(this.#pods.indexer.keyOf(info.pod));
    if (!latest || latest.spec.nodeName || latest.metadata.uid !== info.pod.metadata.uid) {
      this.queue.done(info.pod);
      return;
    }
    this.queue.addUnschedulableIfNotPresent(info, plugins, cycle);
  }

  #bind(pod: Pod, nodeName: string): Promise<unknown> {
    const { namespace, name, uid } = pod.metadata;
    return this.#client.create(
      { ...podsPath, namespace: namespace!, name: name!, subresource: 'binding' },
      { apiVersion: 'v1', kind: 'Binding', metadata: { name: name!, namespace: namespace!, ...(uid ? { uid } : {}) }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
    );
  }

  /** PodScheduled=False with the FitError message, and a FailedScheduling event, as kube-scheduler reports. */
  async #recordFailure(pod: Pod, message: string, unschedulable: boolean): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    const now = metaNow();
    const reason = unschedulable ? 'Unschedulable' : 'SchedulerError';
    try {
      await this.#client.patch(
        { ...podsPath, namespace: namespace!, name: name!, subresource: 'status' },
        'strategic',
        { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null, lastTransitionTime: now }] } },
      );
      await this.#client.create(
        { group: '', version: 'v1', plural: 'events', namespace: namespace! },
        {
          apiVersion: 'v1',
          kind: 'Event',
          // As client-go's recorder: the object name and the time in hex nanoseconds.
          metadata: { name: `${name}.${(BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n).toString(16)}`, namespace: namespace! },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name, uid },
          reason: 'FailedScheduling',
          message,
          type: 'Warning',
          source: { component: this.profile.schedulerName },
          reportingComponent: this.profile.schedulerName,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      );
    } catch (err) {
      this.#onError(err);
    }
  }
}
