/**
 * The REST semantics shared by every kind (as kubernetes' genericregistry.Store):
 * create/get/list/update/patch/delete/watch over a Storage, driven entirely by the
 * kind's ResourceDefinition (strategy, schema, selectors, patch metadata).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { KubeList, KubeObject } from '../../client/api/meta.ts';
import { metaNow } from '../../client/api/meta-time.ts';
import {
  type GroupResource,
  newBadRequest,
  newConflict,
  newInvalid,
  newNotFound,
  optimisticLockMessage,
  StatusError,
} from '../errors/status-error.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../patch/strategic-merge-patch.ts';
import type { ListOptions, Preconditions, Storage, Watcher } from '../storage/interface.ts';
import { StorageError } from '../storage/interface.ts';
import type { NamespaceLister } from './namespace-lister.ts';
import { type SelectionQuery, selectionPredicate } from './selection-predicate.ts';
import { interpretStorageError } from './storage-errors.ts';
import { apiVersionOf, type ResourceDefinition, type Strategy } from './types.ts';
import { pruneUnknownFields, strictDecodingMessage } from './validation/unknown-fields.ts';
import { validateObject } from './validation/validate-object.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface ListQuery extends SelectionQuery {
  resourceVersion?: string | undefined;
  resourceVersionMatch?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
}

export interface WatchQuery extends SelectionQuery {
  resourceVersion?: string | undefined;
  allowWatchBookmarks?: boolean | undefined;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number | undefined;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground' | undefined;
  orphanDependents?: boolean | undefined;
  preconditions?: Preconditions | undefined;
  dryRun?: boolean | undefined;
}

export interface WriteOptions {
  dryRun?: boolean | undefined;
  /**
   * What to do with fields the kind does not have (?fieldValidation): they are dropped in every
   * mode, as decoding into the kind's type drops them; Warn (the default) adds a warning, Strict
   * refuses the write with 400.
   */
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict' | undefined;
  /** Collects the warnings for the response's Warning headers. */
  warnings?: string[] | undefined;
  /**
   * Subresource written through: '' (main resource), 'status', or a handler that
   * makes its own checks and writes spec and status together (binding, finalize).
   */
  subresource?: '' | 'status' | 'binding' | 'finalize' | undefined;
}

/** Writes whose body is the kind itself (the resource or its status), as opposed to binding or finalize. */
function decodesKind(opts: WriteOptions): boolean {
  return !opts.subresource || opts.subresource === 'status';
}

/** Outcome of DELETE: `deleted` is false when finalizers or a grace period keep the object. */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

/** Called with the outcome of the write a Begin hook prepared: true = stored, false = failed (undo). */
export type FinishFunc = (success: boolean) => Promise<void>;

const finishNothing: FinishFunc = async () => undefined;

/**
 * Kind-specific work around the generic REST flow that needs cluster-wide
 * state (as genericregistry.Store's BeginCreate/BeginUpdate/AfterDelete; the
 * Service REST allocates ClusterIPs and NodePorts through them). Begin hooks
 * run after the strategy's defaults and prepare step and before validation,
 * may mutate the object, and return a FinishFunc that is always called.
 */
export interface StoreHooks {
  beginCreate?(obj: KubeObject, opts: { dryRun: boolean }): Promise<FinishFunc>;
  /** Main-resource updates only (not /status); may run more than once when the write races. */
  beginUpdate?(obj: KubeObject, old: KubeObject, opts: { dryRun: boolean }): Promise<FinishFunc>;
  /** After the object is gone from storage. */
  afterDelete?(obj: KubeObject): Promise<void>;
}

const foregroundDeletionFinalizer = 'foregroundDeletion';
const orphanFinalizer = 'orphan';


const generateNameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** Five random characters, as apiserver's names.SimpleNameGenerator. */
function randomSuffix(): string {
  const bytes = randomBytes(5);
  let out = '';
  for (const b of bytes) out += generateNameAlphabet[b % generateNameAlphabet.length];
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class GenericStore {
  readonly def: ResourceDefinition;
  readonly gr: GroupResource;
  readonly apiVersion: string;
  readonly #storage: Storage;
  readonly #namespaces: NamespaceLister;
  readonly #prefix: string;
  readonly #hooks: StoreHooks;

  constructor(def: ResourceDefinition, storage: Storage, namespaces: NamespaceLister, hooks: StoreHooks = {}) {
    this.#hooks = hooks;
    this.def = def;
    this.gr = { group: def.group, resource: def.plural };
    this.apiVersion = apiVersionOf(def);
    this.#storage = storage;
    this.#namespaces = namespaces;
    // Built-in kinds live under /registry/<plural>/ whatever their group, as in Kubernetes.
    this.#prefix = `/registry/${def.plural}/`;
  }

  key(namespace: string | undefined, name: string): string {
    return this.def.namespaced ? `${this.#prefix}${namespace}/${name}` : `${this.#prefix}${name}`;
  }

  /** Prefix for list/watch: one namespace, or all of them. */
  prefix(namespace: string | undefined): string {
    return this.def.namespaced && namespace ? `${this.#prefix}${namespace}/` : this.#prefix;
  }

  #strategy(subresource: WriteOptions['subresource']): Strategy {
    if (subresource === 'status') {
      if (!this.def.statusStrategy) throw newNotFound(this.gr, 'status');
      return this.def.statusStrategy;
    }
    if (subresource === 'binding' || subresource === 'finalize') return {};
    return this.def.strategy;
  }

  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    try {
      return await this.#storage.get(this.key(namespace, name));
    } catch (err) {
      throw interpretStorageError(err, this.gr, name);
    }
  }

  async list(namespace: string | undefined, query: ListQuery): Promise<KubeList> {
    const predicate = selectionPredicate(this.def, query);
    const opts: ListOptions = {};
    if (query.resourceVersion !== undefined) opts.resourceVersion = query.resourceVersion;
    if (query.resourceVersionMatch !== undefined) {
      if (query.resourceVersionMatch !== 'NotOlderThan' && query.resourceVersionMatch !== 'Exact') {
        throw newBadRequest(`resourceVersionMatch: Unsupported value: "${query.resourceVersionMatch}": supported values: "Exact", "NotOlderThan"`);
      }
      if (!query.resourceVersion) {
        throw newBadRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
      }
      opts.resourceVersionMatch = query.resourceVersionMatch;
    }
    if (query.limit !== undefined && query.limit > 0) opts.limit = query.limit;
    if (query.continue) {
      if (query.resourceVersion && query.resourceVersion !== '0') {
        throw newBadRequest('specifying resource version is not allowed when using continue');
      }
      opts.continue = query.continue;
    }
    if (predicate) opts.predicate = predicate;
    let result;
    try {
      result = await this.#storage.list(this.prefix(namespace), opts);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Expired' && query.continue) {
        throw new StatusError(410, 'Expired', err.message);
      }
      throw interpretStorageError(err, this.gr, '');
    }
    const metadata: KubeList['metadata'] = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata.continue = result.continue;
    if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
    return { kind: this.def.listKind, apiVersion: this.apiVersion, metadata, items: result.items };
  }

  async watch(namespace: string | undefined, query: WatchQuery, signal: AbortSignal): Promise<Watcher> {
    const predicate = selectionPredicate(this.def, query);
    try {
      return await this.#storage.watch(this.prefix(namespace), {
        signal,
        ...(query.resourceVersion !== undefined ? { resourceVersion: query.resourceVersion } : {}),
        ...(predicate ? { predicate } : {}),
        ...(query.allowWatchBookmarks ? { allowBookmarks: true } : {}),
      });
    } catch (err) {
      throw interpretStorageError(err, this.gr, '');
    }
  }

  /** Checks apiVersion/kind of a decoded body against this endpoint. */
  #checkTypeMeta(body: unknown): KubeObject {
    if (!isPlainObject(body)) {
      throw newBadRequest('the body of the request must be a JSON or YAML object');
    }
    const obj = body as KubeObject;
    if (obj.apiVersion !== undefined && obj.apiVersion !== this.apiVersion) {
      throw newBadRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${this.apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== this.def.kind) {
      throw newBadRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${this.def.kind})`);
    }
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isPlainObject(obj.metadata)) {
      throw newInvalid(this.def.group, this.def.kind, '', [{ type: 'TypeInvalid', path: 'metadata', value: obj.metadata, detail: 'must be an object' }]);
    }
    obj.apiVersion = this.apiVersion;
    obj.kind = this.def.kind;
    return obj;
  }

  #checkNamespace(obj: KubeObject, namespace: string | undefined): void {
    if (!this.def.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && obj.metadata.namespace !== namespace) {
      throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (namespace !== undefined) obj.metadata.namespace = namespace;
  }

  /**
   * Drops the fields the kind does not have from a decoded body (or a patch's result) and applies
   * fieldValidation. The messages are apiserver's: a body that does not decode is "cannot be handled".
   */
  #decodeFields(obj: unknown, opts: WriteOptions, from: 'body' | 'patch'): void {
    const unknown = pruneUnknownFields(this.def.model, obj);
    if (unknown.length === 0) return;
    const mode = opts.fieldValidation ?? 'Warn';
    if (mode === 'Strict') {
      const strict = strictDecodingMessage(unknown);
      const kind = this.def.kind;
      throw newBadRequest(from === 'body' ? `${kind} in version "${this.def.version}" cannot be handled as a ${kind}: ${strict}` : strict);
    }
    if (mode === 'Warn' && opts.warnings) {
      for (const path of unknown) {
        const warning = `unknown field "${path}"`;
        if (!opts.warnings.includes(warning)) opts.warnings.push(warning);
      }
    }
  }

  #validate(obj: KubeObject, old?: KubeObject, strategy: Strategy = this.def.strategy): void {
    const errs = validateObject(this.def, obj, old, strategy);
    if (errs.length > 0) throw newInvalid(this.def.group, this.def.kind, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
  }

  async create(namespace: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = this.#checkTypeMeta(body);
    this.#decodeFields(obj, opts, 'body');
    this.#checkNamespace(obj, namespace);
    const meta = obj.metadata;
    const generated = !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '';
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    meta.uid = randomUUID();
    meta.creationTimestamp = metaNow();
    // generation is the strategy's to set (apps kinds start at 1), never the client's.
    delete meta.generation;
    if (generated) meta.name = `${meta.generateName}${randomSuffix()}`;
    this.def.strategy.defaults?.(obj);
    this.def.strategy.prepareForCreate?.(obj);
    const finish = (await this.#hooks.beginCreate?.(obj, { dryRun: opts.dryRun === true })) ?? finishNothing;
    let created: KubeObject;
    try {
      created = await this.#createValidated(namespace, obj, generated, opts);
    } catch (err) {
      await finish(false);
      throw err;
    }
    await finish(true);
    return created;
  }

  async #createValidated(namespace: string | undefined, obj: KubeObject, generated: boolean, opts: WriteOptions): Promise<KubeObject> {
    const meta = obj.metadata;
    this.#validate(obj);
    if (this.def.namespaced && namespace !== undefined) await this.#namespaces.admitCreate(namespace);
    if (opts.dryRun) return obj;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#storage.create(this.key(namespace, meta.name!), obj);
      } catch (err) {
        if (generated && err instanceof StorageError && err.code === 'KeyExists' && attempt < 3) {
          meta.name = `${meta.generateName}${randomSuffix()}`;
          continue;
        }
        throw interpretStorageError(err, this.gr, meta.name!);
      }
    }
  }

  /** Runs the AfterDelete hook; a failure there must not fail a delete that already happened. */
  async #afterDelete(obj: KubeObject): Promise<void> {
    try {
      await this.#hooks.afterDelete?.(obj);
    } catch {
      // A leaked allocation is what kube's repair controllers exist for.
    }
  }

  /**
   * The shared read-modify-write behind PUT and PATCH: `compute` produces the
   * desired object from (a copy of) the current one; the strategy, validation,
   * optimistic concurrency and deletion completion apply uniformly.
   */
  async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    opts: WriteOptions,
    compute: (current: KubeObject) => unknown,
  ): Promise<KubeObject> {
    const strategy = this.#strategy(opts.subresource);
    const key = this.key(namespace, name);
    let dryRunResult: KubeObject | undefined;
    let stored: KubeObject;
    const beginUpdate = opts.subresource ? undefined : this.#hooks.beginUpdate?.bind(this.#hooks);
    let finishUpdate: FinishFunc = finishNothing;
    try {
      stored = await this.#storage.guaranteedUpdate(key, async (current) => {
        const obj = this.#checkTypeMeta(compute(structuredClone(current)));
        this.#checkNamespace(obj, namespace);
        const meta = obj.metadata;
        if (meta.name !== undefined && meta.name !== name) {
          throw newBadRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
        }
        meta.name = name;
        if (meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) {
          throw newConflict(this.gr, name, optimisticLockMessage);
        }
        if (meta.uid && meta.uid !== current.metadata.uid) {
          throw newConflict(this.gr, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${current.metadata.uid}`);
        }
        // System-owned metadata the client cannot change (as rest.FillObjectMetaSystemFields).
        meta.uid = current.metadata.uid!;
        meta.creationTimestamp = current.metadata.creationTimestamp!;
        if (current.metadata.deletionTimestamp) meta.deletionTimestamp = current.metadata.deletionTimestamp;
        else delete meta.deletionTimestamp;
        if (current.metadata.deletionGracePeriodSeconds !== undefined) {
          meta.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
        } else delete meta.deletionGracePeriodSeconds;
        delete meta.managedFields;
        delete meta.generateName;
        if (current.metadata.generateName) meta.generateName = current.metadata.generateName;
        if (current.metadata.deletionTimestamp && (meta.finalizers?.length ?? 0) > (current.metadata.finalizers?.length ?? 0)) {
          const added = (meta.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
          if (added.length > 0) {
            throw newInvalid(this.def.group, this.def.kind, name, [
              { type: 'Forbidden', path: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` },
            ]);
          }
        }
        // generation starts from the stored one; the strategy bumps it when the desired state changes (as rest.BeforeUpdate).
        if (current.metadata.generation !== undefined) meta.generation = current.metadata.generation;
        else delete meta.generation;
        strategy.defaults?.(obj);
        strategy.prepareForUpdate?.(obj, current);
        if (beginUpdate) {
          // A retried closure undoes the previous attempt's allocations first (as Store.Update).
          const previous = finishUpdate;
          finishUpdate = finishNothing;
          await previous(false);
          finishUpdate = await beginUpdate(obj, current, { dryRun: opts.dryRun === true });
        }
        this.#validate(obj, opts.subresource === 'binding' || opts.subresource === 'finalize' ? undefined : current, strategy);
        if (opts.dryRun) {
          dryRunResult = obj;
          return undefined;
        }
        delete meta.resourceVersion;
        return obj;
      });
    } catch (err) {
      await finishUpdate(false);
      throw interpretStorageError(err, this.gr, name);
    }
    await finishUpdate(true);
    if (dryRunResult) return dryRunResult;
    // Removing the last finalizer of an object being deleted completes the deletion.
    if (
      stored.metadata.deletionTimestamp &&
      (stored.metadata.finalizers?.length ?? 0) === 0 &&
      !stored.metadata.deletionGracePeriodSeconds &&
      !this.def.strategy.finalizationPending?.(stored)
    ) {
      try {
        const deleted = await this.#storage.delete(key, { resourceVersion: stored.metadata.resourceVersion! });
        await this.#afterDelete(deleted);
        return deleted;
      } catch (err) {
        if (err instanceof StorageError && (err.code === 'KeyNotFound' || err.code === 'ResourceVersionConflict')) return stored;
        throw interpretStorageError(err, this.gr, name);
      }
    }
    return stored;
  }

  /** PUT. Returns the stored object and whether it was created (allowCreateOnUpdate kinds). */
  async update(namespace: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): Promise<{ object: KubeObject; created: boolean }> {
    try {
      const object = await this.guaranteedUpdate(namespace, name, opts, () => {
        const obj = structuredClone(body);
        if (decodesKind(opts)) this.#decodeFields(obj, opts, 'body');
        return obj;
      });
      return { object, created: false };
    } catch (err) {
      if (err instanceof StatusError && err.code === 404 && err.details?.name === name && this.def.strategy.allowCreateOnUpdate && !opts.subresource) {
        const obj = this.#checkTypeMeta(structuredClone(body));
        obj.metadata.name ??= name;
        return { object: await this.create(namespace, obj, opts), created: true };
      }
      throw err;
    }
  }

  async patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const apply = (current: KubeObject): unknown => {
      switch (type) {
        case 'json':
          return applyJsonPatch(current, patch);
        case 'merge':
          return applyMergePatch(current, patch);
        case 'strategic':
          return applyStrategicMergePatch(current, patch, this.def.patchMeta);
        case 'apply':
          return applyStrategicMergePatch(current, patch, this.def.patchMeta);
      }
    };
    if (type !== 'json' && !isPlainObject(patch)) {
      throw newBadRequest('the body of the patch must be a JSON or YAML object');
    }
    try {
      const object = await this.guaranteedUpdate(namespace, name, opts, (current) => {
        const result = apply(current);
        // A patch never clears the object's resourceVersion precondition unless it names one.
        if (isPlainObject(result) && isPlainObject(result.metadata) && isPlainObject(patch)) {
          const patchMeta = (patch as KubeObject).metadata;
          if (!isPlainObject(patchMeta) || patchMeta.resourceVersion === undefined) {
            result.metadata.resourceVersion = current.metadata.resourceVersion;
          }
        }
        if (decodesKind(opts)) this.#decodeFields(result, opts, 'patch');
        return result;
      });
      return { object, created: false };
    } catch (err) {
      // Server-side apply creates what does not exist yet.
      if (type === 'apply' && err instanceof StatusError && err.code === 404 && err.details?.name === name && !opts.subresource) {
        const obj = this.#checkTypeMeta(structuredClone(patch));
        obj.metadata.name ??= name;
        return { object: await this.create(namespace, obj, opts), created: true };
      }
      throw err;
    }
  }

  async delete(namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    const key = this.key(namespace, name);
    const preconditions = options.preconditions;
    const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : undefined);
    let current: KubeObject;
    try {
      current = await this.#storage.get(key);
    } catch (err) {
      throw interpretStorageError(err, this.gr, name);
    }
    this.#checkPreconditions(current, name, preconditions);
    const grace = this.def.strategy.gracePeriodSeconds?.(current, options.gracePeriodSeconds) ?? 0;
    const wantFinalizer = policy === 'Foreground' ? foregroundDeletionFinalizer : policy === 'Orphan' ? orphanFinalizer : undefined;
    const strategy = this.def.strategy;
    const hasFinalizers =
      (current.metadata.finalizers?.length ?? 0) > 0 || wantFinalizer !== undefined || (strategy.finalizationPending?.(current) ?? false);
    if (!hasFinalizers && grace === 0) {
      if (options.dryRun) return { object: current, deleted: true };
      try {
        const deleted = await this.#storage.delete(key, preconditions, (latest) => this.#checkPreconditions(latest, name, preconditions));
        await this.#afterDelete(deleted);
        return { object: deleted, deleted: true };
      } catch (err) {
        throw interpretStorageError(err, this.gr, name);
      }
    }
    // Graceful deletion and/or finalizers: mark the object, let its owner finish (as BeforeDelete + updateForGracefulDeletionAndFinalizers).
    if (options.dryRun) return { object: current, deleted: false };
    let outcome: DeleteResult | undefined;
    try {
      const stored = await this.#storage.guaranteedUpdate(key, (latest) => {
        this.#checkPreconditions(latest, name, preconditions);
        const obj = structuredClone(latest);
        const meta = obj.metadata;
        if (wantFinalizer) {
          const finalizers = (meta.finalizers ?? []).filter((f) => f !== foregroundDeletionFinalizer && f !== orphanFinalizer);
          if (!meta.deletionTimestamp || (meta.finalizers ?? []).includes(wantFinalizer)) finalizers.push(wantFinalizer);
          meta.finalizers = finalizers;
        }
        const now = Date.now();
        if (!meta.deletionTimestamp) {
          meta.deletionTimestamp = metaNow(new Date(now + grace * 1000));
          meta.deletionGracePeriodSeconds = grace;
          strategy.prepareForDelete?.(obj);
        } else if (meta.deletionGracePeriodSeconds !== undefined && grace < meta.deletionGracePeriodSeconds) {
          // A shorter grace period may replace a longer one, never the reverse.
          meta.deletionTimestamp = metaNow(new Date(now + grace * 1000));
          meta.deletionGracePeriodSeconds = grace;
        }
        if ((meta.finalizers?.length ?? 0) === 0 && meta.deletionGracePeriodSeconds === 0 && !strategy.finalizationPending?.(obj)) {
          outcome = { object: latest, deleted: true };
          return undefined;
        }
        if (isDeepStrictEqual(obj, latest)) return undefined;
        delete meta.resourceVersion;
        return obj;
      });
      if (outcome?.deleted) {
        const deleted = await this.#storage.delete(key, { resourceVersion: stored.metadata.resourceVersion! });
        await this.#afterDelete(deleted);
        return { object: deleted, deleted: true };
      }
      return { object: stored, deleted: false };
    } catch (err) {
      throw interpretStorageError(err, this.gr, name);
    }
  }

  #checkPreconditions(obj: KubeObject, name: string, preconditions: Preconditions | undefined): void {
    if (!preconditions) return;
    if (preconditions.uid && preconditions.uid !== obj.metadata.uid) {
      throw newConflict(this.gr, name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (preconditions.resourceVersion && preconditions.resourceVersion !== obj.metadata.resourceVersion) {
      throw newConflict(
        this.gr,
        name,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      );
    }
  }

  /** DELETE on the collection: deletes every object the selectors match; returns them. */
  async deleteCollection(namespace: string | undefined, query: ListQuery, options: DeleteOptions): Promise<KubeList> {
    const list = await this.list(namespace, { ...query, resourceVersion: undefined, limit: undefined, continue: undefined });
    const items: KubeObject[] = [];
    for (const item of list.items) {
      try {
        const res = await this.delete(item.metadata.namespace, item.metadata.name!, options);
        items.push(res.object);
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) continue;
        throw err;
      }
    }
    return { ...list, items };
  }
}
