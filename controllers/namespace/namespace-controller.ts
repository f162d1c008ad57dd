/**
 * The namespace controller (kube pkg/controller/namespace): watches
 * namespaces and, for each one with a deletionTimestamp, runs the
 * NamespacedResourcesDeleter until the namespace is empty and released.
 * Content still going away is looked at again after half its estimated time
 * plus a second (as kube's ResourcesRemainingError handling); failures back
 * off per namespace from 5 ms to 60 s.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import { ItemExponentialFailureRateLimiter } from '../../client/workqueue/rate-limiters.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { NamespacedResourcesDeleter, ResourcesRemainingError } from './namespaced-resources-deleter.ts';

export interface NamespaceControllerOptions {
  /** Every namespace is looked at again this often (kube's --namespace-sync-period). Default 5 minutes. */
  resyncPeriodMs?: number;
}

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  readonly #ctx: ControllerContext;
  readonly #resyncPeriodMs: number;
  readonly #deleter: NamespacedResourcesDeleter;
  readonly #queue = new RateLimitingQueue<string>(new ItemExponentialFailureRateLimiter<string>(5, 60_000));
  readonly #informer;

  constructor(ctx: ControllerContext, options: NamespaceControllerOptions = {}) {
    this.#ctx = ctx;
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 300_000;
    this.#deleter = new NamespacedResourcesDeleter(ctx.client);
    this.#informer = ctx.informers.informerFor<KubeObject>({ group: '', version: 'v1', plural: 'namespaces' });
    this.#informer.addEventHandler({
      onAdd: (ns) => this.#enqueue(ns),
      onUpdate: (_old, ns) => this.#enqueue(ns),
      onDelete: (ns) => this.#enqueue(unwrapTombstone(ns)),
    });
  }

  #enqueue(ns: KubeObject): void {
    // Only terminating namespaces need work; the sync re-reads the namespace anyway.
    if (ns.metadata.deletionTimestamp && ns.metadata.name) this.#queue.add(ns.metadata.name);
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    const onAbort = () => this.#queue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const resync = setInterval(() => {
      for (const ns of this.#informer.lister.list()) this.#enqueue(ns);
    }, this.#resyncPeriodMs);
    try {
      if (!(await this.#informer.waitForCacheSync(signal))) return;
      await Promise.all(Array.from({ length: Math.max(1, workers) }, () => this.#worker(signal)));
    } finally {
      clearInterval(resync);
      signal.removeEventListener('abort', onAbort);
      onAbort();
    }
  }

  async #worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const name = await this.#queue.get();
      if (name === undefined) return;
      try {
        await this.#deleter.delete(name, signal);
        this.#queue.forget(name);
      } catch (err) {
        if (err instanceof ResourcesRemainingError) {
          this.#queue.addAfter(name, (Math.floor(err.estimateSeconds / 2) + 1) * 1000);
        } else {
          if (!signal.aborted) this.#ctx.onError(err);
          this.#queue.addRateLimited(name);
        }
      } finally {
        this.#queue.done(name);
      }
    }
  }
}
