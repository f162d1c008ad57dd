/**
 * NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would
 * be used in similar fractions after placing the pod, so neither runs out
 * while the other idles. Score = (1 - std deviation of the fractions) * 100.
 */
import type { CycleState } from '../../framework/cycle-state.ts';
import { maxNodeScore, type ClusterEvent, type EnqueueExtensions, type PreScorePlugin, type ScorePlugin } from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { computePodResourceRequest, type Resource } from '../../framework/resource.ts';
import { skip, type Status } from '../../framework/status.ts';
import type { Pod } from '../../framework/types.ts';
import { defaultResourceSpecs, resourceAmount, type ResourceSpec } from '../node-resources-fit/index.ts';

export const name = 'NodeResourcesBalancedAllocation';
const stateKey = `PreScore${name}`;

export function balancedResourceScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  let totalFraction = 0;
  for (let i = 0; i < requested.length; i++) {
    const alloc = allocatable[i] ?? 0;
    if (alloc === 0) continue;
    const fraction = Math.min((requested[i] ?? 0) / alloc, 1);
    totalFraction += fraction;
    fractions.push(fraction);
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs(((fractions[0] ?? 0) - (fractions[1] ?? 0)) / 2);
  } else if (fractions.length > 2) {
    const mean = totalFraction / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * maxNodeScore);
}

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = name;
  readonly resources: readonly ResourceSpec[];

  constructor(resources: readonly ResourceSpec[] = defaultResourceSpecs) {
    this.resources = resources;
  }

  /** A BestEffort pod changes no fraction, so it gets no opinion from this plugin. */
  preScore(state: CycleState, pod: Pod): Status | null {
    const req = computePodResourceRequest(pod);
    if (this.resources.every((r) => resourceAmount(req, r.name) === 0)) return skip();
    state.write(stateKey, req);
    return null;
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const req = state.read<Resource>(stateKey);
    const requested = this.resources.map((r) => resourceAmount(nodeInfo.requested, r.name) + resourceAmount(req, r.name));
    const allocatable = this.resources.map((r) => resourceAmount(nodeInfo.allocatable, r.name));
    return balancedResourceScore(requested, allocatable);
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [
      { resource: 'AssignedPod', actionTypes: ['Add', 'Delete'] },
      { resource: 'Node', actionTypes: ['Add', 'UpdateNodeAllocatable'] },
    ];
  }
}
