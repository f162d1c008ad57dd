/**
 * A DaemonSet's status from its nodes and pods (daemon_controller.go
 * updateDaemonSetStatus): per node that should run the pod, whether one is
 * there and whether the oldest one is ready, available and of the current
 * revision; pods on nodes that should not run them are misscheduled.
 */
import { isPodAvailable, isPodReady } from '../controller-utils/pod-readiness.ts';
import type { Pod } from '../controller-utils/workload-objects.ts';
import { controllerRevisionHashLabel, podTemplateGenerationLabel, templateGenerationAnnotation, type DaemonSet, type DaemonSetStatus, type Node } from './daemonset-types.ts';
import { nodeShouldRunDaemonPod } from './node-should-run.ts';

/** util.GetTemplateGeneration. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const raw = ds.metadata.annotations?.[templateGenerationAnnotation];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** util.IsPodUpdated: the current revision's hash, or (pre-history pods) the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const templateMatches = generation !== undefined && labels[podTemplateGenerationLabel] === String(generation);
  const hashMatches = hash.length > 0 && labels[controllerRevisionHashLabel] === hash;
  return hashMatches || templateMatches;
}

/** podByCreationTimestampAndPhase (simplified): oldest first, ties broken by name. */
export function byCreationTimestamp(a: Pod, b: Pod): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

export function calculateDaemonSetStatus(ds: DaemonSet, nodes: readonly Node[], nodeToPods: ReadonlyMap<string, readonly Pod[]>, hash: string, nowMs: number = Date.now()): DaemonSetStatus {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  const generation = templateGeneration(ds);
  const minReadySeconds = ds.spec.minReadySeconds ?? 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(node.metadata.name ?? '') ?? [];
    if (!shouldRun) {
      if (pods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    if (pods.length === 0) continue;
    current++;
    const pod = [...pods].sort(byCreationTimestamp)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, nowMs)) available++;
    }
    if (isPodUpdated(pod, hash, generation)) updated++;
  }
  const status: DaemonSetStatus = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: ds.metadata.generation ?? 0,
  };
  if (updated > 0) status.updatedNumberScheduled = updated;
  if (available > 0) status.numberAvailable = available;
  if (desired - available > 0) status.numberUnavailable = desired - available;
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  if (ds.status?.conditions?.length) status.conditions = ds.status.conditions;
  return status;
}

export function daemonSetStatusUnchanged(ds: DaemonSet, status: DaemonSetStatus): boolean {
  const cur = ds.status ?? {};
  const fields = ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'] as const;
  return fields.every((f) => (cur[f] ?? 0) === (status[f] ?? 0));
}
