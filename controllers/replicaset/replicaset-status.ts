/**
 * A ReplicaSet's status from the pods it owns (replica_set_utils.go
 * calculateStatus): counts come from the pods seen at the start of the sync,
 * and a failed create or delete raises ReplicaFailure until a sync succeeds.
 */
import { metaNow } from '../../client/api/meta-time.ts';
import { selectorFromSet } from '../../client/labels/selector.ts';
import { isPodAvailable, isPodReady } from '../controller-utils/pod-readiness.ts';
import type { Pod, ReplicaSet, ReplicaSetStatus } from '../controller-utils/workload-objects.ts';

export const replicaFailureCondition = 'ReplicaFailure';

export function calculateReplicaSetStatus(rs: ReplicaSet, filteredPods: readonly Pod[], manageReplicasErr: unknown, nowMs: number = Date.now()): ReplicaSetStatus {
  const newStatus: ReplicaSetStatus = structuredClone(rs.status ?? {});
  const templateSelector = selectorFromSet(rs.spec.template.metadata?.labels);
  const minReadySeconds = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of filteredPods) {
    if (templateSelector.matches(pod.metadata.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, nowMs)) available++;
    }
  }
  const failure = newStatus.conditions?.find((c) => c.type === replicaFailureCondition);
  if (manageReplicasErr !== undefined && !failure) {
    const diff = filteredPods.length - (rs.spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = manageReplicasErr instanceof Error ? manageReplicasErr.message : String(manageReplicasErr);
    newStatus.conditions = [...(newStatus.conditions ?? []), { type: replicaFailureCondition, status: 'True', lastTransitionTime: metaNow(new Date(nowMs)), reason, message }];
  } else if (manageReplicasErr === undefined && failure) {
    newStatus.conditions = newStatus.conditions!.filter((c) => c.type !== replicaFailureCondition);
    if (newStatus.conditions.length === 0) delete newStatus.conditions;
  }
  newStatus.replicas = filteredPods.length;
  setOrOmit(newStatus, 'fullyLabeledReplicas', fullyLabeled);
  setOrOmit(newStatus, 'readyReplicas', ready);
  setOrOmit(newStatus, 'availableReplicas', available);
  return newStatus;
}

/** The API's `omitempty`: zero counts are left out, as kube serializes them. */
function setOrOmit(status: ReplicaSetStatus, field: 'fullyLabeledReplicas' | 'readyReplicas' | 'availableReplicas', value: number): void {
  if (value === 0) delete status[field];
  else status[field] = value;
}

/** Whether writing `status` would change nothing (counts, generation and conditions all equal). */
export function replicaSetStatusUnchanged(rs: ReplicaSet, status: ReplicaSetStatus): boolean {
  const cur = rs.status ?? {};
  return (
    (cur.replicas ?? 0) === (status.replicas ?? 0) &&
    (cur.fullyLabeledReplicas ?? 0) === (status.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (status.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (status.availableReplicas ?? 0) &&
    (cur.observedGeneration ?? 0) === (rs.metadata.generation ?? 0) &&
    JSON.stringify(cur.conditions ?? []) === JSON.stringify(status.conditions ?? [])
  );
}
