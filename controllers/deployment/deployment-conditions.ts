/**
 * Deployment conditions and the progress judgements built on them
 * (deployment/util deployment_util.go). Progressing carries the rollout's
 * story (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
 * NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused,
 * DeploymentResumed); Available says whether spec.replicas - maxUnavailable
 * pods are available.
 */
import { metaNow } from '../../client/api/meta-time.ts';
import type { ConditionStatus, Deployment, DeploymentCondition, DeploymentStatus } from '../controller-utils/workload-objects.ts';

export const progressingCondition = 'Progressing';
export const availableCondition = 'Available';
export const replicaFailureCondition = 'ReplicaFailure';

export const reasons = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  failedRSCreate: 'ReplicaSetCreateError',
  newReplicaSet: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** progressDeadlineSeconds of MaxInt32 means "no deadline" (HasProgressDeadline). */
const maxInt32 = 2_147_483_647;

export function newDeploymentCondition(type: string, status: ConditionStatus, reason: string, message: string, nowMs: number = Date.now()): DeploymentCondition {
  const now = metaNow(new Date(nowMs));
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export function getDeploymentCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition: a condition with the same status and reason is
 * left untouched; lastTransitionTime survives when only the reason changes.
 */
export function setDeploymentCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getDeploymentCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status && current.lastTransitionTime !== undefined) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeDeploymentCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== maxInt32;
}

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = d.spec.replicas ?? 1;
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, fewer old, or more ready or available pods than last recorded. */
export function deploymentProgressing(d: Deployment, newStatus: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (newStatus.replicas ?? 0) - (newStatus.updatedReplicas ?? 0);
  return (
    (newStatus.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (newStatus.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (newStatus.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: no progress recorded within progressDeadlineSeconds of the last Progressing update. */
export function deploymentTimedOut(d: Deployment, newStatus: DeploymentStatus, nowMs: number = Date.now()): boolean {
  if (!hasProgressDeadline(d)) return false;
  const condition = getDeploymentCondition(newStatus, progressingCondition);
  if (!condition) return false;
  if (condition.reason === reasons.newRSAvailable) return false;
  if (condition.reason === reasons.timedOut) return true;
  const from = condition.lastUpdateTime ? Date.parse(condition.lastUpdateTime) : Number.NaN;
  if (Number.isNaN(from)) return false;
  return from + (d.spec.progressDeadlineSeconds ?? 0) * 1000 < nowMs;
}
