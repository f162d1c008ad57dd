/**
 * Storage over etcd v3 (as apiserver's storage/etcd3 store plus the cacher in
 * front of it). Values are the objects' JSON without metadata.resourceVersion,
 * which is the key's mod_revision and is set on every read.
 *
 * Reads that name a key (get, and the read half of guaranteedUpdate/delete) go
 * to etcd. Lists without `limit`/`continue` and all watches are served by one
 * WatchCache per resource prefix; paginated and Exact lists read etcd at a
 * revision, as the cacher delegates them.
 *
 * Transactions (every write) run on a worker thread with its own lean gRPC
 * client (txn-thread.ts, grpc-txn-client.ts), so the work of writes leaves
 * the event loop.
 *
 * Objects returned by list and watch are shared with the watch cache: treat
 * them as read-only (clone before mutating). get/create/update/delete return
 * fresh objects.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { noop as noopPolicy } from 'cockatiel';
import { Etcd3, type IRangeResponse } from 'etcd3';
import type { KubeObject } from '../../../client/api/meta.ts';
import { newBadRequest } from '../../errors/status-error.ts';
import {
  type ListOptions,
  type ListResult,
  type Preconditions,
  type Storage,
  StorageError,
  type TryUpdate,
  type Watcher,
  type WatchOptions,
} from '../interface.ts';
import { Compactor } from './compactor.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { TxnThread } from './txn-thread.ts';
import { prefixRangeEnd, resourcePrefix } from './keys.ts';
import { decodeValue, isCompactedError, isFutureRevisionError, type StoredKeyValue, WatchCache } from './watch-cache.ts';

export interface Etcd3StorageOptions {
  /** etcd client URLs, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  /** Observes every etcd call (feeds etcd_request_duration_seconds). */
  onEtcdCall?: (operation: string, key: string, seconds: number) => void;
  /** Compacts etcd's history this often (kube-apiserver's --etcd-compaction-interval); 0 or absent: never. */
  compactionIntervalMs?: number;
  /** A compaction round that failed (it is retried next interval). */
  onCompactionError?: (err: unknown) => void;
}

/** How long a list or watch waits for the cache to reach a requested revision (as the cacher's 3 s). */
const freshnessTimeoutMs = 3_000;
/** Upper bound of one etcd range while filling a page with a predicate (as etcd3 store maxLimit). */
const maxRangeLimit = 10_000;

const continueTooOldMessage =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
const resourceVersionTooOldMessage = 'The resourceVersion for the provided list is too old.';

/** The stored form: the object without resourceVersion. */
function encode(obj: KubeObject): string {
  const { resourceVersion: _ignored, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
}

function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw newBadRequest(`invalid resource version "${rv}"`);
  return Number(rv);
}

function conflict(key: string, message: string): StorageError {
  return new StorageError('ResourceVersionConflict', key, message);
}

function checkPreconditions(key: string, current: KubeObject, preconditions: Preconditions | undefined): void {
  if (!preconditions) return;
  if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
    throw conflict(key, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
  }
  if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(
      key,
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
    );
  }
}

interface UpdateState {
  /** The stored JSON (without resourceVersion). */
  value: string;
  modRevision: string;
  /** Read from etcd for this update, rather than guessed from the watch cache. */
  fresh: boolean;
  /** A private copy of the object, resourceVersion set. */
  object(): KubeObject;
}

export class Etcd3Storage implements Storage {
  readonly #client: Etcd3;
  readonly #onEtcdCall: Etcd3StorageOptions['onEtcdCall'];
  readonly #caches = new Map<string, WatchCache>();
  readonly #compactor: Compactor | undefined;
  /** Writes go through a second thread's client (see txn-thread.ts); reads and watches use #client. */
  readonly #txns: TxnThread;
  #closed = false;

