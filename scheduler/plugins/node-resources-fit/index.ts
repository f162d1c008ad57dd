/**
 * NodeResourcesFit: the pod's requests must fit in allocatable minus what
 * pods already counted on the node request; every short resource is a
 * reason. Scores with the LeastAllocated strategy (emptier nodes first).
 */
import type { CycleState } from '../../framework/cycle-state.ts';
import {
  maxNodeScore,
  type ClusterEvent,
  type EnqueueExtensions,
  type FilterPlugin,
  type PreFilterPlugin,
  type ScorePlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { computePodResourceRequest, type Resource } from '../../framework/resource.ts';
import { unschedulable, type Status } from '../../framework/status.ts';
import type { Pod } from '../../framework/types.ts';

export const name = 'NodeResourcesFit';
export const errReasonTooManyPods = 'Too many pods';
export function errReasonInsufficient(resource: string): string {
  return `Insufficient ${resource}`;
}

const preFilterKey = `PreFilter${name}`;
const scoreKey = `PreScore${name}`;

/** A resource and its weight in a scoring strategy (config.ResourceSpec). */
export interface ResourceSpec {
  name: string;
  weight: number;
}

/** ScoringStrategy default: cpu and memory, weight 1 each. */
export const defaultResourceSpecs: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

export function resourceAmount(r: Resource, resource: string): number {
  switch (resource) {
    case 'cpu':
      return r.milliCPU;
    case 'memory':
      return r.memory;
    case 'ephemeral-storage':
      return r.ephemeralStorage;
    case 'pods':
      return r.allowedPodNumber;
    default:
      return r.scalarResources.get(resource) ?? 0;
  }
}

/** The reasons a pod with request `req` does not fit; empty when it does (noderesources.fitsRequest). */
export function insufficientResources(req: Resource, nodeInfo: NodeInfo): string[] {
  const reasons: string[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) reasons.push(errReasonTooManyPods);
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push(errReasonInsufficient('cpu'));
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) reasons.push(errReasonInsufficient('memory'));
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    reasons.push(errReasonInsufficient('ephemeral-storage'));
  }
  for (const [rName, v] of req.scalarResources) {
    if (v > 0 && v > (alloc.scalarResources.get(rName) ?? 0) - (used.scalarResources.get(rName) ?? 0)) {
      reasons.push(errReasonInsufficient(rName));
    }
  }
  return reasons;
}

export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * maxNodeScore) / capacity);
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, ScorePlugin, EnqueueExtensions {
  readonly name = name;
  readonly resources: readonly ResourceSpec[];

  constructor(resources: readonly ResourceSpec[] = defaultResourceSpecs) {
    this.resources = resources;
  }

  preFilter(state: CycleState, pod: Pod): Status | null {
    state.write(preFilterKey, computePodResourceRequest(pod));
    return null;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | null {
    const reasons = insufficientResources(state.read<Resource>(preFilterKey), nodeInfo);
    return reasons.length === 0 ? null : unschedulable(...reasons);
  }

  /** LeastAllocated over non-zero requests, so request-less pods still spread. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    let req: Resource;
    if (state.has(scoreKey)) req = state.read<Resource>(scoreKey);
    else state.write(scoreKey, (req = computePodResourceRequest(pod, true)));
    let total = 0;
    let weights = 0;
    for (const { name: rName, weight } of this.resources) {
      const alloc = resourceAmount(nodeInfo.allocatable, rName);
      if (alloc === 0) continue;
      total += leastRequestedScore(resourceAmount(nodeInfo.nonZeroRequested, rName) + resourceAmount(req, rName), alloc) * weight;
      weights += weight;
    }
    return weights === 0 ? 0 : Math.trunc(total / weights);
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [
      { resource: 'AssignedPod', actionTypes: ['Delete', 'UpdatePodScaleDown'] },
      { resource: 'Node', actionTypes: ['Add', 'UpdateNodeAllocatable'] },
    ];
  }
}
