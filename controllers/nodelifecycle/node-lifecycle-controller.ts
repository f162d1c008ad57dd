/**
 * The node lifecycle controller (kube pkg/controller/nodelifecycle, with
 * TaintBasedEvictions): every `nodeMonitorPeriodMs` it checks each node's
 * heartbeats — the kube-node-lease Lease's renewTime and the Ready
 * condition's lastHeartbeatTime — and when neither has moved for the grace
 * period it sets Ready (and MemoryPressure, DiskPressure, PIDPressure) to
 * Unknown, "Kubelet stopped posting node status.". Heartbeats are judged by
 * when this controller saw them change (probeTimestamp), never by the
 * timestamps' values, so clock skew between node and control plane does not
 * matter.
 *
 * It owns the condition taints: Ready=False → node.kubernetes.io/not-ready,
 * Ready=Unknown → node.kubernetes.io/unreachable, each as NoExecute and
 * NoSchedule; MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable=True
 * and spec.unschedulable → their NoSchedule taints. A node back to Ready=True
 * loses them. Pods on a node that stops being Ready are marked Ready=False.
 *
 * Eviction of pods from NoExecute-tainted nodes is the TaintEvictionController's;
 * this controller runs one inside itself unless `taintEviction` is false.
 *
 * The kube-node-lease namespace is created by the API server at start (as
 * kube-apiserver's system namespaces controller does); this controller creates
 * it too if it is missing, since kubelets cannot heartbeat without it.
 *
 * Not done: kube's per-zone eviction rate limiting and full/partial zone
 * disruption modes; every node is tainted as soon as it is found unhealthy.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../client/api/meta.ts';
import { metaNow } from '../../client/api/meta-time.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/rest/api-error.ts';
import type { EventRecorder } from '../../client/record/event-recorder.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { type Node, type NodeCondition, type Pod, podInformerByNode, podNodeNameIndex } from './pods-by-node.ts';
import { TaintEvictionController } from './taint-eviction-controller.ts';
import {
  type Taint,
  taintNodeDiskPressure,
  taintNodeMemoryPressure,
  taintNodeNetworkUnavailable,
  taintNodeNotReady,
  taintNodePIDPressure,
  taintNodeUnreachable,
  taintNodeUnschedulable,
} from './taints.ts';
import { sleep } from '../../client/wait/sleep.ts';

export interface NodeLifecycleControllerOptions {
  /** A node whose heartbeats have not moved for this long is Ready=Unknown. Default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** The same, for a node that never reported a Ready condition. Default 60 s. */
  nodeStartupGracePeriodMs?: number;
  /** How often node health is checked. Default 5 s. */
  nodeMonitorPeriodMs?: number;
  /** Passed to the embedded TaintEvictionController. Default 300. */
  defaultUnreachableTolerationSeconds?: number;
  /** Passed to the embedded TaintEvictionController. Default 300. */
  defaultNotReadyTolerationSeconds?: number;
  /** Run a TaintEvictionController inside this controller. Default true; set false when the manager runs it separately. */
  taintEviction?: boolean;
}

/** Where kubelets keep their heartbeat Leases (v1.NamespaceNodeLease). */
export const nodeLeaseNamespace = 'kube-node-lease';

interface Lease extends KubeObject {
  spec?: { renewTime?: string; holderIdentity?: string };
}

/** What the controller last saw of a node (nodeHealthData). */
interface NodeHealth {
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  ready: NodeCondition | undefined;
  leaseRenewTime: string | undefined;
}

const staleConditionTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** Condition → the NoSchedule taint it maps to (nodeConditionToTaintKeyStatusMap). */
const noScheduleTaintFor: Record<string, Partial<Record<NodeCondition['status'], string>>> = {
  Ready: { False: taintNodeNotReady, Unknown: taintNodeUnreachable },
  MemoryPressure: { True: taintNodeMemoryPressure },
  DiskPressure: { True: taintNodeDiskPressure },
  PIDPressure: { True: taintNodePIDPressure },
  NetworkUnavailable: { True: taintNodeNetworkUnavailable },
};

