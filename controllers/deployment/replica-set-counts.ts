/**
 * Sums, orders and proportions over a Deployment's ReplicaSets
 * (pkg/controller controller_utils.go, deployment/util deployment_util.go).
 *
 * Two counts are deliberately more cautious than kube's, because status lags
 * spec: `podsBoundOf` takes the larger of spec.replicas and status.replicas
 * (an RS scaled down still has its pods until its controller deletes them),
 * and `availableOf` caps status.availableReplicas at spec.replicas (the RS
 * controller deletes unready pods first, so that is what will remain). With
 * them a rollout never surges or drops availability on a stale status.
 */
import type { Deployment, ReplicaSet } from '../controller-utils/workload-objects.ts';
import { maxReplicasOf } from './deployment-annotations.ts';
import { maxSurge } from './rollout-limits.ts';

export function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 1;
}

/** FilterActiveReplicaSets: those asked for at least one pod. */
export function filterActiveReplicaSets(rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

/** GetReplicaCountForReplicaSets: Σ spec.replicas. */
export function replicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? specReplicas(rs) : 0), 0);
}

/** GetActualReplicaCountForReplicaSets: Σ status.replicas. */
export function actualReplicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

export function readyReplicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

/** GetAvailableReplicaCountForReplicaSets, as the status reports it. */
export function availableReplicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/** The pods an RS may still have: its spec, or more while a scale-down is not yet done. */
export function podsBoundOf(rs: ReplicaSet): number {
  return Math.max(specReplicas(rs), rs.status?.replicas ?? 0);
}

/** The available pods an RS will keep once it reaches its spec. */
export function availableOf(rs: ReplicaSet): number {
  return Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs));
}

function created(rs: ReplicaSet): number {
  const t = rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

/** ReplicaSetsBySizeOlder: largest first, older first among equals. */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  if (specReplicas(a) !== specReplicas(b)) return specReplicas(b) - specReplicas(a);
  return byCreationTimestamp(a, b);
}

/** ReplicaSetsBySizeNewer: largest first, newer first among equals. */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  if (specReplicas(a) !== specReplicas(b)) return specReplicas(b) - specReplicas(a);
  return byCreationTimestamp(b, a);
}

/**
 * getReplicaSetFraction: the RS's share of a resize, from its size relative
 * to the max-replicas annotation (the deployment size it was sized for).
 */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = d.spec.replicas ?? 1;
  if (replicas === 0) return -specReplicas(rs);
  const deploymentReplicas = replicas + maxSurge(d);
  const annotated = maxReplicasOf(rs) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return Math.round((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

/** GetProportion: how many of the `toAdd` replicas (negative: removals) this RS takes. */
export function getProportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}
