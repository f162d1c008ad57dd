/**
 * Which ReplicaSet is the Deployment's current one and how big it should be
 * (deployment/util FindNewReplicaSet, FindOldReplicaSets, NewRSNewReplicas,
 * IsSaturated). The new RS is the oldest whose template equals the
 * Deployment's ignoring the hash label, so a rollback to an old template
 * reuses the old RS instead of creating a twin.
 */
import type { Deployment, ReplicaSet } from '../controller-utils/workload-objects.ts';
import { desiredReplicasOf } from './deployment-annotations.ts';
import { equalIgnoreHash } from './pod-template-hash.ts';
import { byCreationTimestamp, podsBoundOf, specReplicas } from './replica-set-counts.ts';
import { isRollingUpdate, maxSurge } from './rollout-limits.ts';

export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** Every RS but the new one. */
export function findOldReplicaSets(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(d, rss);
  return rss.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
}

/**
 * NewRSNewReplicas: Recreate goes straight to spec.replicas; RollingUpdate
 * grows the new RS only while every RS's pods stay within
 * spec.replicas + maxSurge, and never past spec.replicas.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const replicas = d.spec.replicas ?? 1;
  if (!isRollingUpdate(d)) return replicas;
  const current = allRSs.reduce((n, rs) => n + podsBoundOf(rs), 0);
  const maxTotal = replicas + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + Math.max(0, scaleUp);
}

/** IsSaturated: the new RS is at full size and all of it is available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const replicas = d.spec.replicas ?? 1;
  const desired = desiredReplicasOf(rs);
  return desired !== undefined && specReplicas(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}
