/**
 * The garbage collector (kube pkg/controller/garbagecollector): watches every
 * kind that can be listed, watched and deleted, keeps a graph of
 * ownerReferences, and
 * - deletes objects whose owners are all gone (verified with a live GET and a
 *   uid comparison, never from the cache alone);
 * - finishes foreground deletions: an owner with the `foregroundDeletion`
 *   finalizer loses it once no dependent with blockOwnerDeletion=true is left;
 * - finishes orphaning deletions: an owner with the `orphan` finalizer has its
 *   dependents' references to it removed, then loses the finalizer.
 * The set of kinds comes from discovery, re-read every `discoveryPeriodMs`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, OwnerReference } from '../../client/api/meta.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import type { ResourceEventHandlerRegistration, SharedInformer } from '../../client/cache/shared-informer.ts';
import { ApiError, isConflict, isNotFound } from '../../client/rest/api-error.ts';
import type { ResourcePath } from '../../client/rest/resource-path.ts';
import type { EventRecorder } from '../../client/record/event-recorder.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { type GraphNode, type ObjectIdentity, identityString } from './graph.ts';
import { foregroundDeletionFinalizer, GraphBuilder, hasFinalizer, orphanFinalizer, ownerIdentity } from './graph-builder.ts';
import {
  type DiscoveredResource,
  discoverResources,
  groupResourceKey,
  ResourceMapper,
  supportsAllVerbs,
} from '../../client/discovery/resource-discovery.ts';
import { sleep } from '../../client/wait/sleep.ts';

export interface GarbageCollectorOptions {
  /** How often discovery is re-read to pick up kinds added to the server. Default 30 s (kube's GC resync). */
  discoveryPeriodMs?: number;
  /** Resources never collected, as `plural.group` (`events.` for core events). Default: events (GCIgnoredResources). */
  ignoredResources?: readonly string[];
  /** Owners found absent are remembered (LRU) to spare GETs. Default 500 entries. */
  absentOwnerCacheSize?: number;
}

/** kube's DefaultIgnoredResources: events churn and never own anything. */
const defaultIgnoredResources = ['events.', 'events.events.k8s.io'];

/** The verbs a kind must support to be collected (GetDeletableResources). */
const deletableVerbs = ['delete', 'list', 'watch'];

type OwnerClass = 'solid' | 'dangling' | 'waiting';

interface Monitor {
  resource: DiscoveredResource;
  informer: SharedInformer<KubeObject>;
  registration: ResourceEventHandlerRegistration;
}

