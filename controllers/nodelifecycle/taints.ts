/**
 * What the node lifecycle and taint eviction controllers add to the shared
 * taint helpers (client/api/taints.ts): which tolerations cover a node's
 * taints and for how long.
 */

import { toleratesTaint, type Taint, type Toleration } from '../../client/api/taints.ts';

export {
  taintNodeDiskPressure,
  taintNodeMemoryPressure,
  taintNodeNetworkUnavailable,
  taintNodeNotReady,
  taintNodePIDPressure,
  taintNodeUnreachable,
  taintNodeUnschedulable,
  toleratesTaint,
  type Taint,
  type TaintEffect,
  type Toleration,
} from '../../client/api/taints.ts';

/**
 * Whether every taint is tolerated, and which toleration covers each
 * (kube tainteviction getMatchingTolerations: the first match per taint).
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[]): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const match = tolerations.find((t) => toleratesTaint(t, taint));
    if (!match) return { allTolerated: false, used: [] };
    used.push(match);
  }
  return { allTolerated: true, used };
}

/**
 * The shortest tolerationSeconds among `tolerations` in ms: 0 when none or
 * any is ≤ 0, -1 when all are unbounded (getMinTolerationTime).
 */
export function minTolerationMs(tolerations: readonly Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}
