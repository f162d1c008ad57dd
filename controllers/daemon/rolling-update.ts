/**
 * Which pods a RollingUpdate DaemonSet replaces in one pass (daemon update.go
 * rollingUpdate). Without surge, old pods are deleted only while fewer than
 * maxUnavailable nodes lack an available pod (and unavailable old pods are
 * always replaced); the manage loop then creates the new pods. With surge, a
 * new pod is started beside an old one on up to maxSurge nodes, and the old
 * one goes once the new one is available.
 */
import { isPodAvailable } from '../controller-utils/pod-readiness.ts';
import type { Pod } from '../controller-utils/workload-objects.ts';
import { scaledValueFromIntOrPercent } from '../deployment/rollout-limits.ts';
import type { DaemonSet } from './daemonset-types.ts';

export interface RollingUpdatePlan {
  podsToDelete: string[];
  nodesNeedingPods: string[];
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, else not ok. */
export function findUpdatedPodsOnNode(pods: readonly Pod[], isUpdated: (pod: Pod) => boolean): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isUpdated(pod)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}), ok: true };
}

/** updatedDesiredNodeCounts' limits: both scaled rounding up, and 1 unavailable if both came out 0. */
export function rollingUpdateLimits(ds: DaemonSet, desiredNumberScheduled: number): { maxSurge: number; maxUnavailable: number } {
  const strategy = ds.spec.updateStrategy;
  if (strategy?.type !== 'RollingUpdate') return { maxSurge: 0, maxUnavailable: 0 };
  const ru = strategy.rollingUpdate ?? {};
  let maxUnavailable = scaledValueFromIntOrPercent(ru.maxUnavailable ?? 1, desiredNumberScheduled, true);
  const maxSurge = scaledValueFromIntOrPercent(ru.maxSurge ?? 0, desiredNumberScheduled, true);
  if (desiredNumberScheduled > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/**
 * `nodeToPods` holds every node that should run the pod (possibly with no
 * pods) and every node with pods of this DaemonSet.
 */
export function planRollingUpdate(
  ds: DaemonSet,
  nodeToPods: ReadonlyMap<string, readonly Pod[]>,
  isUpdated: (pod: Pod) => boolean,
  limits: { maxSurge: number; maxUnavailable: number },
  nowMs: number = Date.now(),
): RollingUpdatePlan {
  const minReadySeconds = ds.spec.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReadySeconds, nowMs);
  const sortedNodes = [...nodeToPods.keys()].sort();
  if (limits.maxSurge === 0) {
    let numUnavailable = 0;
    const allowedReplacementPods: string[] = [];
    const candidatePodsToDelete: string[] = [];
    for (const nodeName of sortedNodes) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(nodeToPods.get(nodeName) ?? [], isUpdated);
      if (!ok) {
        numUnavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
      else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) allowedReplacementPods.push(oldPod.metadata.name!);
        else if (numUnavailable < limits.maxUnavailable) candidatePodsToDelete.push(oldPod.metadata.name!);
      }
    }
    const remaining = Math.min(Math.max(limits.maxUnavailable - numUnavailable, 0), candidatePodsToDelete.length);
    return { podsToDelete: [...allowedReplacementPods, ...candidatePodsToDelete.slice(0, remaining)], nodesNeedingPods: [] };
  }
  const oldPodsToDelete: string[] = [];
  const candidateNewNodes: string[] = [];
  const allowedNewNodes: string[] = [];
  let numSurge = 0;
  for (const nodeName of sortedNodes) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(nodeToPods.get(nodeName) ?? [], isUpdated);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) allowedNewNodes.push(nodeName);
      else if (numSurge < limits.maxSurge) candidateNewNodes.push(nodeName);
      continue;
    }
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    oldPodsToDelete.push(oldPod.metadata.name!);
  }
  const remainingSurge = Math.min(Math.max(limits.maxSurge - numSurge, 0), candidateNewNodes.length);
  return { podsToDelete: oldPodsToDelete, nodesNeedingPods: [...allowedNewNodes, ...candidateNewNodes.slice(0, remainingSurge)] };
}
