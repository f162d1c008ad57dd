/**
 * maxSurge and maxUnavailable as numbers of pods (deployment/util
 * ResolveFenceposts, MaxSurge, MaxUnavailable): percentages of spec.replicas,
 * surge rounded up and unavailability rounded down, and never both zero, or
 * a rollout could make no move at all.
 */
import type { Deployment, IntOrString } from '../controller-utils/workload-objects.ts';

/** intstr.GetScaledValueFromIntOrPercent; an unparsable value counts as 0. */
export function scaledValueFromIntOrPercent(value: IntOrString | null | undefined, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return 0;
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function resolveFenceposts(maxSurge: IntOrString | null | undefined, maxUnavailable: IntOrString | null | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValueFromIntOrPercent(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValueFromIntOrPercent(maxUnavailable ?? '25%', desired, false);
  // Validation forbids 0/0; if it slips through, allow one unavailable pod so the rollout can move.
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** How many pods above spec.replicas a rollout may run. 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec.replicas ?? 1).surge;
}

/** How many of spec.replicas may be unavailable during a rollout, at most spec.replicas. 0 for Recreate. */
export function maxUnavailable(d: Deployment): number {
  const replicas = d.spec.replicas ?? 1;
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}
