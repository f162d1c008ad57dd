/**
 * One scheduling attempt for one pod, with no I/O (kube-scheduler
 * schedule_one.go schedulePod): PreFilter, Filter over a sample of the
 * snapshot, PreScore and Score over the feasible nodes, then pick the best.
 * The caller owns the snapshot, the assume cache and the binding.
 */
import { CycleState } from './framework/cycle-state.ts';
import { maxNodeScore, minNodeScore, type FilterPlugin, type NodeScore } from './framework/interface.ts';
import type { NodeInfo } from './framework/node-info.ts';
import type { Snapshot } from './framework/snapshot.ts';
import { Status } from './framework/status.ts';
import type { Pod } from './framework/types.ts';
import { errNoNodesAvailable, FitError, newDiagnosis, type Diagnosis } from './fit-error.ts';
import type { Profile } from './profile.ts';

/** Below this many nodes every node is checked; above, at least this many feasible are found. */
export const minFeasibleNodesToFind = 100;
export const minFeasibleNodesPercentageToFind = 5;

/**
 * How many feasible nodes are enough to stop filtering: on big clusters
 * scoring every node buys little, so only a shrinking share is sought.
 */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < minFeasibleNodesPercentageToFind) percentage = minFeasibleNodesPercentageToFind;
  }
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return n < minFeasibleNodesToFind ? minFeasibleNodesToFind : n;
}

/**
 * Where the next attempt starts its walk over the node list, so sampling
 * does not keep favouring the first nodes (Scheduler.nextStartNodeIndex).
 */
export interface SchedulingCursor {
  nextStartNodeIndex: number;
}

export function newCursor(): SchedulingCursor {
  return { nextStartNodeIndex: 0 };
}

export interface ScheduleResult {
  suggestedHost: string;
  /** Nodes filtered (feasible plus rejected). */
  evaluatedNodes: number;
  feasibleNodes: number;
}

export interface FindNodesResult {
  feasibleNodes: NodeInfo[];
  diagnosis: Diagnosis;
}

