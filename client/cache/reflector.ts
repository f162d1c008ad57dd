/**
 * Keeps a store in step with one API collection: list, then watch from the
 * list's resourceVersion, as client-go tools/cache/reflector.go
 * ListAndWatchWithContext. Written here because @kubernetes/client-node's
 * ListWatch delivers no tombstones for deletes missed across a relist and
 * hides watch ERROR events.
 *
 * - The first list asks for RV "0" (the watch cache may answer); later lists
 *   ask for the last RV seen, and for "" (a consistent read) once the server
 *   said that RV expired (client-go relistResourceVersion).
 * - Watches ask for bookmarks and a random timeoutSeconds in [300, 600) so a
 *   fleet of clients does not reconnect in lockstep.
 * - A watch that ends cleanly, or fails at the connection, is reopened from the
 *   last RV seen: the server most likely came back and can resume there.
 * - A 410 answer or an ERROR event ends the watch and triggers a relist.
 * - A connection failure, 503 (a server shutting down) or 429 on a watch
 *   backs off and resumes the watch from the last RV seen.
 */
import type { KubeObject, Status } from '../api/meta.ts';
import { ApiError, isExpired, isStatus } from '../rest/api-error.ts';
import type { ResourcePath } from '../rest/resource-path.ts';
import type { RestClient } from '../rest/rest-client.ts';
import { sleep } from '../wait/sleep.ts';

/** What a reflector writes into; the SharedInformer implements it. */
export interface ReflectorStore<T> {
  /** The full state after a list: items missing from it were deleted while unobserved. */
  replace(items: T[], resourceVersion: string): void;
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
}

export interface ReflectorOptions<T extends KubeObject> {
  client: RestClient;
  /** The collection: group, version, plural and optionally namespace (no name). */
  path: ResourcePath;
  store: ReflectorStore<T>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Lower bound of the random watch timeout; the upper bound is twice this. Default 300 s. */
  minWatchTimeoutSeconds?: number;
  /** Backoff after a failed list or watch: starts here, doubles, caps at maxBackoffMs. Defaults 800 ms and 30 s, as client-go. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Where failures are reported; default console.warn. */
  onError?: (err: unknown) => void;
  /** Display name for messages, e.g. `pods`. */
  name?: string;
}

/** Why a watch stopped, deciding what happens next. */
type WatchEnd = 'rewatch' | 'relist' | 'stopped';

export class Reflector<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly #options: ReflectorOptions<T>;
  #lastSyncResourceVersion = '';
  #lastSyncResourceVersionUnavailable = false;
  #backoffMs: number;

  constructor(options: ReflectorOptions<T>) {
    if (options.path.name !== undefined) throw new Error('reflector: path must name a collection, not an object');
    this.#options = options;
    this.name = options.name ?? options.path.plural;
    this.#backoffMs = options.initialBackoffMs ?? 800;
  }

  /** The RV of the last list, watch event or bookmark applied to the store. */
  get lastSyncResourceVersion(): string {
    return this.#lastSyncResourceVersion;
  }

  /** Runs until `signal` aborts; failures are reported and retried, never thrown. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.listAndWatch(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#report(err);
        await this.#backoff(signal);
      }
    }
  }

  /** One list followed by watches until one must relist; throws when the list fails. */
  async listAndWatch(signal: AbortSignal): Promise<void> {
    await this.#list(signal);
    this.#resetBackoff();
    for (;;) {
      if (signal.aborted) return;
      let end: WatchEnd;
      try {
        end = await this.#watch(signal);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError) {
          if (isExpired(err)) {
            this.#lastSyncResourceVersionUnavailable = true;
            return;
          }
          // A server shutting down (503) or shedding load (429) will take the watch back shortly: as client-go's
          // rest client retries these, resume where the watch ended instead of relisting.
          if (err.code !== 503 && err.code !== 429) throw err;
        }
        // Connection-level failure: the server is probably restarting. Resume the watch where it ended.
        this.#report(err);
        await this.#backoff(signal);
        continue;
      }
      if (end !== 'rewatch') return;
    }
  }

  relistResourceVersion(): string {
    if (this.#lastSyncResourceVersionUnavailable) return '';
    return this.#lastSyncResourceVersion === '' ? '0' : this.#lastSyncResourceVersion;
  }

  async #list(signal: AbortSignal): Promise<void> {
    const { client, path, store } = this.#options;
    let list;
    try {
      list = await client.list<T>(path, {
        resourceVersion: this.relistResourceVersion(),
        ...(this.#options.labelSelector !== undefined ? { labelSelector: this.#options.labelSelector } : {}),
        ...(this.#options.fieldSelector !== undefined ? { fieldSelector: this.#options.fieldSelector } : {}),
        signal,
      });
    } catch (err) {
      if (isExpired(err)) this.#lastSyncResourceVersionUnavailable = true;
      throw err;
    }
    const resourceVersion = list.metadata.resourceVersion ?? '';
    store.replace(list.items, resourceVersion);
    this.#lastSyncResourceVersion = resourceVersion;
    this.#lastSyncResourceVersionUnavailable = false;
  }

  async #watch(signal: AbortSignal): Promise<WatchEnd> {
    const { client, path, store } = this.#options;
    const min = this.#options.minWatchTimeoutSeconds ?? 300;
    const events = client.watch<T>(path, {
      resourceVersion: this.#lastSyncResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(min * (1 + Math.random())),
      ...(this.#options.labelSelector !== undefined ? { labelSelector: this.#options.labelSelector } : {}),
      ...(this.#options.fieldSelector !== undefined ? { fieldSelector: this.#options.fieldSelector } : {}),
      signal,
    });
    for await (const event of events) {
      if (event.type === 'ERROR') {
        const status: unknown = event.object;
        if (isStatus(status) && (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone')) {
          this.#lastSyncResourceVersionUnavailable = true;
        } else {
          this.#report(new Error(`watch ${this.name}: ERROR event: ${describeStatus(status)}`));
        }
        return 'relist';
      }
      const obj = event.object;
      const resourceVersion = obj.metadata?.resourceVersion;
      switch (event.type) {
        case 'ADDED':
          store.add(obj);
          break;
        case 'MODIFIED':
          store.update(obj);
          break;
        case 'DELETED':
          store.delete(obj);
          break;
        case 'BOOKMARK':
          break;
        default:
          this.#report(new Error(`watch ${this.name}: unknown event type ${JSON.stringify(event.type)}`));
          continue;
      }
      if (resourceVersion) this.#lastSyncResourceVersion = resourceVersion;
      // A watch that delivers is a healthy connection: later failures start backing off from the bottom again.
      this.#resetBackoff();
    }
    return signal.aborted ? 'stopped' : 'rewatch';
  }

  #report(err: unknown): void {
    if (this.#options.onError) this.#options.onError(err);
    else console.warn(`reflector ${this.name}: ${err instanceof Error ? err.message : String(err)}`);
  }

  #resetBackoff(): void {
    this.#backoffMs = this.#options.initialBackoffMs ?? 800;
  }

  async #backoff(signal: AbortSignal): Promise<void> {
    // Jitter so many reflectors do not hammer a recovering server together.
    const delay = this.#backoffMs * (1 + Math.random() * 0.2);
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.maxBackoffMs ?? 30_000);
    await sleep(delay, signal);
  }
}

function describeStatus(status: unknown): string {
  if (isStatus(status)) return `${(status as Status).code} ${status.reason ?? ''}: ${status.message ?? ''}`;
  return JSON.stringify(status)?.slice(0, 200) ?? String(status);
}

