/**
 * The taint eviction controller (kube pkg/controller/tainteviction): a pod
 * bound to a node with NoExecute taints is deleted unless it tolerates them
 * all, and then only after the shortest tolerationSeconds among the
 * tolerations used has passed since the controller saw the taint; a pod
 * tolerating them without tolerationSeconds stays. Each eviction is recorded as
 * a TaintManagerEviction event and marks the pod DisruptionTarget first.
 *
 * pier has no DefaultTolerationSeconds admission plugin, so the controller
 * applies its effect itself: a pod with no toleration for
 * node.kubernetes.io/not-ready or /unreachable (NoExecute) is treated as if it
 * tolerated them for the default seconds (300), as every pod does in
 * Kubernetes.
 */
import { metaNow } from '../../client/api/meta-time.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import { metaNamespaceKeyFunc, splitMetaNamespaceKey } from '../../client/cache/indexer.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import { isNotFound } from '../../client/rest/api-error.ts';
import type { EventRecorder } from '../../client/record/event-recorder.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { type Node, type Pod, podInformerByNode, podNodeNameIndex } from './pods-by-node.ts';
import { matchingTolerations, minTolerationMs, type Taint, taintNodeNotReady, taintNodeUnreachable, type Toleration } from './taints.ts';

export interface TaintEvictionControllerOptions {
  /** tolerationSeconds for not-ready given to pods that have no such toleration. Default 300. */
  defaultNotReadyTolerationSeconds?: number;
  /** tolerationSeconds for unreachable given to pods that have no such toleration. Default 300. */
  defaultUnreachableTolerationSeconds?: number;
}

/** What the worker queue carries: a node or pod to re-evaluate, or a due eviction. */
type WorkItem = `node/${string}` | `pod/${string}` | `evict/${string}`;

interface ScheduledEviction {
  uid: string;
  /** When the controller first decided the pod must go (the toleration window starts here). */
  createdAt: number;
  fireAt: number;
  timer: NodeJS.Timeout;
}

function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

function taintsKey(taints: readonly Taint[]): string {
  return JSON.stringify(taints.map((t) => [t.key, t.value ?? '', t.effect]).sort());
}

