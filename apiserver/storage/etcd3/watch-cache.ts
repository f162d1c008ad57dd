/**
 * The watch cache of one resource (as apiserver's Cacher + watchCache): ONE
 * etcd watch per resource prefix (`/registry/pods/`), the current state in
 * memory so lists at RV "0", "N" or a consistent RV are served without
 * reading etcd, and a ring of recent events so a watch can resume from an RV.
 *
 * Revision bookkeeping: `revision` is the highest etcd revision R such that
 * every event of this prefix with revision <= R has been applied. It advances
 * with events and with etcd progress notifications (the prefix may be quiet
 * while other prefixes move the store revision), so a consistent list asks
 * etcd for its current revision and waits until `revision` reaches it.
 */
import type { Etcd3, IDuplexStream, IKeyValue, IWatchRequest, IWatchResponse } from 'etcd3';
import type { KubeObject, Status, WatchEvent } from '../../../client/api/meta.ts';
import { type Predicate, StorageError, type Watcher } from '../interface.ts';
import { keyMatches, prefixRangeEnd } from './keys.ts';

/** How many revisions of history a new cache replays from etcd, so clients resuming after an API server restart don't get 410s. */
export const historyRevisions = 10_000;
/** Ring size of recent events: a watch from an RV older than the ring answers 410. */
export const eventBufferCapacity = 10_000;
/** Live events queued for one watcher before it is terminated as too slow (as the cacher drops watchers that block). */
export const watcherQueueCapacity = 10_000;
/** How often BOOKMARKs are sent to watchers that allow them. */
export const bookmarkIntervalMs = 1_000;
/** etcd sends unsynced (history) watchers at most this many revisions per response (mvcc watchBatchMaxRevs). */
const etcdWatchBatchMaxRevs = 1000;

type EtcdCall = <T>(operation: string, key: string, fn: () => Promise<T>) => Promise<T>;

/** One change of the prefix, as it entered the cache. */
interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  revision: number;
  /** The new state; for DELETED the last state with resourceVersion = the delete revision. */
  object: KubeObject;
  /** The state before this event (its own resourceVersion); undefined for ADDED. */
  prevObject: KubeObject | undefined;
}

function withResourceVersion(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

/** The 410 Expired Status a watch ends with (as apiserver's errors.NewResourceExpired). */
export function expiredStatus(message: string): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
}

function errorEvent(message: string): WatchEvent {
  return { type: 'ERROR', object: expiredStatus(message) as unknown as WatchEvent['object'] };
}

/** The parts of an etcd key-value an object is decoded from (the etcd3 client's and the txn codec's both have them). */
export type StoredKeyValue = Pick<IKeyValue, 'key' | 'value' | 'mod_revision'>;

