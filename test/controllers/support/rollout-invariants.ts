/**
 * Watches a Deployment's pods and ReplicaSets during a rollout and checks the
 * RollingUpdate bounds at every change it sees: never more than
 * replicas + maxSurge pods (terminating ones excluded), never fewer than
 * replicas - maxUnavailable available. It also keeps the order in which pods
 * of each template hash appeared and vanished, for Recreate's ordering.
 */
import { SharedInformer } from '../../../client/cache/shared-informer.ts';
import type { LabelSelector } from '../../../client/labels/selector.ts';
import type { RestClient } from '../../../client/rest/rest-client.ts';
import { isPodReady } from '../../../controllers/controller-utils/pod-readiness.ts';
import type { Pod, ReplicaSet } from '../../../controllers/controller-utils/workload-objects.ts';

export interface Sample {
  at: number;
  cause: string;
  total: number;
  available: number;
  /** Non-terminating pods per pod-template-hash. */
  byHash: Record<string, number>;
}

export class RolloutWatcher {
  readonly samples: Sample[] = [];
  readonly #pods: SharedInformer<Pod>;
  readonly #rss: SharedInformer<ReplicaSet>;
  readonly #namespace: string;
  readonly #selector: LabelSelector;
  readonly #stop = new AbortController();
  #runs: Promise<void>[] = [];

  constructor(client: RestClient, namespace: string, selector: LabelSelector) {
    this.#namespace = namespace;
    this.#selector = selector;
    this.#pods = new SharedInformer<Pod>(client, { path: { group: '', version: 'v1', plural: 'pods' } });
    this.#rss = new SharedInformer<ReplicaSet>(client, { path: { group: 'apps', version: 'v1', plural: 'replicasets' } });
    const on = (kind: string) => ({
      onAdd: (o: { metadata: { namespace?: string; name?: string } }) => this.#sample(`${kind} added ${o.metadata.name}`, o.metadata.namespace),
      onUpdate: (_: unknown, o: { metadata: { namespace?: string; name?: string } }) => this.#sample(`${kind} updated ${o.metadata.name}`, o.metadata.namespace),
      onDelete: () => this.#sample(`${kind} deleted`, this.#namespace),
    });
    this.#pods.addEventHandler(on('pod'));
    this.#rss.addEventHandler(on('replicaset'));
  }

  async start(): Promise<void> {
    this.#runs = [this.#pods.run(this.#stop.signal), this.#rss.run(this.#stop.signal)];
    await Promise.all([this.#pods.waitForCacheSync(this.#stop.signal), this.#rss.waitForCacheSync(this.#stop.signal)]);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#runs);
  }

  #sample(cause: string, namespace: string | undefined): void {
    if (namespace !== this.#namespace || !this.#pods.hasSynced()) return;
    const pods = this.#pods.lister.list(this.#namespace, (p) => this.#selector.matches(p.metadata.labels) && !p.metadata.deletionTimestamp);
    const byHash: Record<string, number> = {};
    for (const p of pods) {
      const hash = p.metadata.labels?.['pod-template-hash'] ?? '';
      byHash[hash] = (byHash[hash] ?? 0) + 1;
    }
    this.samples.push({ at: Date.now(), cause, total: pods.length, available: pods.filter(isPodReady).length, byHash });
  }

  /** Samples taken after `since` that break a bound, described. */
  violations(since: number, maxTotal: number, minAvailable: number): string[] {
    return this.samples
      .filter((s) => s.at >= since && (s.total > maxTotal || s.available < minAvailable))
      .map((s) => `${s.cause}: total ${s.total} (max ${maxTotal}), available ${s.available} (min ${minAvailable}) ${JSON.stringify(s.byHash)}`);
  }
}