/** Error statuses are not rejections: the attempt fails and the pod is retried. */
export class SchedulingError extends Error {
  constructor(plugin: string, point: string, message: string) {
    super(`running ${point} plugin ${JSON.stringify(plugin)}: ${message}`);
    this.name = 'SchedulingError';
  }
}

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** Runs Filter plugins in profile order, stopping at the first rejection (RunFilterPlugins). */
export function runFilterPlugins(filters: readonly FilterPlugin[], state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | null {
  for (const f of filters) {
    const s = f.filter(state, pod, nodeInfo);
    if (s === null || s.code === 'Success') continue;
    if (s.code === 'Error') throw new SchedulingError(f.name, 'Filter', s.message());
    return s.withPlugin(f.name);
  }
  return null;
}

/**
 * PreFilter, then Filter over nodes starting at the cursor until enough
 * feasible ones are found; every rejected node's status lands in the diagnosis.
 */
export function findNodesThatFitPod(profile: Profile, state: CycleState, pod: Pod, snapshot: Snapshot, cursor: SchedulingCursor): FindNodesResult {
  const diagnosis = newDiagnosis();
  const all = snapshot.nodeInfoList;
  for (const p of profile.preFilterPlugins) {
    const s = p.preFilter(state, pod, all);
    if (s === null || s.code === 'Success') continue;
    if (s.code === 'Skip') {
      state.skipFilterPlugins.add(p.name);
      continue;
    }
    if (s.code === 'Error') throw new SchedulingError(p.name, 'PreFilter', s.message());
    // The pod fits nowhere; every node carries the same status.
    s.withPlugin(p.name);
    for (const n of all) diagnosis.nodeToStatus.set(n.name, s);
    diagnosis.unschedulablePlugins.add(p.name);
    diagnosis.preFilterMsg = s.message();
    return { feasibleNodes: [], diagnosis };
  }

  const filters = profile.filterPlugins.filter((f) => !state.skipFilterPlugins.has(f.name));
  const numAll = all.length;
  const toFind = numFeasibleNodesToFind(profile.percentageOfNodesToScore, numAll);
  const feasibleNodes: NodeInfo[] = [];
  const start = numAll === 0 ? 0 : cursor.nextStartNodeIndex % numAll;
  let processed = 0;
  for (; processed < numAll && feasibleNodes.length < toFind; processed++) {
    const nodeInfo = all[(start + processed) % numAll];
    if (!nodeInfo) continue;
    const s = runFilterPlugins(filters, state, pod, nodeInfo);
    if (s === null) {
      feasibleNodes.push(nodeInfo);
    } else {
      diagnosis.nodeToStatus.set(nodeInfo.name, s);
      diagnosis.unschedulablePlugins.add(s.plugin);
    }
  }
  cursor.nextStartNodeIndex = numAll === 0 ? 0 : (start + processed) % numAll;
  return { feasibleNodes, diagnosis };
}

/** One node's weighted scores, per plugin and in total. */
export interface NodePluginScores {
  name: string;
  scores: { plugin: string; score: number }[];
  totalScore: number;
}

/**
 * PreScore, then each Score plugin over all feasible nodes, normalized to
 * 0..100 and multiplied by its profile weight (RunScorePlugins).
 */
export function prioritizeNodes(profile: Profile, state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): NodePluginScores[] {
  for (const p of profile.preScorePlugins) {
    const s = p.preScore(state, pod, nodes);
    if (s === null || s.code === 'Success') continue;
    if (s.code === 'Skip') state.skipScorePlugins.add(p.name);
    else throw new SchedulingError(p.name, 'PreScore', s.message());
  }
  const result: NodePluginScores[] = nodes.map((n) => ({ name: n.name, scores: [], totalScore: 0 }));
  for (const { plugin, weight } of profile.scorePlugins) {
    if (state.skipScorePlugins.has(plugin.name)) continue;
    const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) }));
    plugin.normalizeScore?.(state, pod, scores);
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      const r = result[i];
      if (!s || !r) continue;
      if (s.score < minNodeScore || s.score > maxNodeScore) {
        throw new SchedulingError(plugin.name, 'Score', `returns an invalid score ${s.score}, it should in the range of [${minNodeScore}, ${maxNodeScore}] after normalizing`);
      }
      const weighted = s.score * weight;
      r.scores.push({ plugin: plugin.name, score: weighted });
      r.totalScore += weighted;
    }
  }
  return result;
}

/** Highest total wins; ties are broken uniformly at random by reservoir sampling, as selectHost does. */
export function selectHost(scores: readonly NodePluginScores[], random: () => number = Math.random): string {
  const first = scores[0];
  if (!first) throw new Error('empty priorityList');
  let selected = first.name;
  let best = first.totalScore;
  let ties = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i];
    if (!s) continue;
    if (s.totalScore > best) {
      best = s.totalScore;
      selected = s.name;
      ties = 1;
    } else if (s.totalScore === best) {
      ties++;
      if (Math.floor(random() * ties) === 0) selected = s.name;
    }
  }
  return selected;
}

/**
 * The whole pure cycle. Throws FitError when no node fits (its message is
 * the FailedScheduling text) and SchedulingError when a plugin errs.
 */
export function schedulePod(
  profile: Profile,
  pod: Pod,
  snapshot: Snapshot,
  cursor: SchedulingCursor,
  random: () => number = Math.random,
): ScheduleResult {
  if (snapshot.numNodes === 0) throw new Error(errNoNodesAvailable);
  const state = new CycleState();
  const { feasibleNodes, diagnosis } = findNodesThatFitPod(profile, state, pod, snapshot, cursor);
  const evaluatedNodes = feasibleNodes.length + diagnosis.nodeToStatus.size;
  const only = feasibleNodes[0];
  if (!only) throw new FitError(podKey(pod), snapshot.numNodes, diagnosis);
  // One candidate: scoring cannot change the answer.
  if (feasibleNodes.length === 1) return { suggestedHost: only.name, evaluatedNodes, feasibleNodes: 1 };
  const scores = prioritizeNodes(profile, state, pod, feasibleNodes);
  return { suggestedHost: selectHost(scores, random), evaluatedNodes, feasibleNodes: feasibleNodes.length };
}
