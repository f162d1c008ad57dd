/**
 * Extension points of the scheduling framework (kube-scheduler
 * framework/interface.go), reduced to the ones a pure scheduling cycle needs.
 * A plugin is one class implementing any of them; profile.ts decides order.
 */
import type { CycleState } from './cycle-state.ts';
import type { NodeInfo } from './node-info.ts';
import type { Status } from './status.ts';
import type { Pod } from './types.ts';

/** Scores plugins return and NormalizeScore must produce. */
export const maxNodeScore = 100;
export const minNodeScore = 0;

export interface Plugin {
  /** As kube-scheduler spells it: `NodeResourcesFit`, `TaintToleration`... */
  readonly name: string;
}

/** Runs once per attempt; may write CycleState, reject the pod outright, or return Skip to bypass its Filter. */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | null;
}

/** Decides whether the pod fits one node; `null` means it does. Must not mutate. */
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | null;
}

/** Runs once per attempt over the feasible nodes; Skip bypasses its Score. */
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | null;
}

export interface NodeScore {
  name: string;
  score: number;
}

/** Ranks one feasible node. NormalizeScore, if present, maps the raw scores onto 0..maxNodeScore. */
export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): void;
}

/** Kinds of cluster change the scheduling queue watches (framework.EventResource). */
export type EventResource = 'Pod' | 'Node' | 'AssignedPod' | 'UnscheduledPod';

/** framework.ActionType, spelled as Kubernetes does. */
export type ActionType =
  | 'Add'
  | 'Delete'
  | 'UpdateNodeAllocatable'
  | 'UpdateNodeLabel'
  | 'UpdateNodeTaint'
  | 'UpdateNodeCondition'
  | 'UpdatePodLabel'
  | 'UpdatePodScaleDown'
  | 'UpdatePodTolerations'
  | 'Update';

export interface ClusterEvent {
  resource: EventResource;
  actionTypes: readonly ActionType[];
}

/**
 * Which cluster events might make a pod this plugin rejected schedulable, so
 * the queue retries it then rather than after blind backoff.
 */
export interface EnqueueExtensions {
  eventsToRegister(): readonly ClusterEvent[];
}

export function isPreFilterPlugin(p: Plugin): p is PreFilterPlugin {
  return typeof (p as Partial<PreFilterPlugin>).preFilter === 'function';
}
export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as Partial<FilterPlugin>).filter === 'function';
}
export function isPreScorePlugin(p: Plugin): p is PreScorePlugin {
  return typeof (p as Partial<PreScorePlugin>).preScore === 'function';
}
export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as Partial<ScorePlugin>).score === 'function';
}
export function isEnqueueExtensions(p: Plugin): p is Plugin & EnqueueExtensions {
  return typeof (p as Partial<EnqueueExtensions>).eventsToRegister === 'function';
}

/**
 * helper.DefaultNormalizeScore: scale to 0..max by the largest score;
 * `reverse` makes the largest raw score the worst (counts of bad things).
 */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: NodeScore[]): void {
  let highest = 0;
  for (const s of scores) if (s.score > highest) highest = s.score;
  if (highest === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((max * s.score) / highest);
    if (reverse) v = max - v;
    s.score = v;
  }
}