function pathOf(resource: DiscoveredResource, namespace: string, name: string): ResourcePath {
  return { group: resource.group, version: resource.version, plural: resource.plural, name, ...(resource.namespaced && namespace ? { namespace } : {}) };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller';
  readonly #ctx: ControllerContext;
  readonly #discoveryPeriodMs: number;
  readonly #ignored: ReadonlySet<string>;
  readonly #absentOwnerCacheSize: number;
  readonly #mapper = new ResourceMapper();
  readonly #attemptToDelete = new RateLimitingQueue<string>();
  readonly #attemptToOrphan = new RateLimitingQueue<string>();
  readonly #builder: GraphBuilder;
  readonly #monitors = new Map<string, Monitor>();
  /** Owner identities known absent (kube's absentOwnerCache); insertion order is the LRU order. */
  readonly #absentOwners = new Map<string, true>();
  readonly #recorder: EventRecorder;
  /** Set while newly added monitors sync; workers wait on it so they never act on a partial graph. */
  #syncing: Promise<void> | undefined;

  constructor(ctx: ControllerContext, options: GarbageCollectorOptions = {}) {
    this.#ctx = ctx;
    this.#discoveryPeriodMs = options.discoveryPeriodMs ?? 30_000;
    this.#ignored = new Set(options.ignoredResources ?? defaultIgnoredResources);
    this.#absentOwnerCacheSize = options.absentOwnerCacheSize ?? 500;
    this.#recorder = ctx.recorder('garbage-collector-controller');
    this.#builder = new GraphBuilder(this.#mapper, {
      attemptToDelete: (uid) => this.#attemptToDelete.add(uid),
      attemptToOrphan: (uid) => this.#attemptToOrphan.add(uid),
    });
  }

  /** The dependency graph (read-only use: tests and debugging). */
  get graph(): GraphBuilder['graph'] {
    return this.#builder.graph;
  }

  /** True once discovery has been read and every monitor has listed. */
  hasSynced(): boolean {
    return this.#monitors.size > 0 && this.#syncing === undefined && [...this.#monitors.values()].every((m) => m.informer.hasSynced());
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const onAbort = () => {
      this.#attemptToDelete.shutDown();
      this.#attemptToOrphan.shutDown();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Discovery must answer before anything can be watched (kube's GC waits the same way).
      let backoffMs = 500;
      while (!signal.aborted && !(await this.#resyncMonitors(signal))) {
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
      if (signal.aborted) return;
      const timer = setInterval(() => void this.#resyncMonitors(signal), this.#discoveryPeriodMs);
      try {
        const loops: Array<Promise<void>> = [];
        for (let i = 0; i < Math.max(1, workers); i++) {
          loops.push(this.#worker(this.#attemptToDelete, (uid) => this.#attemptToDeleteItem(uid, signal)));
          loops.push(this.#worker(this.#attemptToOrphan, (uid) => this.#attemptToOrphanItem(uid, signal)));
        }
        await Promise.all(loops);
      } finally {
        clearInterval(timer);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      onAbort();
      for (const m of this.#monitors.values()) m.registration.remove();
      this.#monitors.clear();
    }
  }

  /** Re-reads discovery and starts monitors for new deletable kinds; false when discovery failed outright. */
  async #resyncMonitors(signal: AbortSignal): Promise<boolean> {
    let found;
    try {
      found = await discoverResources(this.#ctx.client, signal);
    } catch (err) {
      if (!signal.aborted) this.#ctx.onError(new Error(`garbage collector: discovery failed: ${errorText(err)}`));
      return false;
    }
    if (signal.aborted) return false;
    for (const [gv, why] of found.failedGroups) this.#ctx.onError(new Error(`garbage collector: discovery of ${gv} failed: ${why}`));
    // A failed group keeps what it had: merge rather than replace, so owners of that group still resolve.
    const failed = new Set(found.failedGroups.keys());
    const kept = this.#mapper.resources.filter((r) => failed.has(r.group === '' ? r.version : `${r.group}/${r.version}`));
    this.#mapper.update([...found.resources, ...kept]);

    const wanted = new Map<string, DiscoveredResource>();
    for (const r of [...found.resources, ...kept]) {
      const key = groupResourceKey(r);
      if (this.#ignored.has(key) || !supportsAllVerbs(r, deletableVerbs)) continue;
      wanted.set(key, r);
    }
    const added: Monitor[] = [];
    for (const [key, resource] of wanted) {
      if (this.#monitors.has(key)) continue;
      const monitor = this.#startMonitor(resource);
      this.#monitors.set(key, monitor);
      added.push(monitor);
    }
    for (const [key, monitor] of this.#monitors) {
      if (wanted.has(key)) continue;
      monitor.registration.remove();
      this.#monitors.delete(key);
    }
    if (added.length > 0) {
      const synced = Promise.all(added.map((m) => m.informer.waitForCacheSync(signal))).then(() => undefined);
      const gate = synced.finally(() => {
        if (this.#syncing === gate) this.#syncing = undefined;
      });
      this.#syncing = gate;
      await gate;
    }
    return true;
  }

  #startMonitor(resource: DiscoveredResource): Monitor {
    const informer = this.#ctx.informers.informerFor<KubeObject>({ group: resource.group, version: resource.version, plural: resource.plural });
    const registration = informer.addEventHandler({
      onAdd: (obj) => this.#builder.observe(resource, obj),
      onUpdate: (old, obj) => this.#builder.observe(resource, obj, old),
      onDelete: (obj) => this.#builder.forget(unwrapTombstone(obj)),
    });
    return { resource, informer, registration };
  }

  async #worker(queue: RateLimitingQueue<string>, sync: (uid: string) => Promise<void>): Promise<void> {
    for (;;) {
      const uid = await queue.get();
      if (uid === undefined) return;
      try {
        while (this.#syncing) await this.#syncing;
        await sync(uid);
        queue.forget(uid);
      } catch (err) {
        if (!(err instanceof ApiError && (isConflict(err) || isNotFound(err)))) this.#ctx.onError(err);
        queue.addRateLimited(uid);
      } finally {
        queue.done(uid);
      }
    }
  }

  // attemptToDelete (kube attemptToDeleteItem).

  async #attemptToDeleteItem(uid: string, signal: AbortSignal): Promise<void> {
    const node = this.#builder.graph.get(uid);
    if (!node) return;
    // Already going away, and not waiting on dependents: nothing for us to do.
    if (node.beingDeleted && !node.deletingDependents) return;

    const latest = await this.#getObject(node.identity, signal);
    if (latest === undefined || latest.metadata.uid !== node.identity.uid) {
      // Gone (or replaced by a namesake): a virtual node is dropped and its dependents re-checked;
      // an observed one is dropped when its informer reports the delete.
      if (!node.observed) this.#builder.forgetVirtual(node);
      return;
    }
    // It exists but no informer has shown it yet; the informer will.
    if (!node.observed) return;

    if (node.deletingDependents) {
      await this.#processDeletingDependents(node, signal);
      return;
    }

    const ownerRefs = latest.metadata.ownerReferences ?? [];
    if (ownerRefs.length === 0) return;
    const classes = await this.#classifyReferences(node, latest, ownerRefs, signal);
    const solid = ownerRefs.filter((r) => classes.get(r.uid) === 'solid');
    const dangling = ownerRefs.filter((r) => classes.get(r.uid) === 'dangling');
    const waiting = ownerRefs.filter((r) => classes.get(r.uid) === 'waiting');

    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // A live owner keeps the object; references to dead or dying owners are dropped.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await this.#patchOwnerReferences(node.identity, latest, ownerRefs.filter((r) => !drop.has(r.uid)), signal);
      return;
    }

    if (waiting.length > 0 && node.dependents.size > 0) {
      // The object is itself an owner: delete it in the foreground so its own blocking dependents go first.
      // If one of its dependents is also deleting dependents, a cycle may block everyone: stop blocking our owners.
      if ([...node.dependents].some((d) => d.deletingDependents)) {
        const waitingUids = new Set(waiting.map((r) => r.uid));
        const unblocked = ownerRefs.map((r) => (waitingUids.has(r.uid) && r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
        await this.#patchOwnerReferences(node.identity, latest, unblocked, signal);
        const refreshed = await this.#getObject(node.identity, signal);
        if (!refreshed || refreshed.metadata.uid !== node.identity.uid) return;
        await this.#deleteObject(node.identity, refreshed, 'Foreground', signal);
        return;
      }
      await this.#deleteObject(node.identity, latest, 'Foreground', signal);
      return;
    }

    // Every owner is gone or waiting for its dependents to go: delete, keeping any policy the object already asked for.
    const policy = hasFinalizer(latest, orphanFinalizer) ? 'Orphan' : hasFinalizer(latest, foregroundDeletionFinalizer) ? 'Foreground' : 'Background';
    await this.#deleteObject(node.identity, latest, policy, signal);
  }

  /** Sorts owner references into live owners, absent owners, and owners deleting in the foreground (classifyReferences). */
  async #classifyReferences(node: GraphNode, latest: KubeObject, refs: OwnerReference[], signal: AbortSignal): Promise<Map<string, OwnerClass>> {
    const out = new Map<string, OwnerClass>();
    for (const ref of refs) {
      const resource = this.#mapper.resourceFor(ref.apiVersion, ref.kind);
      if (!resource) throw new Error(`garbage collector: cannot resolve owner ${ref.apiVersion}/${ref.kind} of ${identityString(node.identity)}: kind not served`);
      const dependentNamespace = latest.metadata.namespace ?? '';
      if (resource.namespaced && dependentNamespace === '') {
        // A cluster-scoped object cannot be owned by a namespaced one: the reference can never resolve (isDangling).
        void this.#recorder.event(
          { apiVersion: node.identity.apiVersion, kind: node.identity.kind, name: node.identity.name, uid: node.identity.uid },
          'Warning',
          'OwnerRefInvalidNamespace',
          `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: , name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace ""`,
        );
        out.set(ref.uid, 'dangling');
        continue;
      }
      const id = ownerIdentity(ref, dependentNamespace, this.#mapper);
      const absentKey = identityString(id);
      if (this.#absentOwners.has(absentKey)) {
        out.set(ref.uid, 'dangling');
        continue;
      }
      const owner = await this.#getObject(id, signal);
      if (owner === undefined || owner.metadata.uid !== ref.uid) {
        this.#rememberAbsent(absentKey);
        out.set(ref.uid, 'dangling');
      } else if (owner.metadata.deletionTimestamp && hasFinalizer(owner, foregroundDeletionFinalizer)) {
        out.set(ref.uid, 'waiting');
      } else {
        out.set(ref.uid, 'solid');
      }
    }
    return out;
  }

  /** An owner deleting in the foreground: wait for blocking dependents, then drop the finalizer (processDeletingDependentsItem). */
  async #processDeletingDependents(node: GraphNode, signal: AbortSignal): Promise<void> {
    const blocking = node.blockingDependents();
    if (blocking.length === 0) {
      await this.#removeFinalizer(node.identity, foregroundDeletionFinalizer, signal);
      return;
    }
    for (const dep of blocking) if (!dep.beingDeleted) this.#attemptToDelete.add(dep.identity.uid);
  }

  // attemptToOrphan (kube attemptToOrphanWorker).

  async #attemptToOrphanItem(uid: string, signal: AbortSignal): Promise<void> {
    const owner = this.#builder.graph.get(uid);
    if (!owner) return;
    const failures: string[] = [];
    await Promise.all(
      [...owner.dependents].map(async (dep) => {
        try {
          const latest = await this.#getObject(dep.identity, signal);
          if (!latest || latest.metadata.uid !== dep.identity.uid) return;
          const refs = latest.metadata.ownerReferences ?? [];
          if (!refs.some((r) => r.uid === uid)) return;
          await this.#patchOwnerReferences(dep.identity, latest, refs.filter((r) => r.uid !== uid), signal);
        } catch (err) {
          if (isNotFound(err)) return;
          failures.push(`${identityString(dep.identity)}: ${errorText(err)}`);
        }
      }),
    );
    if (failures.length > 0) throw new Error(`orphaning dependents of ${identityString(owner.identity)}: ${failures.join('; ')}`);
    await this.#removeFinalizer(owner.identity, orphanFinalizer, signal);
  }

  // API operations.

  #resourceOf(id: ObjectIdentity): DiscoveredResource {
    const resource = this.#mapper.resourceFor(id.apiVersion, id.kind);
    if (!resource) throw new Error(`garbage collector: kind ${id.apiVersion}/${id.kind} is not served`);
    return resource;
  }

  /** A live GET; undefined when absent. */
  async #getObject(id: ObjectIdentity, signal: AbortSignal): Promise<KubeObject | undefined> {
    const resource = this.#resourceOf(id);
    const namespace = resource.namespaced ? id.namespace : '';
    try {
      return await this.#ctx.client.get(pathOf(resource, namespace, id.name), { signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #patchOwnerReferences(id: ObjectIdentity, latest: KubeObject, refs: OwnerReference[], signal: AbortSignal): Promise<void> {
    const resource = this.#resourceOf(id);
    // uid and resourceVersion make the patch a compare-and-swap: a conflict requeues with fresh state.
    await this.#ctx.client.patch(
      pathOf(resource, id.namespace, id.name),
      'merge',
      { metadata: { uid: latest.metadata.uid, resourceVersion: latest.metadata.resourceVersion, ownerReferences: refs.length > 0 ? refs : null } },
      { signal },
    );
  }

  async #removeFinalizer(id: ObjectIdentity, finalizer: string, signal: AbortSignal): Promise<void> {
    const resource = this.#resourceOf(id);
    for (let attempt = 0; ; attempt++) {
      const latest = await this.#getObject(id, signal);
      if (!latest || latest.metadata.uid !== id.uid || !hasFinalizer(latest, finalizer)) return;
      const rest = (latest.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      try {
        await this.#ctx.client.patch(
          pathOf(resource, id.namespace, id.name),
          'merge',
          { metadata: { uid: latest.metadata.uid, resourceVersion: latest.metadata.resourceVersion, finalizers: rest.length > 0 ? rest : null } },
          { signal },
        );
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }

  /**
   * Deletes with uid and resourceVersion preconditions; when only the
   * resourceVersion moved and the ownerReferences did not, the decision still
   * holds and the delete is retried with the uid alone (as kube's deleteObject).
   */
  async #deleteObject(id: ObjectIdentity, latest: KubeObject, policy: 'Background' | 'Foreground' | 'Orphan', signal: AbortSignal): Promise<void> {
    const resource = this.#resourceOf(id);
    const path = pathOf(resource, id.namespace, id.name);
    try {
      await this.#ctx.client.delete(path, { propagationPolicy: policy, preconditions: { uid: id.uid, resourceVersion: latest.metadata.resourceVersion! }, signal });
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err)) throw err;
      const now = await this.#getObject(id, signal);
      if (!now || now.metadata.uid !== id.uid) return;
      if (!isDeepStrictEqual(now.metadata.ownerReferences ?? [], latest.metadata.ownerReferences ?? [])) throw err;
      try {
        await this.#ctx.client.delete(path, { propagationPolicy: policy, preconditions: { uid: id.uid }, signal });
      } catch (again) {
        if (!isNotFound(again)) throw again;
      }
    }
  }

  #rememberAbsent(key: string): void {
    this.#absentOwners.delete(key);
    this.#absentOwners.set(key, true);
    while (this.#absentOwners.size > this.#absentOwnerCacheSize) {
      const oldest = this.#absentOwners.keys().next().value;
      if (oldest === undefined) break;
      this.#absentOwners.delete(oldest);
    }
  }
}

