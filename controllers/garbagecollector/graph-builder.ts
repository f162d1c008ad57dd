/**
 * Keeps the dependency graph in step with the informers and decides what the
 * workers must look at (kube garbagecollector/graph_builder.go
 * processGraphChanges). JavaScript runs one handler at a time, so graph
 * changes are applied inside the informer callbacks instead of through a
 * separate graphChanges queue: each callback only edits the graph and
 * enqueues uids, which is what kube's single graph goroutine does.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, OwnerReference } from '../../client/api/meta.ts';
import { type DiscoveredResource, apiVersionOf, groupVersionOf, type ResourceMapper } from '../../client/discovery/resource-discovery.ts';
import { DependencyGraph, GraphNode, type ObjectIdentity } from './graph.ts';

export const foregroundDeletionFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

function beingDeleted(obj: KubeObject | undefined): boolean {
  return obj?.metadata.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}

function deletingDependents(obj: KubeObject | undefined): boolean {
  return obj !== undefined && beingDeleted(obj) && hasFinalizer(obj, foregroundDeletionFinalizer);
}

function orphaningDependents(obj: KubeObject | undefined): boolean {
  return obj !== undefined && beingDeleted(obj) && hasFinalizer(obj, orphanFinalizer);
}

/** The queues the builder feeds (uids). */
export interface GraphQueues {
  attemptToDelete(uid: string): void;
  attemptToOrphan(uid: string): void;
}

/**
 * Where an owner named by `ref` from a dependent in `dependentNamespace` lives:
 * namespaced owners are looked up in the dependent's namespace, cluster-scoped
 * owners at cluster scope. A kind discovery does not know yet is guessed to be
 * in the dependent's namespace; workers re-resolve it before trusting it.
 */
export function ownerIdentity(ref: OwnerReference, dependentNamespace: string, mapper: ResourceMapper): ObjectIdentity {
  const resource = mapper.resourceFor(ref.apiVersion, ref.kind);
  const namespace = resource && !resource.namespaced ? '' : dependentNamespace;
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace };
}

function referenceMatchesCoordinates(ref: OwnerReference, id: ObjectIdentity): boolean {
  return ref.kind === id.kind && ref.name === id.name && groupVersionOf(ref.apiVersion).group === groupVersionOf(id.apiVersion).group;
}

export class GraphBuilder {
  readonly graph = new DependencyGraph();
  readonly #mapper: ResourceMapper;
  readonly #queues: GraphQueues;

  constructor(mapper: ResourceMapper, queues: GraphQueues) {
    this.#mapper = mapper;
    this.#queues = queues;
  }

  /** An informer saw `obj` (of `resource`) added or updated; `old` is its previous state when known. */
  observe(resource: DiscoveredResource, obj: KubeObject, old?: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid || !obj.metadata.name) return;
    const identity: ObjectIdentity = {
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      name: obj.metadata.name,
      uid,
      namespace: obj.metadata.namespace ?? '',
    };
    const owners = structuredClone(obj.metadata.ownerReferences ?? []);
    let node = this.graph.get(uid);
    let oldOwners: OwnerReference[] = [];
    if (!node) {
      node = new GraphNode(identity, [], true);
      this.graph.add(node);
    } else {
      if (!node.observed) {
        // A virtual node became real: its dependents named it by coordinates that may have been guessed; let them re-check.
        node.observed = true;
        for (const dep of node.dependents) this.#queues.attemptToDelete(dep.identity.uid);
      }
      node.identity = identity;
      oldOwners = node.owners;
    }
    this.#updateOwners(node, oldOwners, owners);
    node.beingDeleted = beingDeleted(obj);
    node.deletingDependents = deletingDependents(obj);
    this.#processTransitions(old, obj, node);
  }

  /** An informer saw `obj` deleted (possibly via a tombstone). */
  forget(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const node = this.graph.get(uid);
    if (!node) return;
    this.#removeAndNotify(node);
  }

  /**
   * A worker found that a virtual node's object does not exist: drop it and
   * let its dependents find out (kube's virtual delete event).
   */
  forgetVirtual(node: GraphNode): void {
    if (node.observed || this.graph.get(node.identity.uid) !== node) return;
    this.#removeAndNotify(node);
  }

  #removeAndNotify(node: GraphNode): void {
    this.graph.remove(node);
    for (const dep of node.dependents) this.#queues.attemptToDelete(dep.identity.uid);
    // An owner waiting for its dependents may be able to finish now.
    for (const ref of node.owners) {
      const owner = this.graph.get(ref.uid);
      if (owner?.deletingDependents) this.#queues.attemptToDelete(owner.identity.uid);
    }
  }

  #updateOwners(node: GraphNode, oldOwners: OwnerReference[], newOwners: OwnerReference[]): void {
    if (isDeepStrictEqual(oldOwners, newOwners)) return;
    const oldByUid = new Map(oldOwners.map((r) => [r.uid, r]));
    const newByUid = new Map(newOwners.map((r) => [r.uid, r]));
    node.owners = newOwners;
    let potentiallyInvalid = false;
    for (const ref of newOwners) {
      if (oldByUid.has(ref.uid)) continue;
      let owner = this.graph.get(ref.uid);
      if (!owner) {
        // Named but not seen: a virtual node the workers verify with a live GET.
        owner = new GraphNode(ownerIdentity(ref, node.identity.namespace, this.#mapper), [], false);
        this.graph.add(owner);
        this.#queues.attemptToDelete(owner.identity.uid);
      } else if (owner.identity.namespace !== '' && owner.identity.namespace !== node.identity.namespace) {
        // A namespaced owner must be in the dependent's namespace; cluster-scoped owners may be named from anywhere.
        potentiallyInvalid = true;
      } else if (!referenceMatchesCoordinates(ref, owner.identity)) {
        potentiallyInvalid = true;
      } else if (owner.identity.namespace === '' && node.identity.namespace !== '' && !owner.observed) {
        // A virtual "cluster-scoped" owner may really be a missing namespaced object (kube issue #98040).
        potentiallyInvalid = true;
      }
      owner.dependents.add(node);
    }
    // The dependent itself is verified: its references may never resolve (addDependentToOwners).
    if (potentiallyInvalid) this.#queues.attemptToDelete(node.identity.uid);
    for (const ref of oldOwners) {
      const now = newByUid.get(ref.uid);
      const owner = this.graph.get(ref.uid);
      if (!now) {
        owner?.dependents.delete(node);
        // A removed blocking reference may be what a foreground deletion waits for (addUnblockedOwnersToDeleteQueue).
        if (owner?.deletingDependents && ref.blockOwnerDeletion === true) this.#queues.attemptToDelete(owner.identity.uid);
      } else if (ref.blockOwnerDeletion === true && now.blockOwnerDeletion !== true && owner?.deletingDependents) {
        this.#queues.attemptToDelete(owner.identity.uid);
      }
    }
  }

  #processTransitions(old: KubeObject | undefined, obj: KubeObject, node: GraphNode): void {
    if (orphaningDependents(obj) && !orphaningDependents(old)) {
      this.#queues.attemptToOrphan(node.identity.uid);
      return;
    }
    if (deletingDependents(obj) && !deletingDependents(old)) {
      for (const dep of node.dependents) this.#queues.attemptToDelete(dep.identity.uid);
      this.#queues.attemptToDelete(node.identity.uid);
    }
  }
}
