/**
 * Empties a Terminating namespace and then releases it (kube
 * namespace/deletion/namespaced_resources_deleter.go): every namespaced kind
 * discovery lists with the `delete` verb is deleted (deletecollection where
 * served, else list + delete each, propagation Background), what remains is
 * counted into the namespace's conditions, and once nothing remains the
 * `kubernetes` finalizer is removed through PUT /finalize, after which the
 * API server deletes the namespace.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { ApiError, isConflict, isNotFound } from '../../client/rest/api-error.ts';
import type { ResourcePath } from '../../client/rest/resource-path.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { type DiscoveredResource, discoverResources, groupResourceKey, supportsAllVerbs } from '../../client/discovery/resource-discovery.ts';
import { type DeletionReport, type NamespaceCondition, updateConditions } from './namespace-conditions.ts';

/** The finalizer this controller owns in spec.finalizers. */
export const kubernetesFinalizer = 'kubernetes';

/** Assumed seconds for content with finalizers to go (finalizerEstimateSeconds). */
const finalizerEstimateSeconds = 15;

/** Content is still being removed; try again in about `estimateSeconds`. */
export class ResourcesRemainingError extends Error {
  readonly estimateSeconds: number;

  constructor(estimateSeconds: number) {
    super(`some content remains in the namespace, estimate ${estimateSeconds} seconds before it is removed`);
    this.name = 'ResourcesRemainingError';
    this.estimateSeconds = estimateSeconds;
  }
}

interface NamespaceObject extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: NamespaceCondition[] };
}

const namespacesPath = (name: string, subresource?: string): ResourcePath => ({
  group: '',
  version: 'v1',
  plural: 'namespaces',
  name,
  ...(subresource ? { subresource } : {}),
});

