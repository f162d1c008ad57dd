/**
 * The controllers' REST client with two test switches at the process
 * boundary: pod watch events can be held back (an informer that lags behind
 * the API server), and pod creates can be refused the way an admission
 * plugin or quota refuses them.
 */
import type { KubeObject, WatchEvent } from '../../../client/api/meta.ts';
import { ApiError } from '../../../client/rest/api-error.ts';
import type { ResourcePath } from '../../../client/rest/resource-path.ts';
import { RestClient, type WatchOptions, type WriteOptions } from '../../../client/rest/rest-client.ts';

export class ControllerTestClient extends RestClient {
  /** Delay added to every pod watch event (measured from its arrival); may be changed while watching. */
  podWatchLagMs = 0;
  /** Namespaces where pod creation is refused with 403 Forbidden. */
  readonly refusePodCreates = new Set<string>();

  override create<T extends KubeObject = KubeObject>(path: ResourcePath, body: T, options: WriteOptions = {}): Promise<T> {
    if (path.plural === 'pods' && path.group === '' && path.subresource === undefined && path.namespace && this.refusePodCreates.has(path.namespace)) {
      const name = body.metadata.name ?? body.metadata.generateName ?? '';
      return Promise.reject(
        new ApiError({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          reason: 'Forbidden',
          code: 403,
          message: `pods "${name}" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0`,
        }),
      );
    }
    return super.create(path, body, options);
  }

  override async *watch<T extends KubeObject = KubeObject>(path: ResourcePath, options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>, void, undefined> {
    if (path.plural !== 'pods') {
      yield* super.watch<T>(path, options);
      return;
    }
    const buffered: Array<{ at: number; event?: WatchEvent<T>; error?: unknown; done?: boolean }> = [];
    let wake: (() => void) | undefined;
    const source = super.watch<T>(path, options);
    void (async () => {
      try {
        for await (const event of source) {
          buffered.push({ at: Date.now(), event });
          wake?.();
        }
        buffered.push({ at: Date.now(), done: true });
      } catch (error) {
        buffered.push({ at: Date.now(), error });
      }
      wake?.();
    })();
    for (;;) {
      while (buffered.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const item = buffered.shift()!;
      const wait = item.at + this.podWatchLagMs - Date.now();
      if (wait > 0 && !item.done && item.error === undefined) await new Promise((r) => setTimeout(r, wait));
      if (item.error !== undefined) throw item.error;
      if (item.done) return;
      yield item.event!;
    }
  }
}
