/**
 * The scheduling queue (as kube-scheduler's PriorityQueue): pods waiting to be
 * scheduled sit in one of three places.
 *  - activeQ: ready now, popped highest priority first, then oldest first;
 *  - backoffQ: failed recently, waiting out a per-pod exponential backoff
 *    (1 s doubling to 10 s by default);
 *  - unschedulable: rejected by plugins; they move back (to backoffQ or activeQ)
 *    only when a cluster event those plugins registered for happens, or after
 *    podMaxInUnschedulablePodsDuration as a safety net.
 * A move request that arrives while a pod is being scheduled sends that pod to
 * backoffQ instead of unschedulable when it fails, so the event is not missed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ActionType, ClusterEvent, EventResource } from './framework/interface.ts';
import type { Pod } from './framework/types.ts';

export interface QueuedPodInfo {
  pod: Pod;
  /** When the pod first entered the queue (ms). */
  initialAttemptTimestamp: number;
  /** When the pod was last added to activeQ or backoffQ (ms); orders pods of equal priority. */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** Plugins that rejected the pod in its last attempt. */
  unschedulablePlugins: ReadonlySet<string>;
}

export interface SchedulingQueueOptions {
  /** Plugin name → events that may make pods it rejected schedulable (profile's clusterEventsOf). */
  pluginEvents: ReadonlyMap<string, readonly ClusterEvent[]>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  podMaxInUnschedulablePodsDurationMs?: number;
  /** Injectable clock for tests. */
  now?: () => number;
}

/** Whether anything but status and bookkeeping changed (kube-scheduler's isPodUpdated). */
function isPodUpdated(old: Pod, pod: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, finalizers: _f, ...metadata } = p.metadata as Pod['metadata'] & Record<string, unknown>;
    return { ...p, metadata, status: undefined };
  };
  return !isDeepStrictEqual(strip(old), strip(pod));
}

const keyOf = (pod: Pod): string => pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
const priorityOf = (pod: Pod): number => (pod.spec as { priority?: number }).priority ?? 0;

/** A binary heap ordered by `less`. */
class Heap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }
  get size(): number {
    return this.#items.length;
  }
  peek(): T | undefined {
    return this.#items[0];
  }
  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.#items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.#less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  /** Removes items matching `pred` (O(n); removals are rare). */
  remove(pred: (item: T) => boolean): void {
    const kept = this.#items.filter((x) => !pred(x));
    this.#items.length = 0;
    for (const x of kept) this.push(x);
  }
}

export class SchedulingQueue {
  readonly #opts: Required<Omit<SchedulingQueueOptions, 'pluginEvents'>> & Pick<SchedulingQueueOptions, 'pluginEvents'>;
  /** Pods in activeQ, by key; the heap holds keys with their ordering snapshot. */
  readonly #active = new Map<string, QueuedPodInfo>();
  readonly #activeHeap: Heap<QueuedPodInfo>;
  readonly #backoff = new Map<string, QueuedPodInfo>();
  readonly #unschedulable = new Map<string, QueuedPodInfo & { since: number }>();
  /** Pods popped and not yet done: their latest spec, if updated meanwhile. */
  readonly #inFlight = new Map<string, Pod>();
  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #closed = false;
  #waiters: ((info: QueuedPodInfo | undefined) => void)[] = [];