export function decodeValue(kv: StoredKeyValue): KubeObject {
  const key = kv.key.toString();
  let obj: KubeObject;
  try {
    obj = JSON.parse(kv.value.toString()) as KubeObject;
  } catch (err) {
    throw new StorageError('InvalidObject', key, `stored object at ${key} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null) throw new StorageError('InvalidObject', key, `stored object at ${key} is not a JSON object`);
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(kv.mod_revision) };
  return obj;
}

/** A bounded FIFO with O(1) shift. */
class EventQueue {
  #items: WatchEvent[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(e: WatchEvent): void {
    this.#items.push(e);
  }
  shift(): WatchEvent | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const e = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as unknown as WatchEvent;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return e;
  }
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/**
 * One client's watch on the cache. Initial events (synthetic ADDEDs or the
 * replayed buffer) are not counted against the queue bound; live events are,
 * and overflowing ends the watch with a 410 so the client relists.
 */
class CacheWatcher implements Watcher {
  readonly target: string;
  readonly allowBookmarks: boolean;
  /** Events at or below this revision are not for this watcher (it started there). */
  readonly #startRevision: number;
  /** Revision of the last event or bookmark sent; a bookmark never goes below it. */
  lastRevision: number;
  /** When the last live event or bookmark was queued: bookmarks go to idle watchers. */
  #lastSentAt = Date.now();
  readonly #predicate: Predicate | undefined;
  readonly #queue = new EventQueue();
  #ended = false;
  #wake: (() => void) | undefined;
  readonly #detach: (w: CacheWatcher) => void;
  readonly #signal: AbortSignal;
  readonly #onAbort = (): void => this.end();

  constructor(target: string, startRevision: number, opts: { predicate?: Predicate | undefined; allowBookmarks: boolean; signal: AbortSignal }, detach: (w: CacheWatcher) => void) {
    this.target = target;
    this.#startRevision = startRevision;
    this.lastRevision = startRevision;
    this.#predicate = opts.predicate;
    this.allowBookmarks = opts.allowBookmarks;
    this.#detach = detach;
    this.#signal = opts.signal;
    if (opts.signal.aborted) this.#ended = true;
    else opts.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  get ended(): boolean {
    return this.#ended;
  }

  #matches(obj: KubeObject): boolean {
    return this.#predicate === undefined || this.#predicate(obj);
  }

  /** Adds an initial event (not bounded). */
  pushInitial(e: WatchEvent): void {
    if (this.#ended) return;
    this.#queue.push(e);
  }

  /** Initial ADDED for an object in the current state, if it matches. */
  pushInitialObject(obj: KubeObject): void {
    if (this.#matches(obj)) this.pushInitial({ type: 'ADDED', object: obj });
  }

  /** Converts a cache event through the predicate (as cacheWatcher.convertToWatchEvent). */
  #convert(e: CacheEvent): WatchEvent | undefined {
    const cur = e.type === 'DELETED' ? false : this.#matches(e.object);
    const old = e.prevObject !== undefined && this.#matches(e.prevObject);
    if (e.type === 'DELETED') return old ? { type: 'DELETED', object: e.object } : undefined;
    if (cur && old) return { type: 'MODIFIED', object: e.object };
    if (cur) return { type: 'ADDED', object: e.object };
    // Stopped matching: a DELETED with the previous content at this event's revision.
    if (old) return { type: 'DELETED', object: withResourceVersion(e.prevObject!, e.revision) };
    return undefined;
  }

  /** Replayed history: like a live event, but not bounded. */
  replay(e: CacheEvent): void {
    // Several keys can share a revision (one txn), so only the start revision filters.
    if (e.revision <= this.#startRevision || !keyMatches(this.target, e.key)) return;
    const ev = this.#convert(e);
    if (ev) this.pushInitial(ev);
    this.lastRevision = e.revision;
  }

  deliver(e: CacheEvent): void {
    if (this.#ended || e.revision <= this.#startRevision || !keyMatches(this.target, e.key)) return;
    const ev = this.#convert(e);
    if (!ev) return;
    this.lastRevision = e.revision;
    if (this.#queue.length >= watcherQueueCapacity) {
      this.#queue.clear();
      this.end(errorEvent(`watch of ${this.target} fell behind by more than ${watcherQueueCapacity} events at resource version ${e.revision}: relist and watch again`));
      return;
    }
    this.#queue.push(ev);
    this.#lastSentAt = Date.now();
    this.#notify();
  }

  /** Queues a BOOKMARK at `revision` if nothing was sent for about a bookmark interval. */
  bookmark(revision: number): void {
    if (this.#ended || !this.allowBookmarks || revision < this.lastRevision) return;
    const now = Date.now();
    if (now - this.#lastSentAt < bookmarkIntervalMs * 0.9) return;
    // The cache does not know kind/apiVersion: the caller (watch-stream.ts) fills them in.
    this.#queue.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(revision) } } });
    this.lastRevision = revision;
    this.#lastSentAt = now;
    this.#notify();
  }

  /** Ends the watch, optionally after one last (ERROR) event. */
  end(last?: WatchEvent): void {
    if (this.#ended) return;
    if (last) this.#queue.push(last);
    this.#ended = true;
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#detach(this);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    try {
      for (;;) {
        const e = this.#queue.shift();
        if (e) {
          yield e;
          if (e.type === 'ERROR') return;
          continue;
        }
        if (this.#ended || this.#signal.aborted) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      this.end();
    }
  }
}

/** A fixed-capacity ring of cache events, ordered by revision. */
class EventRing {
  readonly #buf: (CacheEvent | undefined)[];
  #start = 0;
  #size = 0;
  constructor(capacity: number) {
    this.#buf = new Array<CacheEvent | undefined>(capacity);
  }
  /** Appends; returns the evicted event, if the ring was full. */
  push(e: CacheEvent): CacheEvent | undefined {
    const cap = this.#buf.length;
    if (this.#size < cap) {
      this.#buf[(this.#start + this.#size) % cap] = e;
      this.#size++;
      return undefined;
    }
    const evicted = this.#buf[this.#start];
    this.#buf[this.#start] = e;
    this.#start = (this.#start + 1) % cap;
    return evicted;
  }
  at(i: number): CacheEvent {
    return this.#buf[(this.#start + i) % this.#buf.length]!;
  }
  get size(): number {
    return this.#size;
  }
  /** Index of the first event with revision > rev. */
  firstAfter(rev: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid).revision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface WatchCacheOptions {
  client: Etcd3;
  /** The resource prefix, '/'-terminated: `/registry/pods/`. */
  prefix: string;
  etcdCall: EtcdCall;
  /** The store's current revision (a linearizable read). */
  currentRevision: () => Promise<number>;
  /** Called once when the cache stops (etcd watch broken); the store then builds a new one on next use. */
  onStopped: (cache: WatchCache) => void;
}

export interface CacheWatchOptions {
  predicate?: Predicate | undefined;
  allowBookmarks: boolean;
  signal: AbortSignal;
}

export class WatchCache {
  readonly prefix: string;
  readonly #opts: WatchCacheOptions;
  readonly #state = new Map<string, KubeObject>();
  #sortedKeys: string[] | undefined;
  #ring = new EventRing(eventBufferCapacity);
  /** A watch from RV N is servable iff N >= oldestRevision. */
  #oldestRevision = 0;
  #revision = 0;
  /** True once the etcd watch has caught up with history, so progress responses mean what they say. */
  #synced = false;
  #syncTimer: NodeJS.Timeout | undefined;
  readonly #ready: Promise<void>;
  #stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  #stopped = false;
  readonly #watchers = new Set<CacheWatcher>();
  #bookmarkTimer: NodeJS.Timeout | undefined;
  /** Resolved whenever #revision advances (or the cache stops). */
  #revisionWaiters: (() => void)[] = [];
  /** An in-flight two-step progress request (see #requestProgress). */
  #progress: { phase: 1 | 2; firstRevision: number; done: Promise<void>; resolve: () => void } | undefined;
  /** Creation or stream-open failure, reported to every waiter. */
  #failure: Error | undefined;
  /** Set while starting: etcd cancelled the history watch because its start was compacted meanwhile. */
  #onStartupCompaction: ((compactRevision: number) => void) | undefined;

  constructor(opts: WatchCacheOptions) {
    this.#opts = opts;
    this.prefix = opts.prefix;
    this.#ready = this.#start().catch((err: unknown) => {
      this.#stop(err instanceof Error ? err : new Error(String(err)));
      throw err;
    });
    // Callers await ready(); this only keeps an unobserved rejection quiet.
    this.#ready.catch(() => undefined);
  }

  /**
   * The cached object at key, or undefined when the cache is not synced or lacks it. Read-only
   * (shared); it may be stale, so writers use it only as a guess checked by mod_revision.
   */
  peek(key: string): KubeObject | undefined {
    return this.#synced && !this.#stopped ? this.#state.get(key) : undefined;
  }

  /** The highest revision all of whose events for this prefix have been applied. */
  get revision(): number {
    return this.#revision;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Resolves once the initial state is loaded and the etcd watch has caught up with history. */
  async ready(): Promise<void> {
    try {
      await this.#ready;
    } catch (err) {
      throw asStorageError(err, this.prefix);
    }
    if (this.#failure) throw asStorageError(this.#failure, this.prefix);
  }

  async #start(): Promise<void> {
    const { prefix } = this;
    const current = await this.#opts.currentRevision();
    let startRevision = Math.max(1, current - historyRevisions + 1);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 5) throw new StorageError('Unavailable', prefix, `could not start the watch cache for ${prefix}: etcd keeps compacting its start revision`);
      this.#ring = new EventRing(eventBufferCapacity);
      this.#synced = false;
      try {
        await this.#loadState(startRevision - 1);
      } catch (err) {
        if (!isCompactedError(err)) throw err;
        // Ask etcd where history begins: a watch from revision 1 is cancelled with the compact revision.
        startRevision = Math.max(startRevision, (await this.#compactRevision()) + 1);
        continue;
      }
      this.#oldestRevision = startRevision - 1;
      this.#revision = startRevision - 1;
      // Wait for the history replay (all revisions up to `current`) before serving.
      const compacted = await new Promise<number | undefined>((resolve, reject) => {
        this.#onStartupCompaction = resolve;
        const check = (): void => {
          if (this.#stopped) return reject(this.#failure ?? new StorageError('Unavailable', prefix, `watch cache for ${prefix} stopped`));
          if (this.#synced && this.#revision >= current) return resolve(undefined);
          this.#revisionWaiters.push(check);
          if (this.#synced) void this.#requestProgress();
        };
        this.#openWatch(startRevision, current).then(check, reject);
      });
      this.#onStartupCompaction = undefined;
      if (compacted === undefined) return;
      this.#cancelStream();
      startRevision = Math.max(startRevision, compacted + 1);
    }
  }

  #cancelStream(): void {
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    const stream = this.#stream;
    this.#stream = undefined;
    this.#progress?.resolve();
    this.#progress = undefined;
    if (!stream) return;
    stream.on('error', () => undefined);
    try {
      stream.cancel();
    } catch {
      // already closed
    }
  }

  async #loadState(revision: number): Promise<void> {
    this.#state.clear();
    this.#sortedKeys = undefined;
    if (revision <= 0) return; // before the first write: empty (revision 0 would mean "now")
    const res = await this.#opts.etcdCall('list', this.prefix, () =>
      this.#opts.client.kv.range({ key: Buffer.from(this.prefix), range_end: prefixRangeEnd(this.prefix), revision }),
    );
    for (const kv of res.kvs) this.#state.set(kv.key.toString(), decodeValue(kv));
  }

  /** etcd's compact revision, learned by watching from revision 1 (it cancels with compact_revision). */
  async #compactRevision(): Promise<number> {
    const stream = await this.#opts.client.watchClient.watch();
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new StorageError('Unavailable', this.prefix, 'etcd did not report its compact revision')), 5000);
        stream.on('data', (res: IWatchResponse) => {
          if (res.canceled || Number(res.compact_revision) > 0) {
            clearTimeout(timer);
            resolve(Number(res.compact_revision));
          } else if ((res.events ?? []).length > 0) {
            clearTimeout(timer);
            resolve(0);
          }
        });
        stream.on('error', (err: Error) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.write({ create_request: { key: Buffer.from(this.prefix), range_end: prefixRangeEnd(this.prefix), start_revision: 1 } });
      });
    } finally {
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  async #openWatch(startRevision: number, current: number): Promise<void> {
    const stream = await this.#opts.client.watchClient.watch();
    this.#stream = stream;
    await new Promise<void>((resolve, reject) => {
      let created = false;
      stream.on('data', (res: IWatchResponse) => {
        if (!created && res.created) {
          created = true;
          if (res.canceled) {
            reject(new StorageError('Unavailable', this.prefix, `etcd refused the watch on ${this.prefix}: ${res.cancel_reason}`));
            return;
          }
          // Created after every revision it asks for: nothing to replay, already synced.
          if (startRevision > Number(res.header.revision)) this.#markSynced(Number(res.header.revision));
          else this.#armSyncTimer();
          resolve();
          return;
        }
        if (stream !== this.#stream) return;
        try {
          this.#onResponse(res, current);
        } catch (err) {
          this.#stop(err instanceof Error ? err : new Error(String(err)));
        }
      });
      stream.on('error', (err: Error) => {
        if (!created) reject(err);
        if (stream === this.#stream) this.#stop(err);
      });
      stream.on('end', () => {
        if (stream === this.#stream) this.#stop(new StorageError('Unavailable', this.prefix, `etcd watch on ${this.prefix} ended`));
      });
      stream.write({
        create_request: {
          key: Buffer.from(this.prefix),
          range_end: prefixRangeEnd(this.prefix),
          start_revision: startRevision,
          progress_notify: true,
        },
      });
    });
  }

  /**
   * A history watch has no "caught up" signal: etcd sends at most 1000
   * revisions per response while unsynced and silently moves it to synced
   * when nothing is left. So a short response, or 300 ms of silence, means synced.
   */
  #armSyncTimer(): void {
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (!this.#synced && !this.#stopped) {
        this.#synced = true;
        this.#advance(this.#revision);
        void this.#requestProgress();
      }
    }, 300);
    this.#syncTimer.unref();
  }

  #markSynced(revision: number): void {
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    this.#synced = true;
    this.#advance(revision);
  }

  #onResponse(res: IWatchResponse, startCurrent: number): void {
    if (this.#stopped) return;
    if (res.canceled || Number(res.compact_revision) > 0) {
      if (!this.#synced && this.#onStartupCompaction && Number(res.compact_revision) > 0) {
        this.#onStartupCompaction(Number(res.compact_revision));
        return;
      }
      this.#stop(new StorageError('Expired', this.prefix, `etcd cancelled the watch on ${this.prefix} (compact revision ${res.compact_revision}) ${res.cancel_reason}`));
      return;
    }
    const header = Number(res.header.revision);
    const events = res.events ?? [];
    if (events.length === 0) {
      if (String(res.watch_id) === '-1') this.#onProgressResponse(header);
      // etcd only sends periodic progress to synced watchers, in order with events: trust it.
      else this.#markSynced(header);
      return;
    }
    const revisions = new Set<string>();
    for (const ev of events) {
      revisions.add(ev.kv.mod_revision);
      this.#apply(ev.type, ev.kv);
    }
    if (!this.#synced) {
      // A short batch is the last one of the history replay; its header is the revision it caught up to.
      if (revisions.size < etcdWatchBatchMaxRevs && header >= startCurrent) this.#markSynced(header);
      else this.#armSyncTimer();
    }
    this.#advance(this.#revision);
  }

  #apply(type: 'Put' | 'Delete', kv: IKeyValue): void {
    const key = kv.key.toString();
    const revision = Number(kv.mod_revision);
    const prev = this.#state.get(key);
    let event: CacheEvent;
    if (type === 'Delete') {
      if (!prev) {
        this.#revision = Math.max(this.#revision, revision);
        return;
      }
      this.#state.delete(key);
      this.#sortedKeys = undefined;
      event = { type: 'DELETED', key, revision, object: withResourceVersion(prev, revision), prevObject: prev };
    } else {
      const obj = decodeValue(kv);
      this.#state.set(key, obj);
      if (!prev) this.#sortedKeys = undefined;
      event = { type: prev ? 'MODIFIED' : 'ADDED', key, revision, object: obj, prevObject: prev };
    }
    const evicted = this.#ring.push(event);
    if (evicted) this.#oldestRevision = Math.max(this.#oldestRevision, evicted.revision);
    this.#revision = Math.max(this.#revision, revision);
    for (const w of this.#watchers) w.deliver(event);
  }

  #advance(revision: number): void {
    if (revision > this.#revision) this.#revision = revision;
    const waiters = this.#revisionWaiters;
    this.#revisionWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * etcd 3.4 answers a progress request on the stream's control channel, which
   * can overtake events already queued for this watcher. So a first answer P is
   * only trusted after a second round trip: by then the events <= P are out.
   */
  #requestProgress(): Promise<void> {
    if (this.#progress) return this.#progress.done;
    if (!this.#stream || this.#stopped) return Promise.resolve();
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const progress = { phase: 1 as 1 | 2, firstRevision: 0, done, resolve };
    this.#progress = progress;
    this.#stream.write({ progress_request: {} });
    // Newer etcd (3.4.25+, 3.5.8+) stays silent while the watcher is unsynced: give up and let the caller retry.
    const timer = setTimeout(() => {
      if (this.#progress === progress) this.#progress = undefined;
      resolve();
    }, 500);
    timer.unref();
    void done.then(() => clearTimeout(timer));
    return done;
  }

  #onProgressResponse(revision: number): void {
    const p = this.#progress;
    if (!p) return;
    if (p.phase === 1) {
      p.phase = 2;
      p.firstRevision = revision;
      this.#stream?.write({ progress_request: {} });
      return;
    }
    this.#progress = undefined;
    // While replaying history a progress revision says nothing about this watcher.
    if (this.#synced) this.#advance(p.firstRevision);
    p.resolve();
  }

  /**
   * Waits until the cache has applied every event up to `revision`,
   * nudging etcd for progress; false after timeoutMs.
   */
  async waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    await this.ready();
    const deadline = Date.now() + timeoutMs;
    while (this.#revision < revision) {
      if (this.#stopped) throw this.#failure ?? new StorageError('Unavailable', this.prefix, `watch cache for ${this.prefix} stopped`);
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#revisionWaiters.push(r)),
        this.#requestProgress().then(() => new Promise<void>((r) => setTimeout(r, 5))),
        new Promise<void>((r) => {
          timer = setTimeout(r, Math.min(left, 100));
        }),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  #keys(): string[] {
    this.#sortedKeys ??= [...this.#state.keys()].sort();
    return this.#sortedKeys;
  }

  /**
   * The current state under `target` (a '/'-terminated sub-prefix or one key),
   * in key order. The objects are shared with the cache: treat them as read-only.
   */
  list(target: string, predicate?: Predicate): { items: KubeObject[]; revision: number } {
    const items: KubeObject[] = [];
    if (!target.endsWith('/')) {
      const obj = this.#state.get(target);
      if (obj && (!predicate || predicate(obj))) items.push(obj);
      return { items, revision: this.#revision };
    }
    const keys = this.#keys();
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(target)) break;
      const obj = this.#state.get(key)!;
      if (!predicate || predicate(obj)) items.push(obj);
    }
    return { items, revision: this.#revision };
  }

  /** Number of objects under `target`. */
  count(target: string): number {
    return this.list(target).items.length;
  }

  /**
   * Starts a watch. `fromRevision` undefined = synthetic ADDED for the current
   * state, then changes; a number N = every change after N (410 if the ring no
   * longer reaches back to N). The caller waits for freshness first.
   */
  watch(target: string, fromRevision: number | undefined, opts: CacheWatchOptions): Watcher {
    const start = fromRevision ?? this.#revision;
    const w = new CacheWatcher(target, start, opts, (x) => this.#detach(x));
    if (this.#stopped) {
      w.end();
      return w;
    }
    if (fromRevision === undefined) {
      for (const obj of this.list(target).items) w.pushInitialObject(obj);
    } else if (fromRevision < this.#oldestRevision) {
      w.end(errorEvent(`too old resource version: ${fromRevision} (${this.#oldestRevision})`));
      return w;
    } else {
      for (let i = this.#ring.firstAfter(fromRevision); i < this.#ring.size; i++) w.replay(this.#ring.at(i));
    }
    if (w.ended) return w;
    this.#watchers.add(w);
    if (w.allowBookmarks) this.#ensureBookmarkTimer();
    return w;
  }

  #detach(w: CacheWatcher): void {
    this.#watchers.delete(w);
  }

  #ensureBookmarkTimer(): void {
    if (this.#bookmarkTimer) return;
    this.#bookmarkTimer = setInterval(() => {
      let any = false;
      for (const w of this.#watchers) if (w.allowBookmarks) any = true;
      if (!any || this.#stopped) {
        clearInterval(this.#bookmarkTimer);
        this.#bookmarkTimer = undefined;
        return;
      }
      // Progress moves #revision even when this prefix is quiet.
      void this.#requestProgress().then(() => {
        for (const w of this.#watchers) w.bookmark(this.#revision);
      });
    }, bookmarkIntervalMs);
    this.#bookmarkTimer.unref();
  }

  /** Stops the cache: watchers end (without ERROR; they re-watch from their last RV), the etcd watch is cancelled. */
  #stop(err: Error | undefined): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#failure = err;
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    if (this.#bookmarkTimer) clearInterval(this.#bookmarkTimer);
    for (const w of [...this.#watchers]) w.end();
    this.#watchers.clear();
    this.#cancelStream();
    this.#advance(this.#revision);
    this.#opts.onStopped(this);
  }

  close(): void {
    this.#stop(undefined);
  }
}

function asStorageError(err: unknown, prefix: string): StorageError {
  if (err instanceof StorageError) return err;
  return new StorageError('Unavailable', prefix, `watch cache for ${prefix}: ${err instanceof Error ? err.message : String(err)}`);
}

export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && /required revision has been compacted/.test(err.message);
}

export function isFutureRevisionError(err: unknown): boolean {
  return err instanceof Error && /required revision is a future revision/.test(err.message);
}
