/**
 * The informer's local store: objects keyed `namespace/name` (or `name` for
 * cluster-scoped kinds) with optional secondary indexes, as client-go
 * tools/cache thread_safe_store.go. JavaScript has one thread, so "thread-safe"
 * here means every mutation leaves items and indexes consistent before it
 * returns. Stored objects are shared with every reader: treat them as read-only.
 */
import type { KubeObject } from '../api/meta.ts';

/** Maps an object to the index values it is filed under (e.g. its `spec.nodeName`). */
export type IndexFunc<T> = (obj: T) => readonly string[];

export type Indexers<T> = Readonly<Record<string, IndexFunc<T>>>;

export type KeyFunc<T> = (obj: T) => string;

/** `namespace/name`, or `name` when there is no namespace (client-go MetaNamespaceKeyFunc). */
export function metaNamespaceKeyFunc(obj: KubeObject): string {
  const name = obj.metadata.name;
  if (name === undefined || name === '') throw new Error('object has no metadata.name');
  const namespace = obj.metadata.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Inverse of metaNamespaceKeyFunc. */
export function splitMetaNamespaceKey(key: string): { namespace?: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1) return { name: parts[0]! };
  if (parts.length === 2) return { namespace: parts[0]!, name: parts[1]! };
  throw new Error(`unexpected key format: ${JSON.stringify(key)}`);
}

/** Index name for the namespace index every namespaced lister uses. */
export const namespaceIndex = 'namespace';

export function metaNamespaceIndexFunc(obj: KubeObject): readonly string[] {
  return obj.metadata.namespace ? [obj.metadata.namespace] : [];
}

export class Indexer<T extends KubeObject = KubeObject> {
  readonly #keyFunc: KeyFunc<T>;
  #indexers: Indexers<T>;
  readonly #items = new Map<string, T>();
  /** indexName → indexValue → keys. */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Indexers<T> = {}, keyFunc: KeyFunc<T> = metaNamespaceKeyFunc) {
    this.#keyFunc = keyFunc;
    this.#indexers = { [namespaceIndex]: metaNamespaceIndexFunc, ...indexers };
    for (const name of Object.keys(this.#indexers)) this.#indices.set(name, new Map());
  }

  /**
   * Adds indexes (client-go AddIndexers); present items are indexed at once. A name already in use is an
   * error unless it is the very same function (two users of one shared cache asking for one index).
   */
  addIndexers(indexers: Indexers<T>): void {
    const added = Object.entries(indexers).filter(([name, fn]) => {
      if (!this.#indices.has(name)) return true;
      if (this.#indexers[name] === fn) return false;
      throw new Error(`indexer conflict: "${name}" already exists`);
    });
    this.#indexers = { ...this.#indexers, ...Object.fromEntries(added) };
    for (const [name, indexFunc] of added) {
      const index = new Map<string, Set<string>>();
      this.#indices.set(name, index);
      for (const [key, obj] of this.#items) {
        for (const value of indexFunc(obj)) {
          let keys = index.get(value);
          if (!keys) index.set(value, (keys = new Set()));
          keys.add(key);
        }
      }
    }
  }

  keyOf(obj: T): string {
    return this.#keyFunc(obj);
  }

  /** Adds or replaces; returns the object it replaced. */
  add(obj: T): T | undefined {
    const key = this.#keyFunc(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    this.#updateIndices(old, obj, key);
    return old;
  }

  update(obj: T): T | undefined {
    return this.add(obj);
  }

  /** Removes the object with obj's key; returns what was stored. */
  delete(obj: T): T | undefined {
    return this.deleteByKey(this.#keyFunc(obj));
  }

  deleteByKey(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#items.delete(key);
    this.#updateIndices(old, undefined, key);
    return old;
  }

  /** Swaps the whole content for `objs`, rebuilding every index. */
  replace(objs: readonly T[]): void {
    this.#items.clear();
    for (const index of this.#indices.values()) index.clear();
    for (const obj of objs) this.add(obj);
  }

  get(obj: T): T | undefined {
    return this.#items.get(this.#keyFunc(obj));
  }

  getByKey(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  listKeys(): string[] {
    return [...this.#items.keys()];
  }

  get size(): number {
    return this.#items.size;
  }

  /** Objects filed under `indexValue` in index `indexName`; throws on an unknown index. */
  byIndex(indexName: string, indexValue: string): T[] {
    return this.indexKeys(indexName, indexValue).map((key) => this.#items.get(key)!);
  }

  indexKeys(indexName: string, indexValue: string): string[] {
    const index = this.#indices.get(indexName);
    if (index === undefined) throw new Error(`index "${indexName}" does not exist`);
    return [...(index.get(indexValue) ?? [])];
  }

  /** Every value index `indexName` currently holds. */
  listIndexFuncValues(indexName: string): string[] {
    const index = this.#indices.get(indexName);
    if (index === undefined) throw new Error(`index "${indexName}" does not exist`);
    return [...index.keys()];
  }

  #updateIndices(oldObj: T | undefined, newObj: T | undefined, key: string): void {
    for (const [name, indexFunc] of Object.entries(this.#indexers)) {
      const index = this.#indices.get(name)!;
      const oldValues = oldObj === undefined ? [] : indexFunc(oldObj);
      const newValues = newObj === undefined ? [] : indexFunc(newObj);
      // Most updates leave index values alone (a status write keeps spec.nodeName): skip the churn.
      if (oldValues.length === newValues.length && oldValues.every((v, i) => v === newValues[i])) continue;
      for (const value of oldValues) {
        const keys = index.get(value);
        if (keys === undefined) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
      for (const value of newValues) {
        let keys = index.get(value);
        if (keys === undefined) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }
}
