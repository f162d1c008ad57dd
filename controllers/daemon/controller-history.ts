/**
 * A DaemonSet's template history as ControllerRevisions (daemon update.go
 * constructHistory, cleanupHistory; pkg/controller/history). Each revision
 * holds the patch that restores its template,
 * `{"spec":{"template":{…,"$patch":"replace"}}}` — the very bytes
 * `kubectl rollout undo` applies and compares — and is named
 * `<ds>-<hash>`, with the hash also as its controller-revision-hash label.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { computeHash } from '../deployment/pod-template-hash.ts';
import type { Pod } from '../controller-utils/workload-objects.ts';
import { controllerRevisionHashLabel, type ControllerRevision, type DaemonSet } from './daemonset-types.ts';

/** Objects with keys sorted at every level, as Go's encoding/json writes a map. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** getPatch: the revision's data for the DaemonSet's current template. */
export function revisionData(ds: DaemonSet): unknown {
  return sortKeysDeep({ spec: { template: { ...structuredClone(ds.spec.template), $patch: 'replace' } } });
}

/** history.ControllerRevisionName: the prefix is cut so the name stays a valid DNS subdomain. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** The hash of the DaemonSet's current template (ComputeHash with collisionCount). */
export function templateHash(ds: DaemonSet): string {
  return computeHash(ds.spec.template, ds.status?.collisionCount ?? null);
}

/** Match: whether a revision's data is the DaemonSet's current template. */
export function revisionMatches(ds: DaemonSet, history: ControllerRevision): boolean {
  return JSON.stringify(sortKeysDeep(history.data)) === JSON.stringify(revisionData(ds));
}

export function maxRevision(histories: readonly ControllerRevision[]): number {
  let max = 0;
  for (const h of histories) max = Math.max(max, h.revision ?? 0);
  return max;
}

/** NewControllerRevision plus the DaemonSet's annotations (change-cause travels this way). */
export function newControllerRevision(ds: DaemonSet, ownerRef: NonNullable<KubeObject['metadata']['ownerReferences']>[number], hash: string, revision: number): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(ds.metadata.name ?? '', hash),
      namespace: ds.metadata.namespace!,
      labels: { ...ds.spec.template.metadata?.labels, [controllerRevisionHashLabel]: hash },
      ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [ownerRef],
    },
    data: revisionData(ds),
    revision,
  };
}

/**
 * cleanupHistory's choice: the oldest revisions beyond revisionHistoryLimit
 * whose hash no live pod carries.
 */
export function revisionsToDelete(ds: DaemonSet, old: readonly ControllerRevision[], pods: readonly Pod[]): ControllerRevision[] {
  const limit = ds.spec.revisionHistoryLimit ?? 10;
  let toKill = old.length - limit;
  if (toKill <= 0) return [];
  const live = new Set<string>();
  for (const p of pods) {
    const h = p.metadata.labels?.[controllerRevisionHashLabel];
    if (h) live.add(h);
  }
  const out: ControllerRevision[] = [];
  for (const h of [...old].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))) {
    if (toKill <= 0) break;
    if (live.has(h.metadata.labels?.[controllerRevisionHashLabel] ?? '')) continue;
    out.push(h);
    toKill--;
  }
  return out;
}
