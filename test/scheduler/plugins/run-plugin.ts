/** Runs one plugin the way the framework does: PreFilter (honouring Skip), then Filter. */
import { CycleState } from '../../../scheduler/framework/cycle-state.ts';
import { isFilterPlugin, isPreFilterPlugin, type Plugin } from '../../../scheduler/framework/interface.ts';
import { NodeInfo } from '../../../scheduler/framework/node-info.ts';
import type { Node, Pod } from '../../../scheduler/framework/types.ts';

export interface FilterOutcome {
  code: string;
  reasons: readonly string[];
}

export function runFilter(plugin: Plugin, pod: Pod, node: Node, existing: Pod[] = []): FilterOutcome {
  const state = new CycleState();
  const nodeInfo = new NodeInfo(node, existing);
  if (isPreFilterPlugin(plugin)) {
    const s = plugin.preFilter(state, pod, [nodeInfo]);
    if (s?.code === 'Skip') return { code: 'Success', reasons: [] };
    if (s && s.code !== 'Success') return { code: s.code, reasons: s.reasons };
  }
  if (!isFilterPlugin(plugin)) throw new Error(`${plugin.name} is not a FilterPlugin`);
  const s = plugin.filter(state, pod, nodeInfo);
  return s === null ? { code: 'Success', reasons: [] } : { code: s.code, reasons: s.reasons };
}

export const ok: FilterOutcome = { code: 'Success', reasons: [] };