  constructor(opts: SchedulingQueueOptions) {
    this.#opts = {
      pluginEvents: opts.pluginEvents,
      initialBackoffMs: opts.initialBackoffMs ?? 1000,
      maxBackoffMs: opts.maxBackoffMs ?? 10_000,
      podMaxInUnschedulablePodsDurationMs: opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000,
      now: opts.now ?? Date.now,
    };
    this.#activeHeap = new Heap((a, b) => {
      const pa = priorityOf(a.pod);
      const pb = priorityOf(b.pod);
      return pa !== pb ? pa > pb : a.timestamp < b.timestamp;
    });
  }

  /** The cycle number of the last pop; failures report it back. */
  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  /** Sizes for metrics and tests. */
  get lengths(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size };
  }

  has(pod: Pod): boolean {
    const k = keyOf(pod);
    return this.#active.has(k) || this.#backoff.has(k) || this.#unschedulable.has(k) || this.#inFlight.has(k);
  }

  /** A new pending pod (informer add). */
  add(pod: Pod): void {
    const now = this.#opts.now();
    const k = keyOf(pod);
    if (this.#inFlight.has(k)) {
      this.#inFlight.set(k, pod);
      return;
    }
    const existing = this.#active.get(k) ?? this.#backoff.get(k) ?? this.#unschedulable.get(k);
    if (existing) {
      this.update(pod);
      return;
    }
    this.#pushActive({ pod, initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set() });
  }

  /** A pending pod changed. An unschedulable pod whose spec changed gets another try (as isPodUpdated). */
  update(pod: Pod): void {
    const k = keyOf(pod);
    if (this.#inFlight.has(k)) {
      this.#inFlight.set(k, pod);
      return;
    }
    const active = this.#active.get(k);
    if (active) {
      active.pod = pod;
      return;
    }
    const backoff = this.#backoff.get(k);
    if (backoff) {
      backoff.pod = pod;
      return;
    }
    const unschedulable = this.#unschedulable.get(k);
    if (unschedulable) {
      // Else the scheduler's own PodScheduled=False write would retry the pod, forever.
      if (!isPodUpdated(unschedulable.pod, pod)) {
        unschedulable.pod = pod;
        return;
      }
      this.#unschedulable.delete(k);
      const info: QueuedPodInfo = { ...unschedulable, pod };
      if (this.#backoffExpiry(info) > this.#opts.now()) this.#backoff.set(k, info);
      else this.#pushActive(info);
      return;
    }
    this.add(pod);
  }

  /** The pod was deleted or got bound by someone else. */
  delete(pod: Pod): void {
    const k = keyOf(pod);
    if (this.#active.delete(k)) this.#activeHeap.remove((i) => keyOf(i.pod) === k);
    this.#backoff.delete(k);
    this.#unschedulable.delete(k);
    this.#inFlight.delete(k);
  }

  /** Waits for the next pod to schedule; undefined once the queue is closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    this.flush();
    const next = this.#popActive();
    if (next) return Promise.resolve(next);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The attempt for this pod is over (bound or requeued). */
  done(pod: Pod): void {
    this.#inFlight.delete(keyOf(pod));
  }

  /**
   * Requeues a pod whose attempt failed. With unschedulablePlugins it waits for a matching
   * event (unless a move request came during its cycle); without, it only backs off (an error).
   */
  addUnschedulableIfNotPresent(info: QueuedPodInfo, unschedulablePlugins: ReadonlySet<string>, podSchedulingCycle: number): void {
    const k = keyOf(info.pod);
    const latest = this.#inFlight.get(k) ?? info.pod;
    this.#inFlight.delete(k);
    if (this.#active.has(k) || this.#backoff.has(k) || this.#unschedulable.has(k)) return;
    const now = this.#opts.now();
    const requeued: QueuedPodInfo = { ...info, pod: latest, timestamp: now, unschedulablePlugins };
    if (unschedulablePlugins.size === 0 || this.#moveRequestCycle >= podSchedulingCycle) {
      this.#backoff.set(k, requeued);
    } else {
      this.#unschedulable.set(k, { ...requeued, since: now });
    }
    this.flush();
  }

  /**
   * A cluster event happened: move unschedulable pods some of whose rejecting plugins registered
   * for it back to backoffQ (still backing off) or activeQ (as MoveAllToActiveOrBackoffQueue).
   */
  moveAllToActiveOrBackoff(resource: EventResource, action: ActionType): void {
    const now = this.#opts.now();
    for (const [k, info] of this.#unschedulable) {
      if (!this.#interested(info.unschedulablePlugins, resource, action)) continue;
      this.#unschedulable.delete(k);
      const { since: _since, ...queued } = info;
      if (this.#backoffExpiry(queued) > now) this.#backoff.set(k, queued);
      else this.#pushActive({ ...queued, timestamp: now });
    }
    this.#moveRequestCycle = this.#schedulingCycle;
    this.#wake();
  }

  /** Moves pods whose backoff expired to activeQ, and long-unschedulable pods back into play. */
  flush(): void {
    const now = this.#opts.now();
    for (const [k, info] of this.#backoff) {
      if (this.#backoffExpiry(info) <= now) {
        this.#backoff.delete(k);
        this.#pushActive({ ...info, timestamp: now });
      }
    }
    for (const [k, info] of this.#unschedulable) {
      if (now - info.since >= this.#opts.podMaxInUnschedulablePodsDurationMs) {
        this.#unschedulable.delete(k);
        const { since: _since, ...queued } = info;
        this.#pushActive({ ...queued, timestamp: now });
      }
    }
    this.#wake();
  }

  /** Ms until the earliest backoff expires (for the caller's flush timer), or undefined. */
  nextBackoffExpiryIn(): number | undefined {
    let min: number | undefined;
    for (const info of this.#backoff.values()) {
      const t = this.#backoffExpiry(info);
      if (min === undefined || t < min) min = t;
    }
    return min === undefined ? undefined : Math.max(0, min - this.#opts.now());
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  #interested(plugins: ReadonlySet<string>, resource: EventResource, action: ActionType): boolean {
    // A pod rejected by no known plugin retries on any event.
    if (plugins.size === 0) return true;
    for (const plugin of plugins) {
      for (const ev of this.#opts.pluginEvents.get(plugin) ?? []) {
        const resourceMatches = ev.resource === resource || (ev.resource === 'Pod' && (resource === 'AssignedPod' || resource === 'UnscheduledPod'));
        if (resourceMatches && (ev.actionTypes.includes(action) || (ev.actionTypes.includes('Update') && action.startsWith('Update')))) return true;
      }
    }
    return false;
  }

  /** initial × 2^(attempts-1), capped (as getBackoffTime). */
  #backoffExpiry(info: QueuedPodInfo): number {
    if (info.attempts === 0) return info.timestamp;
    const backoff = Math.min(this.#opts.initialBackoffMs * 2 ** (info.attempts - 1), this.#opts.maxBackoffMs);
    return info.timestamp + backoff;
  }

  #pushActive(info: QueuedPodInfo): void {
    const k = keyOf(info.pod);
    if (this.#active.has(k)) return;
    this.#active.set(k, info);
    this.#activeHeap.push(info);
    this.#wake();
  }

  #popActive(): QueuedPodInfo | undefined {
    for (;;) {
      const info = this.#activeHeap.pop();
      if (!info) return undefined;
      const k = keyOf(info.pod);
      if (this.#active.get(k) !== info) continue;
      this.#active.delete(k);
      info.attempts++;
      this.#schedulingCycle++;
      this.#inFlight.set(k, info.pod);
      return info;
    }
  }

  #wake(): void {
    while (this.#waiters.length > 0) {
      const next = this.#popActive();
      if (!next) return;
      this.#waiters.shift()!(next);
    }
  }
}
