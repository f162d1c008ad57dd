/**
 * A Deployment's status from its ReplicaSets (sync.go calculateStatus): pod
 * counts are sums of the RSs' statuses, updatedReplicas is the new RS's, and
 * Available is True while spec.replicas - maxUnavailable pods are available.
 * `kubectl rollout status` reads exactly these fields.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../controller-utils/workload-objects.ts';
import { availableCondition, newDeploymentCondition, reasons, setDeploymentCondition } from './deployment-conditions.ts';
import { actualReplicaCount, availableReplicaCount, readyReplicaCount, replicaCount } from './replica-set-counts.ts';
import { maxUnavailable } from './rollout-limits.ts';

const countFields = ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const;

export function calculateDeploymentStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number = Date.now()): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const total = replicaCount(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    // Negative while scaling down with extra available pods: report none unavailable.
    unavailableReplicas: Math.max(0, total - available),
  };
  // The API omits zero counts (omitempty); so do we, so statuses compare equal to what the server returns.
  for (const f of countFields) if (status[f] === 0) delete status[f];
  if (d.status?.collisionCount !== undefined && d.status.collisionCount !== null) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions) status.conditions = structuredClone(d.status.conditions);
  if (available >= (d.spec.replicas ?? 1) - maxUnavailable(d)) {
    setDeploymentCondition(status, newDeploymentCondition(availableCondition, 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    setDeploymentCondition(status, newDeploymentCondition(availableCondition, 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/** reflect.DeepEqual of two statuses, treating absent counts as 0. */
export function deploymentStatusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  for (const f of [...countFields, 'observedGeneration', 'collisionCount'] as const) if ((x[f] ?? 0) !== (y[f] ?? 0)) return false;
  return isDeepStrictEqual(x.conditions ?? [], y.conditions ?? []);
}
