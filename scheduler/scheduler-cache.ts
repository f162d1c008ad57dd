/**
 * The scheduler's view of nodes and the pods placed on them (as kube-scheduler's
 * internal/cache). Besides what informers report, it holds *assumed* pods: a
 * placement decided but not yet seen bound in a watch counts against its node at
 * once, so the next cycles cannot double-book it. An assumed pod is confirmed by
 * the informer's add, dropped by forgetPod when binding fails, and expires if its
 * binding finished but no confirmation came within the TTL.
 *
 * The snapshot is a live view over the cache's NodeInfos. That is enough because
 * the scheduler runs its cycles one at a time on one thread. kube-scheduler clones
 * its snapshot because it schedules concurrently.
 */
import { NodeInfo } from './framework/node-info.ts';
import { Snapshot } from './framework/snapshot.ts';
import type { Node, Pod } from './framework/types.ts';

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
  /** Set by finishBinding: when an unconfirmed assumed pod is dropped (ms). */
  deadline: number | undefined;
}

export interface SchedulerCacheOptions {
  /** How long an assumed pod whose binding finished may wait for the informer to confirm it. */
  assumedPodTTLMs?: number;
  now?: () => number;
}

const keyOf = (pod: Pod): string => pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;

export class SchedulerCache {
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #pods = new Map<string, PodState>();
  /** NodeInfo per node name; pods whose node is not known yet wait in #orphans. */
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #orphans = new Map<string, Map<string, Pod>>();
  #snapshot: Snapshot | undefined;

  constructor(opts: SchedulerCacheOptions = {}) {
    this.#ttl = opts.assumedPodTTLMs ?? 30_000;
    this.#now = opts.now ?? Date.now;
  }

  addNode(node: Node): void {
    const name = node.metadata.name!;
    const existing = this.#nodes.get(name);
    const pods = existing ? existing.pods.map((p) => p.pod) : [...(this.#orphans.get(name)?.values() ?? [])];
    this.#orphans.delete(name);
    this.#nodes.set(name, new NodeInfo(node, pods));
    this.#snapshot = undefined;
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata.name!;
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#nodes.delete(name);
    // Pods still bound there stay known, so a node that comes back is counted right.
    if (info.pods.length > 0) this.#orphans.set(name, new Map(info.pods.map((p) => [keyOf(p.pod), p.pod])));
    this.#snapshot = undefined;
  }

  /** The scheduler chose `nodeName` for `pod`; count it there now. */
  assumePod(pod: Pod, nodeName: string): void {
    const k = keyOf(pod);
    if (this.#pods.has(k)) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} is already in the scheduler cache`);
    const placed: Pod = { ...pod, spec: { ...pod.spec, nodeName } };
    this.#place(placed, nodeName);
    this.#pods.set(k, { pod: placed, nodeName, assumed: true, deadline: undefined });
  }

  /** The bind call returned; from now on the assumed pod may expire. */
  finishBinding(pod: Pod): void {
    const state = this.#pods.get(keyOf(pod));
    if (state?.assumed) state.deadline = this.#now() + this.#ttl;
  }

  /** Binding failed: undo the assumption. */
  forgetPod(pod: Pod): void {
    const k = keyOf(pod);
    const state = this.#pods.get(k);
    if (!state?.assumed) return;
    this.#unplace(state.pod, state.nodeName);
    this.#pods.delete(k);
  }

  /** An assigned pod seen by the informer (confirms an assumed one). */
  addPod(pod: Pod): void {
    const nodeName = pod.spec.nodeName;
    if (!nodeName) return;
    const k = keyOf(pod);
    const state = this.#pods.get(k);
    if (state) this.#unplace(state.pod, state.nodeName);
    this.#place(pod, nodeName);
    this.#pods.set(k, { pod, nodeName, assumed: false, deadline: undefined });
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const k = keyOf(pod);
    const state = this.#pods.get(k);
    if (!state) return;
    this.#unplace(state.pod, state.nodeName);
    this.#pods.delete(k);
  }

  isAssumed(pod: Pod): boolean {
    return this.#pods.get(keyOf(pod))?.assumed ?? false;
  }

  /** Drops assumed pods whose binding finished more than the TTL ago without confirmation. */
  cleanupAssumedPods(): Pod[] {
    const now = this.#now();
    const expired: Pod[] = [];
    for (const [k, state] of this.#pods) {
      if (state.assumed && state.deadline !== undefined && state.deadline <= now) {
        this.#unplace(state.pod, state.nodeName);
        this.#pods.delete(k);
        expired.push(state.pod);
      }
    }
    return expired;
  }

  /** Nodes in a stable order with their pods (assumed ones included). */
  snapshot(): Snapshot {
    this.#snapshot ??= new Snapshot([...this.#nodes.values()]);
    return this.#snapshot;
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  #place(pod: Pod, nodeName: string): void {
    const info = this.#nodes.get(nodeName);
    if (info) {
      info.addPod(pod);
      return;
    }
    let orphans = this.#orphans.get(nodeName);
    if (!orphans) this.#orphans.set(nodeName, (orphans = new Map()));
    orphans.set(keyOf(pod), pod);
  }

  #unplace(pod: Pod, nodeName: string): void {
    if (this.#nodes.get(nodeName)?.removePod(pod)) return;
    const orphans = this.#orphans.get(nodeName);
    orphans?.delete(keyOf(pod));
    if (orphans?.size === 0) this.#orphans.delete(nodeName);
  }
}
