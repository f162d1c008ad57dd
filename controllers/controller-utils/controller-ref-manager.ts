/**
 * Adoption and release of dependents (pkg/controller controller_ref_manager.go
 * BaseControllerRefManager.ClaimObject): a controller owns the objects whose
 * controller ownerReference names its UID. Orphans matching its selector are
 * adopted, owned objects that no longer match are released, and objects owned
 * by another controller are left alone. Both writes are strategic merge
 * patches carrying the dependent's UID, so a patch never lands on a namesake
 * that replaced the object the controller saw.
 */
import type { KubeObject, OwnerReference } from '../../client/api/meta.ts';
import type { LabelSelector } from '../../client/labels/selector.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import type { ResourcePath } from '../../client/rest/resource-path.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';

/** The controller ownerReference of `obj`, if any (metav1.GetControllerOf). */
export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export interface ControllerKind {
  apiVersion: string;
  kind: string;
}

/** metav1.NewControllerRef: controller and blockOwnerDeletion both true. */
export function newControllerRef(owner: KubeObject, kind: ControllerKind): OwnerReference {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

export interface ControllerRefManagerOptions {
  client: RestClient;
  /** The controller doing the claiming, as read from its lister. */
  controller: KubeObject;
  controllerKind: ControllerKind;
  selector: LabelSelector;
  /** Where the dependents live, e.g. pods. */
  dependents: Pick<ResourcePath, 'group' | 'version' | 'plural'>;
  /**
   * Checked once before the first adoption: throws when the controller is
   * gone or being deleted (RecheckDeletionTimestamp against a fresh read), so
   * a cached, already-deleted controller adopts nothing.
   */
  canAdopt: () => Promise<void>;
}

export class ControllerRefManager<T extends KubeObject> {
  readonly #opts: ControllerRefManagerOptions;
  #canAdopt: Promise<void> | undefined;

  constructor(opts: ControllerRefManagerOptions) {
    this.#opts = opts;
  }

  /**
   * The objects this controller owns after adopting and releasing (ClaimPods /
   * ClaimReplicaSets). `filter` narrows what counts as a match beyond the
   * selector. Throws an AggregateError after trying every object if any
   * adoption or release failed for a reason other than NotFound.
   */
  async claim(objects: readonly T[], filter?: (obj: T) => boolean): Promise<T[]> {
    const claimed: T[] = [];
    const errors: unknown[] = [];
    const uid = this.#opts.controller.metadata.uid;
    const controllerDeleting = Boolean(this.#opts.controller.metadata.deletionTimestamp);
    const match = (obj: T) => this.#opts.selector.matches(obj.metadata.labels) && (filter?.(obj) ?? true);
    await Promise.all(
      objects.map(async (obj) => {
        const ref = getControllerOf(obj);
        try {
          if (ref) {
            if (ref.uid !== uid) return;
            if (match(obj)) {
              claimed.push(obj);
              return;
            }
            if (controllerDeleting) return;
            await this.#release(obj);
            return;
          }
          if (controllerDeleting || !match(obj) || obj.metadata.deletionTimestamp) return;
          if (this.#opts.controller.metadata.namespace && this.#opts.controller.metadata.namespace !== obj.metadata.namespace) return;
          await this.#adopt(obj);
          claimed.push(obj);
        } catch (err) {
          if (!isNotFound(err)) errors.push(err);
        }
      }),
    );
    if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '));
    return claimed;
  }

  #path(obj: T): ResourcePath {
    return { ...this.#opts.dependents, namespace: obj.metadata.namespace!, name: obj.metadata.name! };
  }

  async #adopt(obj: T): Promise<void> {
    this.#canAdopt ??= this.#opts.canAdopt();
    try {
      await this.#canAdopt;
    } catch (err) {
      const { kind } = this.#opts.controllerKind;
      throw new Error(`can't adopt ${this.#opts.dependents.plural} ${obj.metadata.namespace}/${obj.metadata.name} (${obj.metadata.uid}): ${kind} ${this.#opts.controller.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ref = newControllerRef(this.#opts.controller, this.#opts.controllerKind);
    await this.#opts.client.patch(this.#path(obj), 'strategic', { metadata: { ownerReferences: [ref], uid: obj.metadata.uid } });
  }

  async #release(obj: T): Promise<void> {
    try {
      await this.#opts.client.patch(this.#path(obj), 'strategic', {
        metadata: { ownerReferences: [{ $patch: 'delete', uid: this.#opts.controller.metadata.uid }], uid: obj.metadata.uid },
      });
    } catch (err) {
      // Gone, or already released by someone else (the patch then finds nothing to delete): both are fine.
      if (err instanceof ApiError && (err.code === 404 || err.code === 422)) return;
      throw err;
    }
  }
}

/**
 * A canAdopt check for ControllerRefManager: re-reads the controller and
 * refuses when it was replaced (other UID) or is being deleted.
 */
export function recheckDeletionTimestamp(client: RestClient, path: ResourcePath, uid: string | undefined): () => Promise<void> {
  return async () => {
    const fresh = await client.get(path);
    if (fresh.metadata.uid !== uid) throw new Error(`original ${path.plural} ${path.namespace}/${path.name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`);
    if (fresh.metadata.deletionTimestamp) throw new Error(`${path.namespace}/${path.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
  };
}