  constructor(options: Etcd3StorageOptions) {
    // No circuit breaker and no blind retries: a breaker opened by a few compacted-revision errors would
    // fail every request with 503 for seconds, and retrying a transaction whose outcome is unknown could
    // turn a successful create into AlreadyExists. Callers see etcd's answer; clients retry as with Kubernetes.
    this.#client = new Etcd3({ hosts: options.endpoints, faultHandling: { host: () => noopPolicy, global: noopPolicy } });
    this.#onEtcdCall = options.onEtcdCall;
    this.#txns = new TxnThread(options.endpoints);
    if (options.compactionIntervalMs) {
      this.#compactor = new Compactor({
        client: this.#client,
        intervalMs: options.compactionIntervalMs,
        ...(options.onCompactionError ? { onError: options.onCompactionError } : {}),
      });
      this.#compactor.start();
    }
  }

  async #call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StorageError('Unavailable', key, 'storage is closed');
    const t0 = performance.now();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StorageError || isCompactedError(err) || isFutureRevisionError(err)) throw err;
      throw new StorageError('Unavailable', key, `etcd ${operation} ${key}: ${(err as Error).message}`);
    } finally {
      this.#onEtcdCall?.(operation, key, (performance.now() - t0) / 1000);
    }
  }

  #cache(prefix: string): WatchCache {
    const resource = resourcePrefix(prefix);
    let cache = this.#caches.get(resource);
    if (!cache || cache.stopped) {
      cache = new WatchCache({
        client: this.#client,
        prefix: resource,
        etcdCall: (op, key, fn) => this.#call(op, key, fn),
        currentRevision: () => this.currentRevision(),
        onStopped: (c) => {
          if (this.#caches.get(resource) === c) this.#caches.delete(resource);
        },
      });
      this.#caches.set(resource, cache);
    }
    return cache;
  }

  async #read(key: string): Promise<StoredKeyValue | undefined> {
    const res = await this.#call('get', key, () => this.#client.kv.range({ key: Buffer.from(key) }));
    return res.kvs[0];
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    const value = encode(obj);
    const res = await this.#call('create', key, () =>
      this.#txns.txn({ compare: [{ key, target: 'Create', revision: 0 }], success: [{ put: { key, value } }] }),
    );
    if (!res.succeeded) throw new StorageError('KeyExists', key, `key ${key} already exists`);
    // `value` is obj's JSON, so obj is what was stored: return it rather than parse a copy. The caller
    // hands over obj (a freshly decoded request body), as the create path does.
    obj.metadata.resourceVersion = res.revision;
    return obj;
  }

  async get(key: string): Promise<KubeObject> {
    const kv = await this.#read(key);
    if (!kv) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
    return decodeValue(kv);
  }

  async guaranteedUpdate(key: string, tryUpdate: TryUpdate, preconditions?: Preconditions): Promise<KubeObject> {
    // Start from the watch cache's copy when there is one (as the etcd3 store's cachedExistingObject):
    // it saves a read per update, and the mod_revision compare below catches a stale guess.
    let state = this.#cachedState(key) ?? this.#stateOf(key, await this.#read(key));
    for (;;) {
      if (!state) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      let updated: KubeObject | undefined;
      try {
        checkPreconditions(key, state.object(), preconditions);
        updated = await tryUpdate(state.object());
      } catch (err) {
        // A verdict reached on a possibly stale copy is only final on a fresh one.
        if (!state.fresh) {
          state = this.#stateOf(key, await this.#read(key));
          continue;
        }
        throw err;
      }
      const value = updated === undefined ? undefined : encode(updated);
      // A no-op update writes nothing and keeps the resourceVersion (as etcd3 store's GuaranteedUpdate).
      // Encodings of equal objects differ at most in key order, never in length: only same-length ones need the deep compare.
      if (value === undefined || value === state.value || (value.length === state.value.length && isDeepStrictEqual(JSON.parse(value), JSON.parse(state.value)))) {
        if (!state.fresh) {
          state = this.#stateOf(key, await this.#read(key));
          continue;
        }
        return state.object();
      }
      const revision = Number(state.modRevision);
      const res = await this.#call('update', key, () =>
        this.#txns.txn({ compare: [{ key, target: 'Mod', revision }], success: [{ put: { key, value } }], failure: [{ range: { key } }] }),
      );
      if (res.succeeded) {
        const stored = JSON.parse(value) as KubeObject;
        stored.metadata.resourceVersion = res.revision;
        return stored;
      }
      // Lost the race (or the guess was stale): retry against what the failed txn read.
      state = this.#stateOf(key, res.responses[0]?.[0]);
    }
  }

  /** A read-modify-write starting point: the stored value, its mod_revision, and whether it was read from etcd just now. */
  #stateOf(key: string, kv: StoredKeyValue | undefined): UpdateState | undefined {
    if (!kv) return undefined;
    return { value: kv.value.toString(), modRevision: kv.mod_revision, fresh: true, object: () => decodeValue(kv) };
  }

  #cachedState(key: string): UpdateState | undefined {
    const cached = this.#caches.get(resourcePrefix(key))?.peek(key);
    if (!cached?.metadata.resourceVersion) return undefined;
    const value = encode(cached);
    const resourceVersion = cached.metadata.resourceVersion;
    // Parsing the encoding we need anyway is cheaper than structuredClone of the cached object.
    return {
      value,
      modRevision: resourceVersion,
      fresh: false,
      object: () => {
        const copy = JSON.parse(value) as KubeObject;
        copy.metadata.resourceVersion = resourceVersion;
        return copy;
      },
    };
  }

  async delete(key: string, preconditions?: Preconditions, validateDeletion?: (current: KubeObject) => void | Promise<void>): Promise<KubeObject> {
    let kv: StoredKeyValue | undefined = await this.#read(key);
    for (;;) {
      if (!kv) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      const current = decodeValue(kv);
      checkPreconditions(key, current, preconditions);
      if (validateDeletion) await validateDeletion(decodeValue(kv));
      const revision = Number(kv.mod_revision);
      const res = await this.#call('delete', key, () =>
        this.#txns.txn({ compare: [{ key, target: 'Mod', revision }], success: [{ deleteRange: { key } }], failure: [{ range: { key } }] }),
      );
      if (res.succeeded) {
        current.metadata.resourceVersion = res.revision;
        return current;
      }
      kv = res.responses[0]?.[0];
    }
  }

  async list(prefix: string, opts: ListOptions): Promise<ListResult> {
    if (!prefix.endsWith('/')) prefix = `${prefix}/`;
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0;
    const predicate = opts.predicate;
    if (opts.continue) {
      const token = decodeContinue(opts.continue, prefix);
      return this.#listFromEtcd(prefix, { start: token.key, revision: token.resourceVersion, limit, predicate, continuing: true });
    }
    const rv = opts.resourceVersion ?? '';
    if (opts.resourceVersionMatch === 'Exact') {
      const revision = parseResourceVersion(rv);
      if (revision === 0) throw newBadRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
      return this.#listFromEtcd(prefix, { start: prefix, revision, limit, predicate, continuing: false });
    }
    // "0": any state; the cache ignores limit (as the cacher serves RV=0 lists whole).
    if (rv === '0') {
      const cache = this.#cache(prefix);
      await cache.ready();
      return this.#fromCache(cache, prefix, predicate);
    }
    if (rv === '') {
      if (limit > 0) return this.#listFromEtcd(prefix, { start: prefix, revision: 0, limit, predicate, continuing: false });
      const revision = await this.currentRevision();
      const cache = this.#cache(prefix);
      // A cache that cannot catch up (or broke) must not fail a consistent read: etcd can answer it.
      const fresh = await cache.waitForRevision(revision, freshnessTimeoutMs).catch(() => false);
      if (fresh) return this.#fromCache(cache, prefix, predicate);
      return this.#listFromEtcd(prefix, { start: prefix, revision: 0, limit, predicate, continuing: false });
    }
    const revision = parseResourceVersion(rv);
    if (limit > 0) {
      if (opts.resourceVersionMatch === 'NotOlderThan') {
        const result = await this.#listFromEtcd(prefix, { start: prefix, revision: 0, limit, predicate, continuing: false });
        if (Number(result.resourceVersion) < revision) throw this.#tooLarge(prefix, revision, Number(result.resourceVersion));
        return result;
      }
      // Legacy (no resourceVersionMatch) paginated list at N reads exactly at N, as the etcd3 store does.
      return this.#listFromEtcd(prefix, { start: prefix, revision, limit, predicate, continuing: false });
    }
    const cache = this.#cache(prefix);
    if (await cache.waitForRevision(revision, freshnessTimeoutMs)) return this.#fromCache(cache, prefix, predicate);
    const current = await this.currentRevision();
    if (current < revision) throw this.#tooLarge(prefix, revision, current);
    return this.#listFromEtcd(prefix, { start: prefix, revision: 0, limit, predicate, continuing: false });
  }

  #tooLarge(key: string, requested: number, current: number): StorageError {
    return new StorageError('TooLargeResourceVersion', key, `Too large resource version: ${requested}, current: ${current}`, current);
  }

  #fromCache(cache: WatchCache, prefix: string, predicate: ListOptions['predicate']): ListResult {
    const { items, revision } = cache.list(prefix, predicate);
    return { items, resourceVersion: String(revision) };
  }

  /**
   * A (page of a) list read from etcd at one revision (0 = now), as etcd3
   * store.GetList: with a predicate it keeps reading, doubling the batch, until
   * `limit` items match or the range ends.
   */
  async #listFromEtcd(
    prefix: string,
    o: { start: string; revision: number; limit: number; predicate: ListOptions['predicate']; continuing: boolean },
  ): Promise<ListResult> {
    const rangeEnd = prefixRangeEnd(prefix);
    const items: KubeObject[] = [];
    let withRevision = o.revision;
    let batch = o.limit;
    let key = o.start;
    let lastKey: string | undefined;
    let hasMore = false;
    let last: IRangeResponse | undefined;
    let consumedOfLast = 0;
    for (;;) {
      try {
        last = await this.#call('list', prefix, () =>
          this.#client.kv.range({
            key: Buffer.from(key),
            range_end: rangeEnd,
            ...(batch > 0 ? { limit: batch } : {}),
            ...(withRevision > 0 ? { revision: withRevision } : {}),
          }),
        );
      } catch (err) {
        if (isCompactedError(err)) {
          throw new StorageError('Expired', prefix, o.continuing ? continueTooOldMessage : resourceVersionTooOldMessage);
        }
        if (isFutureRevisionError(err)) {
          throw this.#tooLarge(prefix, withRevision, await this.currentRevision());
        }
        throw err;
      }
      if (withRevision === 0) withRevision = Number(last.header.revision);
      hasMore = last.more;
      consumedOfLast = 0;
      for (const kv of last.kvs) {
        if (o.limit > 0 && items.length >= o.limit) {
          hasMore = true;
          break;
        }
        consumedOfLast++;
        lastKey = kv.key.toString();
        const obj = decodeValue(kv);
        if (!o.predicate || o.predicate(obj)) items.push(obj);
      }
      if (!hasMore || o.limit === 0 || items.length >= o.limit || lastKey === undefined) break;
      batch = Math.min(batch * 2, maxRangeLimit);
      key = `${lastKey}\0`;
    }
    const result: ListResult = { items, resourceVersion: String(withRevision) };
    if (hasMore && lastKey !== undefined) {
      result.continue = encodeContinue(`${lastKey}\0`, prefix, withRevision);
      // Counts include objects a predicate would drop, so only selector-free lists get a count (as Kubernetes).
      if (!o.predicate && last) {
        const remaining = Number(last.count) - consumedOfLast;
        if (remaining > 0) result.remainingItemCount = remaining;
      }
    }
    return result;
  }

  async watch(prefix: string, opts: WatchOptions): Promise<Watcher> {
    const cache = this.#cache(prefix);
    const rv = opts.resourceVersion ?? '';
    const watchOpts = { predicate: opts.predicate, allowBookmarks: opts.allowBookmarks === true, signal: opts.signal };
    if (rv === '') {
      // Most recent: the initial ADDEDs must include every write acknowledged before this call.
      const revision = await this.currentRevision();
      await cache.waitForRevision(revision, freshnessTimeoutMs);
      return cache.watch(prefix, undefined, watchOpts);
    }
    const revision = parseResourceVersion(rv);
    await cache.ready();
    return cache.watch(prefix, revision === 0 ? undefined : revision, watchOpts);
  }

  async count(prefix: string): Promise<number> {
    const res = await this.#call('count', prefix, () =>
      this.#client.kv.range({ key: Buffer.from(prefix), range_end: prefixRangeEnd(prefix), count_only: true }),
    );
    return Number(res.count);
  }

  async currentRevision(): Promise<number> {
    // A linearizable count of one (absent) key: the header carries the store revision.
    const res = await this.#call('get', '/', () => this.#client.kv.range({ key: Buffer.from([0]), count_only: true }));
    return Number(res.header.revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#compactor?.stop();
    for (const cache of [...this.#caches.values()]) cache.close();
    this.#caches.clear();
    this.#closed = true;
    await this.#txns.close();
    this.#client.close();
  }
}
