/**
 * Read access to an informer's cache, as client-go's generated listers: by
 * namespace and name, by namespace, or by index. Answers are the cached
 * objects themselves; never mutate them (copy with structuredClone first).
 */
import type { KubeObject } from '../api/meta.ts';
import { namespaceIndex, type Indexer } from './indexer.ts';

export class Lister<T extends KubeObject = KubeObject> {
  readonly #indexer: Indexer<T>;

  constructor(indexer: Indexer<T>) {
    this.#indexer = indexer;
  }

  /** `namespace` undefined (or '') for cluster-scoped kinds. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#indexer.getByKey(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.#indexer.getByKey(key);
  }

  /** Every object, or those in `namespace`; `filter` narrows further (e.g. a label selector's `matches`). */
  list(namespace?: string, filter?: (obj: T) => boolean): T[] {
    const objs = namespace ? this.#indexer.byIndex(namespaceIndex, namespace) : this.#indexer.list();
    return filter ? objs.filter(filter) : objs;
  }

  byIndex(indexName: string, indexValue: string): T[] {
    return this.#indexer.byIndex(indexName, indexValue);
  }
}
