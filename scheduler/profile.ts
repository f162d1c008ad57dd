/**
 * The scheduling profile: the ONE place that says which plugins run, in what
 * order, and how much each score counts. The order follows kube-scheduler's
 * pkg/scheduler/apis/config/v1/default_plugins.go: cheap, unresolvable
 * rejections first so most infeasible nodes are dropped before resource math.
 */
import {
  isEnqueueExtensions,
  isFilterPlugin,
  isPreFilterPlugin,
  isPreScorePlugin,
  isScorePlugin,
  type ClusterEvent,
  type FilterPlugin,
  type Plugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from './framework/interface.ts';
import { NodeAffinity } from './plugins/node-affinity/index.ts';
import { NodeName } from './plugins/node-name/index.ts';
import { NodePorts } from './plugins/node-ports/index.ts';
import { NodeResourcesBalancedAllocation } from './plugins/node-resources-balanced-allocation/index.ts';
import { NodeResourcesFit } from './plugins/node-resources-fit/index.ts';
import { NodeUnschedulable } from './plugins/node-unschedulable/index.ts';
import { SelectorSpread } from './plugins/selector-spread/index.ts';
import { TaintToleration } from './plugins/taint-toleration/index.ts';

export const defaultSchedulerName = 'default-scheduler';

/** A plugin and, if it scores, the weight its 0..100 score is multiplied by. */
export interface PluginEntry {
  plugin: Plugin;
  weight?: number;
}

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

/** A built profile: the per-extension-point lists, already in order. */
export interface Profile {
  schedulerName: string;
  /** 0 means adaptive (50 - nodes/125, at least 5), as kube-scheduler's default. */
  percentageOfNodesToScore: number;
  plugins: readonly Plugin[];
  preFilterPlugins: readonly PreFilterPlugin[];
  filterPlugins: readonly FilterPlugin[];
  preScorePlugins: readonly PreScorePlugin[];
  scorePlugins: readonly WeightedScorePlugin[];
}

export interface ProfileOptions {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
}

/** Builds a profile from an ordered plugin list; each plugin joins every extension point it implements. */
export function newProfile(entries: readonly PluginEntry[], options: ProfileOptions = {}): Profile {
  const plugins = entries.map((e) => e.plugin);
  return {
    schedulerName: options.schedulerName ?? defaultSchedulerName,
    percentageOfNodesToScore: options.percentageOfNodesToScore ?? 0,
    plugins,
    preFilterPlugins: plugins.filter(isPreFilterPlugin),
    filterPlugins: plugins.filter(isFilterPlugin),
    preScorePlugins: plugins.filter(isPreScorePlugin),
    scorePlugins: entries.flatMap((e) => (isScorePlugin(e.plugin) ? [{ plugin: e.plugin, weight: e.weight ?? 1 }] : [])),
  };
}

export function defaultPluginEntries(): PluginEntry[] {
  return [
    // Cordoned nodes: nothing about the pod can change that.
    { plugin: new NodeUnschedulable() },
    // spec.nodeName pins the pod to one node.
    { plugin: new NodeName() },
    // NoSchedule/NoExecute taints filter; PreferNoSchedule steers, heavily (kube-scheduler weight 3).
    { plugin: new TaintToleration(), weight: 3 },
    // nodeSelector and required affinity filter; preferred terms score (weight 2).
    { plugin: new NodeAffinity(), weight: 2 },
    // Host port conflicts.
    { plugin: new NodePorts() },
    // Requests vs allocatable; LeastAllocated score spreads load.
    { plugin: new NodeResourcesFit(), weight: 1 },
    // Spread a controller's pods; weight 2 as PodTopologySpread, which replaced it, has.
    { plugin: new SelectorSpread(), weight: 2 },
    // Keep cpu and memory use in proportion.
    { plugin: new NodeResourcesBalancedAllocation(), weight: 1 },
  ];
}

export function defaultProfile(options: ProfileOptions = {}): Profile {
  return newProfile(defaultPluginEntries(), options);
}

/** Union of the events every plugin registered, for the scheduling queue's requeue decisions. */
export function clusterEventsOf(profile: Profile): Map<string, readonly ClusterEvent[]> {
  const out = new Map<string, readonly ClusterEvent[]>();
  for (const p of profile.plugins) if (isEnqueueExtensions(p)) out.set(p.name, p.eventsToRegister());
  return out;
}
