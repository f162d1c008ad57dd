/**
 * The pod garbage collector (kubernetes pkg/controller/podgc): every
 * gcCheckPeriod it force-deletes (grace period 0)
 *  - terminated pods (Succeeded/Failed) beyond `--terminated-pod-gc-threshold`,
 *    oldest first;
 *  - terminating pods on a NotReady node tainted `node.kubernetes.io/out-of-service`
 *    (non-graceful node shutdown);
 *  - orphans: pods bound to a node that no longer exists, once the node has
 *    stayed missing for a quarantine (40 s) and a GET confirms it;
 *  - terminating pods that were never scheduled.
 * A pod that is not yet terminal is first marked Failed, orphans with a
 * DisruptionTarget condition (DeletionByPodGC), so whoever owns it sees why it
 * went, as kube's markFailedAndDeletePodWithCondition does.
 */
import { metaNow } from '../../client/api/meta-time.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import { sleep } from '../../client/wait/sleep.ts';
import { isConflict, isNotFound } from '../../client/rest/api-error.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import type { Node, Pod, PodCondition } from '../nodelifecycle/pods-by-node.ts';

/** kube-controller-manager's --terminated-pod-gc-threshold default. */
export const defaultTerminatedPodGcThreshold = 12_500;
const defaultGcCheckPeriodMs = 20_000;
const defaultQuarantineMs = 40_000;
const outOfServiceTaint = 'node.kubernetes.io/out-of-service';

export interface PodGcControllerOptions {
  /** Terminated pods kept before the oldest are deleted; 0 or less keeps them all. Default 12,500. */
  terminatedPodGcThreshold?: number;
  /** How often the collector runs (kube's gcCheckPeriod, 20 s). */
  gcCheckPeriodMs?: number;
  /** How long a node must stay missing before its pods count as orphans (kube's quarantineTime, 40 s). */
  quarantineMs?: number;
}

const nodesResource = { group: '', version: 'v1', plural: 'nodes' } as const;

const isTerminated = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

function isReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Oldest first; equal timestamps by namespace/name so the order is stable. */
function byCreation(a: Pod, b: Pod): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export class PodGcController implements Controller {
  readonly name = 'pod-garbage-collector';
  readonly #ctx: ControllerContext;
  readonly #pods: SharedInformer<Pod>;
  readonly #nodes: SharedInformer<Node>;
  readonly #threshold: number;
  readonly #periodMs: number;
  readonly #quarantineMs: number;
  /** Nodes seen missing, with when they may be checked (the delaying nodeQueue). */
  readonly #missingSince = new Map<string, number>();

  constructor(ctx: ControllerContext, options: PodGcControllerOptions = {}) {
    this.#ctx = ctx;
    this.#pods = ctx.informers.informerFor<Pod>({ group: '', version: 'v1', plural: 'pods' });
    this.#nodes = ctx.informers.informerFor<Node>(nodesResource);
    this.#threshold = options.terminatedPodGcThreshold ?? defaultTerminatedPodGcThreshold;
    this.#periodMs = options.gcCheckPeriodMs ?? defaultGcCheckPeriodMs;
    this.#quarantineMs = options.quarantineMs ?? defaultQuarantineMs;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.#pods.waitForCacheSync(signal)) || !(await this.#nodes.waitForCacheSync(signal))) return;
    while (!signal.aborted) {
      try {
        await this.gc(signal);
      } catch (err) {
        this.#ctx.onError(err);
      }
      await sleep(this.#periodMs, signal);
    }
  }

  /** One pass, in kube's order. */
  async gc(signal?: AbortSignal): Promise<void> {
    const pods = this.#pods.lister.list();
    const nodes = new Map(this.#nodes.lister.list().map((n) => [n.metadata.name!, n]));
    if (this.#threshold > 0) await this.#gcTerminated(pods, signal);
    await this.#gcTerminating(pods, nodes, signal);
    await this.#gcOrphaned(pods, nodes, signal);
    await this.#gcUnscheduledTerminating(pods, signal);
  }

  async #gcTerminated(pods: readonly Pod[], signal: AbortSignal | undefined): Promise<void> {
    // A terminated pod already being deleted is on its way out and does not count.
    const terminated = pods.filter((p) => isTerminated(p) && !p.metadata.deletionTimestamp);
    const excess = terminated.length - this.#threshold;
    if (excess <= 0) return;
    for (const pod of [...terminated].sort(byCreation).slice(0, excess)) await this.#markFailedAndDelete(pod, undefined, signal);
  }

  async #gcTerminating(pods: readonly Pod[], nodes: ReadonlyMap<string, Node>, signal: AbortSignal | undefined): Promise<void> {
    for (const pod of pods) {
      if (!pod.metadata.deletionTimestamp || !pod.spec?.nodeName) continue;
      const node = nodes.get(pod.spec.nodeName);
      if (!node || isReady(node)) continue;
      if (!(node.spec?.taints ?? []).some((t) => t.key === outOfServiceTaint)) continue;
      await this.#markFailedAndDelete(pod, undefined, signal);
    }
  }

  async #gcOrphaned(pods: readonly Pod[], nodes: ReadonlyMap<string, Node>, signal: AbortSignal | undefined): Promise<void> {
    const now = Date.now();
    const missing = new Set<string>();
    for (const pod of pods) {
      const nodeName = pod.spec?.nodeName;
      if (!nodeName || nodes.has(nodeName)) continue;
      missing.add(nodeName);
      if (!this.#missingSince.has(nodeName)) this.#missingSince.set(nodeName, now);
    }
    // Nodes that came back, or whose pods are all gone, leave quarantine.
    for (const name of [...this.#missingSince.keys()]) if (!missing.has(name) || nodes.has(name)) this.#missingSince.delete(name);
    const deleted = new Set<string>();
    for (const [name, since] of this.#missingSince) {
      if (now - since < this.#quarantineMs) continue;
      // The cache may lag: only a node the API server does not know is gone (discoverDeletedNodes).
      try {
        await this.#ctx.client.get({ ...nodesResource, name }, signal ? { signal } : {});
        this.#missingSince.delete(name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        deleted.add(name);
      }
    }
    for (const pod of pods) {
      if (!pod.spec?.nodeName || !deleted.has(pod.spec.nodeName)) continue;
      await this.#markFailedAndDelete(pod, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' }, signal);
    }
    for (const name of deleted) this.#missingSince.delete(name);
  }

  async #gcUnscheduledTerminating(pods: readonly Pod[], signal: AbortSignal | undefined): Promise<void> {
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp && !pod.spec?.nodeName) await this.#markFailedAndDelete(pod, undefined, signal);
    }
  }

  /** markFailedAndDeletePodWithCondition: Failed (with the condition) unless already terminal, then a delete with grace period 0. */
  async #markFailedAndDelete(pod: Pod, condition: Pick<PodCondition, 'type' | 'status' | 'reason' | 'message'> | undefined, signal: AbortSignal | undefined): Promise<void> {
    const namespace = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const path = { group: '', version: 'v1', plural: 'pods', namespace, name } as const;
    const opts = signal ? { signal } : {};
    try {
      if (!isTerminated(pod)) {
        const conditions = (pod.status?.conditions ?? []).filter((c) => !condition || c.type !== condition.type);
        if (condition) conditions.push({ ...condition, lastProbeTime: null, lastTransitionTime: metaNow() });
        await this.#ctx.client.patch({ ...path, subresource: 'status' }, 'strategic', { status: { phase: 'Failed', conditions } }, opts);
      }
      await this.#ctx.client.delete(path, { ...opts, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
    } catch (err) {
      // Gone already, or replaced by a new pod of the same name (the uid precondition).
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}