const managedNoSchedule = new Set([
  taintNodeNotReady,
  taintNodeUnreachable,
  taintNodeMemoryPressure,
  taintNodeDiskPressure,
  taintNodePIDPressure,
  taintNodeNetworkUnavailable,
  taintNodeUnschedulable,
]);
const managedNoExecute = new Set([taintNodeNotReady, taintNodeUnreachable]);

function conditionOf(node: Node | undefined, type: string): NodeCondition | undefined {
  return node?.status?.conditions?.find((c) => c.type === type);
}

function parseTime(value: string | undefined): number {
  const ms = value ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

function leaseRenewedAfter(next: string | undefined, prev: string | undefined): boolean {
  if (!next) return false;
  if (!prev) return true;
  const a = parseTime(next);
  const b = parseTime(prev);
  return a > b || (a === b && next > prev);
}

/** The taints the node's conditions call for, keeping timeAdded of those already present. */
export function desiredTaints(node: Node, now: string): Taint[] {
  const current = node.spec?.taints ?? [];
  const want: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = noScheduleTaintFor[c.type]?.[c.status];
    if (key) want.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) want.push({ key: taintNodeUnschedulable, effect: 'NoSchedule' });
  const ready = conditionOf(node, 'Ready')?.status;
  if (ready === 'False') want.push({ key: taintNodeNotReady, effect: 'NoExecute', timeAdded: now });
  if (ready === 'Unknown') want.push({ key: taintNodeUnreachable, effect: 'NoExecute', timeAdded: now });

  const managed = (t: Taint) => (t.effect === 'NoSchedule' && managedNoSchedule.has(t.key)) || (t.effect === 'NoExecute' && managedNoExecute.has(t.key));
  const out: Taint[] = current.filter((t) => !managed(t) || want.some((w) => w.key === t.key && w.effect === t.effect));
  for (const w of want) {
    if (!out.some((t) => t.key === w.key && t.effect === w.effect)) out.push(w);
  }
  return out;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  readonly #ctx: ControllerContext;
  readonly #gracePeriodMs: number;
  readonly #startupGracePeriodMs: number;
  readonly #monitorPeriodMs: number;
  readonly #nodes: SharedInformer<Node>;
  readonly #leases: SharedInformer<Lease>;
  readonly #pods: SharedInformer<Pod>;
  readonly #health = new Map<string, NodeHealth>();
  /** Nodes whose taints must be reconciled with their conditions (nodeUpdateQueue). */
  readonly #taintQueue = new RateLimitingQueue<string>();
  readonly #recorder: EventRecorder;
  readonly #taintEviction: TaintEvictionController | undefined;

  constructor(ctx: ControllerContext, options: NodeLifecycleControllerOptions = {}) {
    this.#ctx = ctx;
    this.#gracePeriodMs = options.nodeMonitorGracePeriodMs ?? 40_000;
    this.#startupGracePeriodMs = options.nodeStartupGracePeriodMs ?? 60_000;
    this.#monitorPeriodMs = options.nodeMonitorPeriodMs ?? 5_000;
    this.#recorder = ctx.recorder('node-controller');
    this.#nodes = ctx.informers.informerFor<Node>({ group: '', version: 'v1', plural: 'nodes' });
    this.#leases = ctx.informers.informerFor<Lease>({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases' });
    this.#pods = podInformerByNode(ctx.informers);
    this.#nodes.addEventHandler({
      onAdd: (node) => this.#taintQueue.add(node.metadata.name!),
      onUpdate: (_old, node) => this.#taintQueue.add(node.metadata.name!),
      onDelete: (node) => this.#health.delete(unwrapTombstone(node).metadata.name!),
    });
    this.#taintEviction =
      options.taintEviction === false
        ? undefined
        : new TaintEvictionController(ctx, {
            ...(options.defaultUnreachableTolerationSeconds !== undefined ? { defaultUnreachableTolerationSeconds: options.defaultUnreachableTolerationSeconds } : {}),
            ...(options.defaultNotReadyTolerationSeconds !== undefined ? { defaultNotReadyTolerationSeconds: options.defaultNotReadyTolerationSeconds } : {}),
          });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const onAbort = () => this.#taintQueue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const running: Array<Promise<void>> = [];
    try {
      await this.#ensureLeaseNamespace(signal);
      for (const informer of [this.#nodes, this.#leases, this.#pods] as const) {
        if (!(await informer.waitForCacheSync(signal))) return;
      }
      if (this.#taintEviction) running.push(this.#taintEviction.run(signal, workers));
      running.push(this.#monitorLoop(signal));
      for (let i = 0; i < Math.max(1, workers); i++) running.push(this.#taintWorker(signal));
      await Promise.all(running);
    } finally {
      signal.removeEventListener('abort', onAbort);
      onAbort();
      await Promise.allSettled(running);
    }
  }

  async #ensureLeaseNamespace(signal: AbortSignal): Promise<void> {
    try {
      await this.#ctx.client.get({ group: '', version: 'v1', plural: 'namespaces', name: nodeLeaseNamespace }, { signal });
    } catch (err) {
      if (!isNotFound(err)) {
        if (!signal.aborted) this.#ctx.onError(err);
        return;
      }
      try {
        await this.#ctx.client.create(
          { group: '', version: 'v1', plural: 'namespaces' },
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nodeLeaseNamespace } },
          { signal },
        );
      } catch (createErr) {
        if (!isAlreadyExists(createErr) && !signal.aborted) this.#ctx.onError(createErr);
      }
    }
  }

  async #monitorLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#monitorNodeHealth(signal);
      await sleep(this.#monitorPeriodMs, signal);
    }
  }

  /** One pass over every node (monitorNodeHealth). */
  async #monitorNodeHealth(signal: AbortSignal): Promise<void> {
    const nodes = this.#nodes.lister.list();
    const names = new Set(nodes.map((n) => n.metadata.name!));
    for (const name of this.#health.keys()) if (!names.has(name)) this.#health.delete(name);
    for (const node of nodes) {
      if (signal.aborted) return;
      try {
        await this.#monitorNode(node, signal);
      } catch (err) {
        if (!signal.aborted && !isConflict(err) && !isNotFound(err)) this.#ctx.onError(err);
      }
    }
  }

  async #monitorNode(node: Node, signal: AbortSignal): Promise<void> {
    const name = node.metadata.name!;
    const observedReady = conditionOf(node, 'Ready');
    const current = await this.#tryUpdateNodeHealth(node, signal);
    const currentReady = conditionOf(current, 'Ready');
    if (observedReady?.status === 'True' && currentReady && currentReady.status !== 'True') {
      void this.#recorder.event({ apiVersion: 'v1', kind: 'Node', name, uid: name }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      await this.#markPodsNotReady(name, signal);
    }
    // The Ready condition decides the NoExecute taints on every pass, as the TaintBasedEvictions pass does.
    this.#taintQueue.add(name);
  }

  /** tryUpdateNodeHealth: refresh probeTimestamp from heartbeats; mark the node Unknown when stale. Returns the node as it now stands. */
  async #tryUpdateNodeHealth(node: Node, signal: AbortSignal): Promise<Node> {
    const name = node.metadata.name!;
    const now = Date.now();
    const ready = conditionOf(node, 'Ready');
    const gracePeriod = ready ? this.#gracePeriodMs : this.#startupGracePeriodMs;
    let health = this.#health.get(name);
    if (!health) {
      const created = parseTime(node.metadata.creationTimestamp) || now;
      health = { probeTimestamp: created, readyTransitionTimestamp: created, ready: ready && { ...ready }, leaseRenewTime: undefined };
    } else if (!health.ready && ready) {
      health = { ...health, probeTimestamp: now, readyTransitionTimestamp: now, ready: { ...ready } };
    } else if (health.ready && !ready) {
      // The Ready condition vanished: treat it as news, as kube does, and let the grace period run from here.
      health = { ...health, probeTimestamp: now, readyTransitionTimestamp: now, ready: undefined };
    } else if (health.ready && ready && health.ready.lastHeartbeatTime !== ready.lastHeartbeatTime) {
      const transition = health.ready.lastTransitionTime !== ready.lastTransitionTime ? now : health.readyTransitionTimestamp;
      health = { ...health, probeTimestamp: now, readyTransitionTimestamp: transition, ready: { ...ready } };
    }
    const lease = this.#leases.lister.get(nodeLeaseNamespace, name);
    const renewTime = lease?.spec?.renewTime;
    if (leaseRenewedAfter(renewTime, health.leaseRenewTime)) health = { ...health, probeTimestamp: now, leaseRenewTime: renewTime };
    this.#health.set(name, health);

    if (now <= health.probeTimestamp + gracePeriod) return node;

    // Stale: Ready and the pressure conditions become Unknown.
    const stamp = metaNow(new Date(now));
    const updated = structuredClone(node);
    const status = (updated.status ??= {});
    const conditions = (status.conditions ??= []);
    for (const type of staleConditionTypes) {
      const c = conditions.find((x) => x.type === type);
      if (!c) {
        conditions.push({
          type,
          status: 'Unknown',
          reason: 'NodeStatusNeverUpdated',
          message: 'Kubelet never posted node status.',
          lastHeartbeatTime: node.metadata.creationTimestamp ?? stamp,
          lastTransitionTime: stamp,
        });
      } else if (c.status !== 'Unknown') {
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = 'Kubelet stopped posting node status.';
        c.lastTransitionTime = stamp;
      }
    }
    if (isDeepStrictEqual(conditions, node.status?.conditions ?? [])) return node;
    const written = await this.#ctx.client.update<Node>({ group: '', version: 'v1', plural: 'nodes', name, subresource: 'status' }, updated, { signal });
    this.#health.set(name, { ...health, readyTransitionTimestamp: now, ready: conditionOf(written, 'Ready') });
    return written;
  }

  /** MarkPodsNotReady: the pods' Ready condition turns False when their node stops being Ready. */
  async #markPodsNotReady(nodeName: string, signal: AbortSignal): Promise<void> {
    const stamp = metaNow();
    for (const pod of this.#pods.lister.byIndex(podNodeNameIndex, nodeName)) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const updated = structuredClone(pod);
      for (const c of updated.status?.conditions ?? []) {
        if (c.type !== 'Ready') continue;
        c.status = 'False';
        c.lastTransitionTime = stamp;
      }
      try {
        await this.#ctx.client.update(
          { group: '', version: 'v1', plural: 'pods', namespace: pod.metadata.namespace!, name: pod.metadata.name!, subresource: 'status' },
          updated,
          { signal },
        );
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err) && !signal.aborted) this.#ctx.onError(err);
      }
    }
  }

  async #taintWorker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const name = await this.#taintQueue.get();
      if (name === undefined) return;
      try {
        await this.#reconcileTaints(name, signal);
        this.#taintQueue.forget(name);
      } catch (err) {
        if (!signal.aborted && !isConflict(err)) this.#ctx.onError(err);
        this.#taintQueue.addRateLimited(name);
      } finally {
        this.#taintQueue.done(name);
      }
    }
  }

  /** Brings the node's condition taints in line with its conditions (doNoScheduleTaintingPass + processTaintBaseEviction). */
  async #reconcileTaints(name: string, signal: AbortSignal): Promise<void> {
    const node = this.#nodes.lister.get(undefined, name);
    if (!node) return;
    const taints = desiredTaints(node, metaNow());
    if (isDeepStrictEqual(taints, node.spec?.taints ?? [])) return;
    // resourceVersion makes this a compare-and-swap against the conditions it was computed from.
    await this.#ctx.client.patch(
      { group: '', version: 'v1', plural: 'nodes', name },
      'merge',
      { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: taints.length > 0 ? taints : null } },
      { signal },
    );
  }
}

