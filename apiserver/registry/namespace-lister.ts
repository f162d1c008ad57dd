/**
 * Answers "may objects be created in namespace X?" for every namespaced create
 * without an etcd round-trip: a watch on namespaces keeps a local view, and a
 * miss falls back to a consistent read (the namespace may be seconds old).
 * As the NamespaceLifecycle admission plugin.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { newNotFound, StatusError } from '../errors/status-error.ts';
import type { Storage } from '../storage/interface.ts';
import { StorageError } from '../storage/interface.ts';

const namespacesPrefix = '/registry/namespaces/';

export class NamespaceLister {
  readonly #storage: Storage;
  readonly #namespaces = new Map<string, KubeObject>();
  readonly #abort = new AbortController();
  #started: Promise<void> | undefined;

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** Starts the background watch; resolves once it is established. */
  start(): Promise<void> {
    this.#started ??= this.#run();
    return this.#started;
  }

  stop(): void {
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    const watcher = await this.#storage.watch(namespacesPrefix, { resourceVersion: '0', signal: this.#abort.signal });
    void (async () => {
      try {
        for await (const event of watcher) {
          const name = event.object.metadata?.name;
          if (!name) continue;
          if (event.type === 'DELETED') this.#namespaces.delete(name);
          else if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#namespaces.set(name, event.object);
        }
      } catch {
        // The view only speeds up the common case; misses fall back to etcd.
      }
      if (!this.#abort.signal.aborted) {
        this.#started = undefined;
        this.#namespaces.clear();
        void this.start().catch(() => undefined);
      }
    })();
  }

  /** Throws NotFound if the namespace does not exist, Forbidden if it is terminating. */
  async admitCreate(namespace: string): Promise<void> {
    let ns = this.#namespaces.get(namespace);
    if (!ns) {
      try {
        ns = await this.#storage.get(namespacesPrefix + namespace);
      } catch (err) {
        if (err instanceof StorageError && err.code === 'KeyNotFound') {
          throw newNotFound({ group: '', resource: 'namespaces' }, namespace);
        }
        throw err;
      }
    }
    if (ns.metadata.deletionTimestamp) {
      throw new StatusError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: namespace, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] },
      );
    }
  }
}
