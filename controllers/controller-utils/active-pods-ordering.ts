/**
 * Which pods a controller deletes first when it scales down, as
 * pkg/controller controller_utils.go ActivePodsWithRanks.Less: the pods that
 * cost least to lose go first. Sorting ascending with `compareForDeletion`
 * puts the best deletion candidates at the front.
 *
 * Timestamps are compared exactly, as with the LogarithmicScaleDown feature
 * off (with it on, kube buckets ages by powers of two and breaks ties by UID).
 */
import { isPodReady, maxContainerRestarts, podReadyTime } from './pod-readiness.ts';
import type { Pod } from './workload-objects.ts';

const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

const phaseOrdinal: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const raw = pod.metadata.annotations?.[podDeletionCostAnnotation];
  if (raw === undefined) return 0;
  const n = Number.parseInt(raw, 10);
  return Number.isFinite(n) && String(n) === raw.trim() ? n : 0;
}

function creationTime(pod: Pod): number {
  const t = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** afterOrZero: an unset time sorts first, then the later time. */
function afterOrZero(a: number, b: number): boolean {
  if (a === 0 || b === 0) return a === 0;
  return a > b;
}

/** A pod with its rank: how many related pods share its node (doubled-up pods go first). */
export interface RankedPod {
  pod: Pod;
  rank: number;
}

/** True when `a` should be deleted before `b` (ActivePodsWithRanks.Less). */
export function deleteBefore(a: RankedPod, b: RankedPod): boolean {
  const pa = a.pod;
  const pb = b.pod;
  // 1. Unassigned < assigned.
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  // 2. Pending < Unknown < Running.
  const oa = phaseOrdinal[pa.status?.phase ?? ''] ?? 0;
  const ob = phaseOrdinal[pb.status?.phase ?? ''] ?? 0;
  if (oa !== ob) return oa < ob;
  // 3. Not ready < ready.
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return !ra;
  // 4. Lower pod-deletion-cost < higher.
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca < cb;
  // 5. Doubled up < not doubled up.
  if (a.rank !== b.rank) return a.rank > b.rank;
  // 6. Ready for less time < ready for longer.
  if (ra && rb) {
    const ta = podReadyTime(pa);
    const tb = podReadyTime(pb);
    if (ta !== tb) return afterOrZero(ta, tb);
  }
  // 7. More restarts < fewer restarts.
  const xa = maxContainerRestarts(pa);
  const xb = maxContainerRestarts(pb);
  if (xa !== xb) return xa > xb;
  // 8. Newer < older.
  const ka = creationTime(pa);
  const kb = creationTime(pb);
  if (ka !== kb) return afterOrZero(ka, kb);
  return false;
}

/** Array.sort comparator built from deleteBefore. */
export function compareForDeletion(a: RankedPod, b: RankedPod): number {
  if (deleteBefore(a, b)) return -1;
  if (deleteBefore(b, a)) return 1;
  return 0;
}

/**
 * The `count` pods to delete out of `pods` (getPodsToDelete): each ranked by
 * how many of `relatedPods` (pods of the same owner and its siblings) run on
 * its node, then sorted by deleteBefore.
 */
export function podsToDelete(pods: readonly Pod[], relatedPods: readonly Pod[], count: number): Pod[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of relatedPods) {
    const node = p.spec?.nodeName;
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: pod.spec?.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0 }));
  ranked.sort(compareForDeletion);
  return ranked.slice(0, count).map((r) => r.pod);
}
