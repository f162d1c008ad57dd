/**
 * TaintToleration: NoSchedule/NoExecute taints the pod doesn't tolerate
 * reject the node; untolerated PreferNoSchedule taints lower its score.
 */
import type { CycleState } from '../../framework/cycle-state.ts';
import {
  defaultNormalizeScore,
  maxNodeScore,
  type ClusterEvent,
  type EnqueueExtensions,
  type FilterPlugin,
  type NodeScore,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { unschedulableAndUnresolvable, type Status } from '../../framework/status.ts';
import { findMatchingUntoleratedTaint, tolerationsTolerateTaint } from '../../../client/api/taints.ts';
import type { Pod, Toleration } from '../../framework/types.ts';

export const name = 'TaintToleration';
const filterEffects: ReadonlySet<string> = new Set(['NoSchedule', 'NoExecute']);
const stateKey = `PreScore${name}`;

export function errReasonUntoleratedTaint(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = name;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | null {
    const taint = findMatchingUntoleratedTaint(nodeInfo.node.spec?.taints, pod.spec.tolerations, filterEffects);
    if (!taint) return null;
    return unschedulableAndUnresolvable(errReasonUntoleratedTaint(taint.key, taint.value));
  }

  preScore(state: CycleState, pod: Pod): Status | null {
    // Only tolerations that could match a PreferNoSchedule taint matter for scoring.
    const tolerations = (pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(stateKey, tolerations);
    return null;
  }

  /** The count of untolerated PreferNoSchedule taints; normalization turns most into worst. */
  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const tolerations = state.read<Toleration[]>(stateKey);
    let n = 0;
    for (const taint of nodeInfo.node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) n++;
    }
    return n;
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(maxNodeScore, true, scores);
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [
      { resource: 'Node', actionTypes: ['Add', 'UpdateNodeTaint'] },
      { resource: 'UnscheduledPod', actionTypes: ['UpdatePodTolerations'] },
    ];
  }
}
