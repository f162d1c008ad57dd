/**
 * One SharedInformer per collection for a whole process (client-go's
 * SharedInformerFactory): controllers ask for the informers they need while
 * being constructed, then the factory starts them all and waits for their
 * first lists, so two controllers watching pods share one watch and one cache.
 */
import type { KubeObject } from '../api/meta.ts';
import type { ResourcePath } from '../rest/resource-path.ts';
import type { RestClient } from '../rest/rest-client.ts';
import type { Indexers } from './indexer.ts';
import { SharedInformer } from './shared-informer.ts';

export interface InformerFactoryOptions {
  onError?: (err: unknown) => void;
}

type CollectionPath = Pick<ResourcePath, 'group' | 'version' | 'plural'>;

export class SharedInformerFactory {
  readonly #client: RestClient;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #informers = new Map<string, SharedInformer<KubeObject>>();
  readonly #running = new Map<string, Promise<void>>();
  #signal: AbortSignal | undefined;

  constructor(client: RestClient, options: InformerFactoryOptions = {}) {
    this.#client = client;
    this.#onError = options.onError;
  }

  /**
   * The process-wide informer for a collection (all namespaces). Indexers given
   * by a later caller are added to the same cache. An informer asked for after
   * start() starts at once.
   */
  informerFor<T extends KubeObject>(path: CollectionPath, indexers?: Indexers<T>): SharedInformer<T> {
    const key = `${path.group}/${path.version}/${path.plural}`;
    let informer = this.#informers.get(key) as SharedInformer<T> | undefined;
    if (!informer) {
      informer = new SharedInformer<T>(this.#client, {
        path: { group: path.group, version: path.version, plural: path.plural },
        ...(this.#onError ? { onError: this.#onError } : {}),
      });
      this.#informers.set(key, informer as unknown as SharedInformer<KubeObject>);
      if (this.#signal) this.#startOne(key, informer as unknown as SharedInformer<KubeObject>, this.#signal);
    }
    if (indexers) informer.indexer.addIndexers(indexers);
    return informer;
  }

  /** Starts every informer asked for so far; each runs until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.#signal = signal;
    for (const [key, informer] of this.#informers) this.#startOne(key, informer, signal);
  }

  /** True once every started informer has listed; false if `signal` aborted first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.#informers.values()].map((i) => i.waitForCacheSync(signal)));
    return results.every(Boolean);
  }

  /** Resolves when every informer's run loop has ended (after the start signal aborts). */
  async shutdown(): Promise<void> {
    await Promise.all(this.#running.values());
  }

  #startOne(key: string, informer: SharedInformer<KubeObject>, signal: AbortSignal): void {
    if (this.#running.has(key)) return;
    this.#running.set(key, informer.run(signal).catch((err) => this.#onError?.(err)));
  }
}
