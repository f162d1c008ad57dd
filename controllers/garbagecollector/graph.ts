/**
 * The garbage collector's dependency graph (kube garbagecollector/graph.go):
 * one node per object that owns or is owned, keyed by uid. A node is
 * "virtual" when it was only named by some dependent's ownerReference and the
 * informers have not shown the object itself (it may not exist at all).
 */
import type { OwnerReference } from '../../client/api/meta.ts';

/** Where an object lives: an ownerReference plus the namespace it resolves to. */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** `''` for cluster-scoped objects. */
  namespace: string;
}

export function identityString(id: ObjectIdentity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

export class GraphNode {
  identity: ObjectIdentity;
  readonly dependents = new Set<GraphNode>();
  /** The object's own ownerReferences as last observed. */
  owners: OwnerReference[];
  /** True once an informer delivered the object (false for virtual nodes). */
  observed: boolean;
  /** The object has a deletionTimestamp. */
  beingDeleted = false;
  /** The object has a deletionTimestamp and the foregroundDeletion finalizer. */
  deletingDependents = false;

  constructor(identity: ObjectIdentity, owners: OwnerReference[], observed: boolean) {
    this.identity = identity;
    this.owners = owners;
    this.observed = observed;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion=true (node.blockingDependents). */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      if (dep.owners.some((ref) => ref.uid === this.identity.uid && ref.blockOwnerDeletion === true)) out.push(dep);
    }
    return out;
  }
}

/** The uid → node map with the owner/dependent edges kept symmetric. */
export class DependencyGraph {
  readonly #uidToNode = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.#uidToNode.get(uid);
  }

  get size(): number {
    return this.#uidToNode.size;
  }

  nodes(): IterableIterator<GraphNode> {
    return this.#uidToNode.values();
  }

  add(node: GraphNode): void {
    this.#uidToNode.set(node.identity.uid, node);
  }

  /** Removes `node` and its edges to its owners; its dependents keep their references (they are re-checked). */
  remove(node: GraphNode): void {
    this.#uidToNode.delete(node.identity.uid);
    for (const ref of node.owners) this.#uidToNode.get(ref.uid)?.dependents.delete(node);
  }
}
