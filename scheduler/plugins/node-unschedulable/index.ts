/** NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods tolerating the unschedulable taint. */
import type { CycleState } from '../../framework/cycle-state.ts';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { unschedulableAndUnresolvable, type Status } from '../../framework/status.ts';
import { tolerationsTolerateTaint } from '../../../client/api/taints.ts';
import type { Pod, Taint } from '../../framework/types.ts';

export const name = 'NodeUnschedulable';
export const errReasonUnschedulable = 'node(s) were unschedulable';
/** The taint the node lifecycle controller mirrors spec.unschedulable into. */
export const taintNodeUnschedulable = 'node.kubernetes.io/unschedulable';

const unschedulableTaint: Taint = { key: taintNodeUnschedulable, effect: 'NoSchedule' };

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = name;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | null {
    if (!nodeInfo.node.spec?.unschedulable) return null;
    if (tolerationsTolerateTaint(pod.spec.tolerations, unschedulableTaint)) return null;
    return unschedulableAndUnresolvable(errReasonUnschedulable);
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [{ resource: 'Node', actionTypes: ['Add', 'UpdateNodeTaint'] }];
  }
}