function collectionPath(r: DiscoveredResource, namespace: string): ResourcePath {
  return { group: r.group, version: r.version, plural: r.plural, namespace };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface ResourceOutcome {
  remaining: number;
  finalizers: Map<string, number>;
  estimateSeconds: number;
}

export class NamespacedResourcesDeleter {
  readonly #client: RestClient;
  /** Operations the server refused with 404/405 although discovery listed them (opCache). */
  readonly #unsupported = new Set<string>();

  constructor(client: RestClient) {
    this.#client = client;
  }

  /**
   * One pass over namespace `name`. Resolves when there is nothing (more) to
   * do; throws ResourcesRemainingError while content remains, or any other
   * error to be retried with backoff.
   */
  async delete(name: string, signal?: AbortSignal): Promise<void> {
    const opts = signal ? { signal } : {};
    let ns = await this.#getNamespace(name, signal);
    if (!ns?.metadata.deletionTimestamp) return;
    // The API server marks it Terminating on DELETE; repair it if someone wrote Active back.
    if (ns.status?.phase !== 'Terminating') {
      ns = await this.#retryOnConflict(ns, (latest) => {
        if (latest.status?.phase === 'Terminating') return undefined;
        return this.#client.update<NamespaceObject>(namespacesPath(name, 'status'), { ...latest, status: { ...latest.status, phase: 'Terminating' } }, opts);
      }, signal);
      if (!ns?.metadata.deletionTimestamp) return;
    }
    if (!(ns.spec?.finalizers ?? []).includes(kubernetesFinalizer)) return;

    const { report, estimateSeconds } = await this.#deleteAllContent(name, signal);
    ns = await this.#retryOnConflict(ns, (latest) => {
      const { conditions, changed } = updateConditions(latest.status?.conditions ?? [], report);
      if (!changed) return undefined;
      return this.#client.update<NamespaceObject>(namespacesPath(name, 'status'), { ...latest, status: { ...latest.status, conditions } }, opts);
    }, signal);
    if (!ns) return;
    if (report.discoveryFailures.size > 0 || report.contentErrors.length > 0) {
      throw new Error(`namespace ${name}: ${[...report.discoveryFailures.values(), ...report.contentErrors].join('; ')}`);
    }
    if (estimateSeconds > 0 || [...report.remaining.values()].some((n) => n > 0)) throw new ResourcesRemainingError(estimateSeconds);

    await this.#retryOnConflict(ns, (latest) => {
      const finalizers = (latest.spec?.finalizers ?? []).filter((f) => f !== kubernetesFinalizer);
      if (finalizers.length === (latest.spec?.finalizers ?? []).length) return undefined;
      return this.#client.update<NamespaceObject>(namespacesPath(name, 'finalize'), { ...latest, spec: { ...latest.spec, finalizers } }, opts);
    }, signal);
  }

  async #getNamespace(name: string, signal: AbortSignal | undefined): Promise<NamespaceObject | undefined> {
    try {
      return await this.#client.get<NamespaceObject>(namespacesPath(name), signal ? { signal } : {});
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Applies `write` to the latest namespace, re-reading on Conflict; undefined once the namespace is gone. */
  async #retryOnConflict(
    ns: NamespaceObject,
    write: (latest: NamespaceObject) => Promise<NamespaceObject> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<NamespaceObject | undefined> {
    let latest: NamespaceObject | undefined = ns;
    for (let attempt = 0; ; attempt++) {
      const pending = write(latest);
      if (pending === undefined) return latest;
      try {
        return await pending;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (!isConflict(err) || attempt >= 5) throw err;
      }
      const uid: string | undefined = latest.metadata.uid;
      latest = await this.#getNamespace(ns.metadata.name!, signal);
      if (!latest) return undefined;
      if (latest.metadata.uid !== uid) throw new Error(`namespace ${ns.metadata.name} uid has changed across retries`);
    }
  }

  async #deleteAllContent(namespace: string, signal: AbortSignal | undefined): Promise<{ report: DeletionReport; estimateSeconds: number }> {
    const found = await discoverResources(this.#client, signal);
    const deletable = found.resources.filter((r) => r.namespaced && supportsAllVerbs(r, ['delete']));
    const remaining = new Map<string, number>();
    const finalizersRemaining = new Map<string, number>();
    const contentErrors: string[] = [];
    let estimateSeconds = 0;
    const outcomes = await Promise.all(
      deletable.map(async (r) => {
        try {
          return { r, outcome: await this.#deleteAllContentFor(r, namespace, signal) };
        } catch (err) {
          return { r, error: errorText(err) };
        }
      }),
    );
    for (const { r, outcome, error } of outcomes) {
      if (error !== undefined) {
        contentErrors.push(`${groupResourceKey(r)}: ${error}`);
        continue;
      }
      if (!outcome) continue;
      if (outcome.remaining > 0) remaining.set(groupResourceKey(r), outcome.remaining);
      for (const [f, n] of outcome.finalizers) finalizersRemaining.set(f, (finalizersRemaining.get(f) ?? 0) + n);
      estimateSeconds = Math.max(estimateSeconds, outcome.estimateSeconds);
    }
    return { report: { discoveryFailures: found.failedGroups, contentErrors, remaining, finalizersRemaining }, estimateSeconds };
  }

  async #deleteAllContentFor(r: DiscoveredResource, namespace: string, signal: AbortSignal | undefined): Promise<ResourceOutcome | undefined> {
    const opts = signal ? { signal } : {};
    const key = groupResourceKey(r);
    // Pods need their grace period to pass; that is the estimate before looking again (estimateGracefulTermination).
    const deleted =
      supportsAllVerbs(r, ['deletecollection']) && !this.#unsupported.has(`deletecollection/${key}`) && (await this.#deleteCollection(r, namespace, signal));
    if (!deleted) {
      if (!supportsAllVerbs(r, ['list']) || this.#unsupported.has(`list/${key}`)) return undefined;
      const list = await this.#list(r, namespace, signal);
      if (!list) return undefined;
      await Promise.all(
        list.map(async (item) => {
          if (item.metadata.deletionTimestamp) return;
          try {
            await this.#client.delete({ ...collectionPath(r, namespace), name: item.metadata.name! }, { propagationPolicy: 'Background', ...opts });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }),
      );
    }
    if (!supportsAllVerbs(r, ['list']) || this.#unsupported.has(`list/${key}`)) return undefined;
    const left = (await this.#list(r, namespace, signal)) ?? [];
    const finalizers = new Map<string, number>();
    let estimateSeconds = 0;
    const now = Date.now();
    for (const item of left) {
      for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      if ((item.metadata.finalizers?.length ?? 0) > 0) estimateSeconds = Math.max(estimateSeconds, finalizerEstimateSeconds);
      if (item.metadata.deletionTimestamp) {
        const until = Math.ceil((Date.parse(item.metadata.deletionTimestamp) - now) / 1000);
        if (until > estimateSeconds) estimateSeconds = until;
      }
    }
    if (left.length > 0 && estimateSeconds === 0) estimateSeconds = 1;
    return { remaining: left.length, finalizers, estimateSeconds };
  }

  /** True when the server deleted the collection; false when it does not serve deletecollection. */
  async #deleteCollection(r: DiscoveredResource, namespace: string, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      // Background: the namespace controller purges everything itself, so it must not leave orphan finalizers behind.
      await this.#client.delete(collectionPath(r, namespace), { propagationPolicy: 'Background', ...(signal ? { signal } : {}) });
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 405)) {
        this.#unsupported.add(`deletecollection/${groupResourceKey(r)}`);
        return false;
      }
      throw err;
    }
  }

  async #list(r: DiscoveredResource, namespace: string, signal: AbortSignal | undefined): Promise<KubeObject[] | undefined> {
    try {
      return (await this.#client.list(collectionPath(r, namespace), signal ? { signal } : {})).items;
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 405)) {
        this.#unsupported.add(`list/${groupResourceKey(r)}`);
        return undefined;
      }
      throw err;
    }
  }
}
