/**
 * Pod readiness and availability as the workload controllers judge them
 * (k8s.io/kubernetes pkg/api/v1/pod util.go IsPodReady, IsPodAvailable;
 * pkg/controller controller_utils.go IsPodActive).
 */
import type { Pod, PodCondition } from './workload-objects.ts';

export function getPodReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return getPodReadyCondition(pod)?.status === 'True';
}

/**
 * Ready for at least `minReadySeconds` (measured from the Ready condition's
 * lastTransitionTime). With 0 seconds, ready is available.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number = Date.now()): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = getPodReadyCondition(pod)?.lastTransitionTime;
  if (!since) return false;
  const t = Date.parse(since);
  return !Number.isNaN(t) && t + minReadySeconds * 1000 < nowMs;
}

/** Neither finished nor being deleted: the pods a controller counts. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** When the pod last became ready, in ms; 0 when not ready or unknown. */
export function podReadyTime(pod: Pod): number {
  if (!isPodReady(pod)) return 0;
  const since = getPodReadyCondition(pod)?.lastTransitionTime;
  const t = since ? Date.parse(since) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** The highest restartCount of the pod's containers (init containers included). */
export function maxContainerRestarts(pod: Pod): number {
  let max = 0;
  for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) max = Math.max(max, s.restartCount ?? 0);
  return max;
}
