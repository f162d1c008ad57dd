/**
 * One reflector and one cache per collection, shared by every handler in the
 * process (client-go tools/cache/shared_informer.go). Handlers are called in
 * event order, synchronously, and should only enqueue keys (STYLE.md §7).
 *
 * On a relist, objects that vanished reach onDelete wrapped in a
 * DeletedFinalStateUnknown tombstone (client-go delta_fifo.go Replace), and
 * objects whose resourceVersion changed reach onUpdate.
 */
import type { KubeObject } from '../api/meta.ts';
import type { RestClient } from '../rest/rest-client.ts';
import { DeletedFinalStateUnknown } from './deleted-final-state-unknown.ts';
import { Indexer, type Indexers } from './indexer.ts';
import { Lister } from './lister.ts';
import { Reflector, type ReflectorOptions, type ReflectorStore } from './reflector.ts';

/** Callbacks for cache changes. All optional; exceptions are reported, not propagated. */
export interface ResourceEventHandler<T> {
  /** `isInInitialList` is true for objects delivered by the first list (or replayed to a late handler). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** A tombstone when the delete was inferred from a relist rather than watched. */
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface ResourceEventHandlerRegistration {
  /** True once the handler has seen the initial list. */
  hasSynced(): boolean;
  remove(): void;
}

/** The reflector's options (the informer supplies client and store), plus indexes. */
export interface SharedInformerOptions<T extends KubeObject> extends Omit<ReflectorOptions<T>, 'client' | 'store' | 'name'> {
  indexers?: Indexers<T>;
}

export class SharedInformer<T extends KubeObject = KubeObject> implements ReflectorStore<T> {
  readonly indexer: Indexer<T>;
  readonly lister: Lister<T>;
  readonly #reflector: Reflector<T>;
  readonly #handlers = new Set<ResourceEventHandler<T>>();
  readonly #onError: (err: unknown) => void;
  #synced = false;
  #running = false;
  #syncWaiters: Array<() => void> = [];

  constructor(client: RestClient, options: SharedInformerOptions<T>) {
    this.indexer = new Indexer<T>(options.indexers ?? {});
    this.lister = new Lister(this.indexer);
    this.#onError = options.onError ?? ((err) => console.warn(`informer ${options.path.plural}: ${err instanceof Error ? err.message : String(err)}`));
    this.#reflector = new Reflector<T>({
      client,
      path: options.path,
      store: this,
      name: options.path.plural,
      onError: this.#onError,
      ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector !== undefined ? { fieldSelector: options.fieldSelector } : {}),
      ...(options.minWatchTimeoutSeconds !== undefined ? { minWatchTimeoutSeconds: options.minWatchTimeoutSeconds } : {}),
      ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
      ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
    });
  }

  /**
   * Registers a handler. One added after the informer synced first gets onAdd
   * for every cached object, as client-go AddEventHandler does.
   */
  addEventHandler(handler: ResourceEventHandler<T>): ResourceEventHandlerRegistration {
    this.#handlers.add(handler);
    if (this.#synced) for (const obj of this.indexer.list()) this.#call(() => handler.onAdd?.(obj, true));
    return {
      hasSynced: () => this.#synced,
      remove: () => {
        this.#handlers.delete(handler);
      },
    };
  }

  /** True once the first list has been applied to the cache and delivered to the handlers. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true when synced, false if `signal` aborts first (client-go WaitForCacheSync). */
  waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  get lastSyncResourceVersion(): string {
    return this.#reflector.lastSyncResourceVersion;
  }

  /** Lists and watches until `signal` aborts. Calling it again later resumes from the last resourceVersion. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error('informer is already running');
    this.#running = true;
    try {
      await this.#reflector.run(signal);
    } finally {
      this.#running = false;
    }
  }

  // ReflectorStore: keep the cache and tell the handlers.

  replace(items: T[], _resourceVersion: string): void {
    const initial = !this.#synced;
    const previous = new Map<string, T>();
    for (const key of this.indexer.listKeys()) previous.set(key, this.indexer.getByKey(key)!);
    this.indexer.replace(items);
    for (const obj of items) {
      const key = this.indexer.keyOf(obj);
      const old = previous.get(key);
      previous.delete(key);
      if (old === undefined) this.#dispatchAdd(obj, initial);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#dispatchUpdate(old, obj);
    }
    for (const [key, old] of previous) this.#dispatchDelete(new DeletedFinalStateUnknown(key, old));
    if (initial) {
      this.#synced = true;
      for (const wake of this.#syncWaiters.splice(0)) wake();
    }
  }

  add(obj: T): void {
    const old = this.indexer.add(obj);
    if (old === undefined) this.#dispatchAdd(obj, false);
    else this.#dispatchUpdate(old, obj);
  }

  update(obj: T): void {
    this.add(obj);
  }

  delete(obj: T): void {
    this.indexer.delete(obj);
    this.#dispatchDelete(obj);
  }

  #dispatchAdd(obj: T, initial: boolean): void {
    for (const h of this.#handlers) this.#call(() => h.onAdd?.(obj, initial));
  }

  #dispatchUpdate(oldObj: T, newObj: T): void {
    for (const h of this.#handlers) this.#call(() => h.onUpdate?.(oldObj, newObj));
  }

  #dispatchDelete(obj: T | DeletedFinalStateUnknown<T>): void {
    for (const h of this.#handlers) this.#call(() => h.onDelete?.(obj));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // One broken handler must not starve the others or kill the watch.
      this.#onError(err);
    }
  }
}