/** The DefaultTolerationSeconds admission plugin's additions, applied on read. */
export function withDefaultTolerations(tolerations: readonly Toleration[], notReadySeconds: number, unreachableSeconds: number): Toleration[] {
  const covers = (key: string) => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const out = [...tolerations];
  if (!covers(taintNodeNotReady)) out.push({ key: taintNodeNotReady, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: notReadySeconds });
  if (!covers(taintNodeUnreachable)) out.push({ key: taintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: unreachableSeconds });
  return out;
}

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  readonly #ctx: ControllerContext;
  readonly #notReadySeconds: number;
  readonly #unreachableSeconds: number;
  readonly #pods: SharedInformer<Pod>;
  readonly #nodes: SharedInformer<Node>;
  readonly #queue = new RateLimitingQueue<WorkItem>();
  readonly #recorder: EventRecorder;
  /** Pod key → its pending eviction (kube's taintEvictionQueue). */
  readonly #scheduled = new Map<string, ScheduledEviction>();

  constructor(ctx: ControllerContext, options: TaintEvictionControllerOptions = {}) {
    this.#ctx = ctx;
    this.#notReadySeconds = options.defaultNotReadyTolerationSeconds ?? 300;
    this.#unreachableSeconds = options.defaultUnreachableTolerationSeconds ?? 300;
    this.#recorder = ctx.recorder('taint-eviction-controller');
    this.#pods = podInformerByNode(ctx.informers);
    this.#nodes = ctx.informers.informerFor<Node>({ group: '', version: 'v1', plural: 'nodes' });
    this.#nodes.addEventHandler({
      onAdd: (node) => this.#queue.add(`node/${node.metadata.name}`),
      onUpdate: (old, node) => {
        if (taintsKey(noExecuteTaints(old)) !== taintsKey(noExecuteTaints(node))) this.#queue.add(`node/${node.metadata.name}`);
      },
      onDelete: (node) => this.#queue.add(`node/${unwrapTombstone(node).metadata.name}`),
    });
    this.#pods.addEventHandler({
      onAdd: (pod) => this.#queue.add(`pod/${metaNamespaceKeyFunc(pod)}`),
      onUpdate: (old, pod) => {
        if (old.spec?.nodeName !== pod.spec?.nodeName || JSON.stringify(old.spec?.tolerations) !== JSON.stringify(pod.spec?.tolerations) || !old.metadata.deletionTimestamp !== !pod.metadata.deletionTimestamp) {
          this.#queue.add(`pod/${metaNamespaceKeyFunc(pod)}`);
        }
      },
      onDelete: (pod) => this.#queue.add(`pod/${metaNamespaceKeyFunc(unwrapTombstone(pod))}`),
    });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const onAbort = () => this.#queue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      if (!(await this.#pods.waitForCacheSync(signal)) || !(await this.#nodes.waitForCacheSync(signal))) return;
      await Promise.all(Array.from({ length: Math.max(1, workers) }, () => this.#worker(signal)));
    } finally {
      signal.removeEventListener('abort', onAbort);
      onAbort();
      for (const s of this.#scheduled.values()) clearTimeout(s.timer);
      this.#scheduled.clear();
    }
  }

  async #worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const item = await this.#queue.get();
      if (item === undefined) return;
      try {
        if (item.startsWith('node/')) this.#handleNode(item.slice(5));
        else if (item.startsWith('pod/')) this.#handlePod(item.slice(4));
        else await this.#evict(item.slice(6), signal);
        this.#queue.forget(item);
      } catch (err) {
        if (!signal.aborted) this.#ctx.onError(err);
        this.#queue.addRateLimited(item);
      } finally {
        this.#queue.done(item);
      }
    }
  }

  #handleNode(nodeName: string): void {
    const taints = noExecuteTaints(this.#nodes.lister.get(undefined, nodeName));
    const now = Date.now();
    for (const pod of this.#pods.lister.byIndex(podNodeNameIndex, nodeName)) this.#processPod(pod, taints, now);
  }

  #handlePod(key: string): void {
    const pod = this.#pods.lister.getByKey(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName || pod.metadata.deletionTimestamp) {
      // Gone, unbound, or already being deleted: nothing left to evict.
      this.#cancel(key, false);
      return;
    }
    this.#processPod(pod, noExecuteTaints(this.#nodes.lister.get(undefined, nodeName)), Date.now());
  }

  /** processPodOnNode. */
  #processPod(pod: Pod, taints: Taint[], now: number): void {
    const key = metaNamespaceKeyFunc(pod);
    if (pod.metadata.deletionTimestamp) {
      this.#cancel(key, false);
      return;
    }
    if (taints.length === 0) {
      this.#cancel(key, true);
      return;
    }
    const tolerations = withDefaultTolerations(pod.spec?.tolerations ?? [], this.#notReadySeconds, this.#unreachableSeconds);
    const { allTolerated, used } = matchingTolerations(taints, tolerations);
    const uid = pod.metadata.uid ?? '';
    if (!allTolerated) {
      this.#schedule(key, uid, now, now);
      return;
    }
    const minMs = minTolerationMs(used);
    if (minMs < 0) {
      this.#cancel(key, true);
      return;
    }
    const existing = this.#scheduled.get(key);
    // The window runs from when the pod first had to go, not from every re-evaluation.
    const createdAt = existing && existing.uid === uid ? existing.createdAt : now;
    this.#schedule(key, uid, createdAt, createdAt + minMs);
  }

  #schedule(key: string, uid: string, createdAt: number, fireAt: number): void {
    const existing = this.#scheduled.get(key);
    if (existing && existing.uid === uid && existing.fireAt === fireAt) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => this.#queue.add(`evict/${key}`), Math.max(0, fireAt - Date.now()));
    this.#scheduled.set(key, { uid, createdAt, fireAt, timer });
  }

  #cancel(key: string, withEvent: boolean): void {
    const existing = this.#scheduled.get(key);
    if (!existing) return;
    clearTimeout(existing.timer);
    this.#scheduled.delete(key);
    if (withEvent) {
      const { namespace, name } = splitMetaNamespaceKey(key);
      void this.#recorder.event(
        { apiVersion: 'v1', kind: 'Pod', name, ...(namespace ? { namespace } : {}) },
        'Normal',
        'TaintManagerEviction',
        `Cancelling deletion of Pod ${key}`,
      );
    }
  }

  /** The timed work fired: mark the pod DisruptionTarget and delete it (deletePodHandler + addConditionAndDeletePod). */
  async #evict(key: string, signal: AbortSignal): Promise<void> {
    const scheduled = this.#scheduled.get(key);
    if (!scheduled || scheduled.fireAt > Date.now()) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    if (!namespace) return;
    const path = { group: '', version: 'v1', plural: 'pods', namespace, name } as const;
    await this.#recorder.event({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    let pod: Pod;
    try {
      pod = await this.#ctx.client.get<Pod>(path, { signal });
    } catch (err) {
      if (isNotFound(err)) return void this.#scheduled.delete(key);
      throw err;
    }
    if (pod.metadata.uid !== scheduled.uid || pod.metadata.deletionTimestamp) {
      this.#scheduled.delete(key);
      return;
    }
    const conditions = [...(pod.status?.conditions ?? [])];
    const disruption = conditions.findIndex((c) => c.type === 'DisruptionTarget');
    const condition = { type: 'DisruptionTarget', status: 'True' as const, reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' };
    const current = disruption >= 0 ? conditions[disruption] : undefined;
    if (!current || current.status !== 'True' || current.reason !== condition.reason) {
      const next = { ...condition, lastProbeTime: null, lastTransitionTime: current?.status === 'True' ? current.lastTransitionTime ?? metaNow() : metaNow() };
      if (disruption >= 0) conditions[disruption] = next;
      else conditions.push(next);
      try {
        await this.#ctx.client.update({ ...path, subresource: 'status' }, { ...pod, status: { ...pod.status, conditions } }, { signal });
      } catch (err) {
        if (isNotFound(err)) return void this.#scheduled.delete(key);
        throw err;
      }
    }
    try {
      await this.#ctx.client.delete(path, { preconditions: { uid: scheduled.uid }, signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#scheduled.delete(key);
  }
}
