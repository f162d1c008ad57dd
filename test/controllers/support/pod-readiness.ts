/**
 * Stands in for the node agent in controller tests: watches pods and, shortly
 * after one appears, writes through pods/status that it is Running and Ready
 * (Ready=True condition, every container ready), so rollouts can progress.
 * `hold` keeps new pods unready (all of them, or those a predicate picks) so
 * tests can stall a rollout; releasing the hold readies what was held.
 */
import { SharedInformer } from '../../../client/cache/shared-informer.ts';
import { metaNow } from '../../../client/api/meta-time.ts';
import type { RestClient } from '../../../client/rest/rest-client.ts';
import { isPodReady } from '../../../controllers/controller-utils/pod-readiness.ts';
import type { Pod } from '../../../controllers/controller-utils/workload-objects.ts';

export interface PodReadinessOptions {
  /** How long after a pod appears it turns ready. Default 100 ms. */
  delayMs?: number;
  onError?: (err: unknown) => void;
}

export class PodReadiness {
  readonly #client: RestClient;
  readonly #informer: SharedInformer<Pod>;
  readonly #delayMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<string>();
  #hold: ((pod: Pod) => boolean) | undefined;
  #stop = new AbortController();
  #running: Promise<void> | undefined;

  constructor(client: RestClient, options: PodReadinessOptions = {}) {
    this.#client = client;
    this.#delayMs = options.delayMs ?? 100;
    this.#onError = options.onError ?? (() => undefined);
    this.#informer = new SharedInformer<Pod>(client, { path: { group: '', version: 'v1', plural: 'pods' }, onError: this.#onError });
    this.#informer.addEventHandler({
      onAdd: (pod) => this.#consider(pod),
      onUpdate: (_old, pod) => this.#consider(pod),
    });
  }

  async start(): Promise<void> {
    this.#running = this.#informer.run(this.#stop.signal);
    await this.#informer.waitForCacheSync(this.#stop.signal);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#running;
  }

  /** Keeps pods unready: all new ones (`true`), those `predicate` picks, or none (`false`, readying the held ones). */
  hold(what: boolean | ((pod: Pod) => boolean)): void {
    this.#hold = what === true ? () => true : what === false ? undefined : what;
    if (!this.#hold) for (const pod of this.#informer.lister.list()) this.#consider(pod);
  }

  #consider(pod: Pod): void {
    if (pod.metadata.deletionTimestamp || isPodReady(pod) || this.#hold?.(pod)) return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid}`;
    if (this.#inFlight.has(key)) return;
    this.#inFlight.add(key);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.markReady(pod).finally(() => this.#inFlight.delete(key));
    }, this.#delayMs);
    this.#timers.add(timer);
  }

  /** Marks the pod Running and Ready now (unless it went away or a hold now covers it). */
  async markReady(pod: Pod): Promise<void> {
    const current = this.#informer.lister.get(pod.metadata.namespace, pod.metadata.name!);
    if (!current || current.metadata.uid !== pod.metadata.uid || this.#hold?.(current) || this.#stop.signal.aborted) return;
    const now = metaNow();
    const containers = ((current.spec?.['containers'] as Array<{ name: string; image?: string }> | undefined) ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
    }));
    try {
      await this.#client.patch(
        { group: '', version: 'v1', plural: 'pods', namespace: current.metadata.namespace!, name: current.metadata.name!, subresource: 'status' },
        'merge',
        {
          metadata: { uid: current.metadata.uid },
          status: {
            phase: 'Running',
            startTime: now,
            conditions: [
              { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
              { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
              { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: now },
              { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now },
            ],
            containerStatuses: containers,
          },
        },
      );
    } catch (err) {
      // The pod may be gone (scaled down) or replaced: nothing to mark.
      const code = (err as { code?: unknown }).code;
      if (code !== 404 && code !== 409) this.#onError(err);
    }
  }
}
