/**
 * The annotations a Deployment keeps on its ReplicaSets (deployment/util
 * deployment_util.go): the revision each template was rolled out as, the
 * revisions an RS served before (when a rollback reuses it), and the
 * desired and maximum sizes used for proportional scaling. `kubectl rollout
 * history` and `rollout undo` read the revision annotation.
 */
import type { Deployment, ReplicaSet } from '../controller-utils/workload-objects.ts';
import { maxSurge } from './rollout-limits.ts';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
const lastAppliedConfigAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** Limit on the revision-history annotation (maxRevHistoryLengthInChars). */
export const maxRevisionHistoryLength = 2000;

/** Annotations that belong to the controller and are never copied from a Deployment to its ReplicaSets. */
const annotationsToSkip = new Set([
  lastAppliedConfigAnnotation,
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  'deprecated.deployment.rollback.to',
]);

export function skipCopyAnnotation(key: string): boolean {
  return annotationsToSkip.has(key);
}

/** The object's revision; 0 when unset or unparsable. */
export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const v = obj.metadata.annotations?.[revisionAnnotation];
  if (v === undefined) return 0;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : 0;
}

export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** Copies the Deployment's own annotations onto `rs`; true if any changed. */
function copyDeploymentAnnotationsToReplicaSet(d: Deployment, rs: ReplicaSet): boolean {
  let changed = false;
  rs.metadata.annotations ??= {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipCopyAnnotation(k) || rs.metadata.annotations[k] === v) continue;
    rs.metadata.annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** SetReplicasAnnotations: true if either annotation changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  rs.metadata.annotations ??= {};
  let changed = false;
  if (rs.metadata.annotations[desiredReplicasAnnotation] !== String(desired)) {
    rs.metadata.annotations[desiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (rs.metadata.annotations[maxReplicasAnnotation] !== String(max)) {
    rs.metadata.annotations[maxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations;
  return !a || a[desiredReplicasAnnotation] !== String(desired) || a[maxReplicasAnnotation] !== String(max);
}

export function desiredReplicasOf(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, desiredReplicasAnnotation);
}

export function maxReplicasOf(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, maxReplicasAnnotation);
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises
 * the RS's revision to `newRevision` when lower (a rollback reusing an old RS
 * then records the revision it had in revision-history), and, for an RS about
 * to be created, sets the replicas annotations. True if anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotationsToReplicaSet(d, rs);
  const annotations = (rs.metadata.annotations ??= {});
  const hadRevision = annotations[revisionAnnotation];
  const oldRevision = revisionOf(rs);
  if (oldRevision < newRevision) {
    annotations[revisionAnnotation] = String(newRevision);
    changed = true;
    if (hadRevision !== undefined && hadRevision !== '') {
      const history = annotations[revisionHistoryAnnotation];
      let revisions = history ? [...history.split(','), hadRevision] : [hadRevision];
      // Keep the newest entries within the length limit.
      while (revisions.join(',').length > maxRevisionHistoryLength && revisions.length > 1) revisions = revisions.slice(1);
      annotations[revisionHistoryAnnotation] = revisions.join(',');
    }
  }
  if (!exists) {
    const replicas = d.spec.replicas ?? 1;
    if (setReplicasAnnotations(rs, replicas, replicas + maxSurge(d))) changed = true;
  }
  return changed;
}
