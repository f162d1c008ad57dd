/**
 * NodeAffinity: spec.nodeSelector and required node affinity filter; the
 * weights of matching preferred terms score.
 */
import type { CycleState } from '../../framework/cycle-state.ts';
import {
  defaultNormalizeScore,
  maxNodeScore,
  type ClusterEvent,
  type EnqueueExtensions,
  type FilterPlugin,
  type NodeScore,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { skip, unschedulableAndUnresolvable, type Status } from '../../framework/status.ts';
import type { NodeSelectorTerm, Pod, PreferredSchedulingTerm } from '../../framework/types.ts';
import { requiredNodeAffinityMatches, termMatches } from '../../../client/api/node-affinity.ts';

export const name = 'NodeAffinity';
export const errReasonPod = "node(s) didn't match Pod's node affinity/selector";

interface RequiredAffinity {
  nodeSelector: Record<string, string> | undefined;
  /** undefined: no required affinity; [] would match nothing. */
  terms: NodeSelectorTerm[] | undefined;
}

const preFilterKey = `PreFilter${name}`;
const preScoreKey = `PreScore${name}`;

function requiredOf(pod: Pod): RequiredAffinity {
  const nodeSelector = pod.spec.nodeSelector;
  return {
    nodeSelector: nodeSelector && Object.keys(nodeSelector).length > 0 ? nodeSelector : undefined,
    terms: pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
  };
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = name;

  preFilter(state: CycleState, pod: Pod): Status | null {
    const req = requiredOf(pod);
    if (req.nodeSelector === undefined && req.terms === undefined) return skip();
    state.write(preFilterKey, req);
    return null;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | null {
    const req = state.read<RequiredAffinity>(preFilterKey);
    if (requiredNodeAffinityMatches(req.nodeSelector, req.terms, nodeInfo.node)) return null;
    return unschedulableAndUnresolvable(errReasonPod);
  }

  preScore(state: CycleState, pod: Pod): Status | null {
    const preferred = (pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).filter((t) => t.weight !== 0);
    if (preferred.length === 0) return skip();
    state.write(preScoreKey, preferred);
    return null;
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    let total = 0;
    for (const t of state.read<PreferredSchedulingTerm[]>(preScoreKey)) {
      if (termMatches(t.preference, nodeInfo.node)) total += t.weight;
    }
    return total;
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(maxNodeScore, false, scores);
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [{ resource: 'Node', actionTypes: ['Add', 'UpdateNodeLabel'] }];
  }
}
