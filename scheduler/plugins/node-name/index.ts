/** NodeName: a pod that names its node (spec.nodeName) fits only there. */
import type { CycleState } from '../../framework/cycle-state.ts';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { unschedulableAndUnresolvable, type Status } from '../../framework/status.ts';
import type { Pod } from '../../framework/types.ts';

export const name = 'NodeName';
export const errReason = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = name;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | null {
    const want = pod.spec.nodeName;
    if (!want || want === nodeInfo.name) return null;
    return unschedulableAndUnresolvable(errReason);
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [{ resource: 'Node', actionTypes: ['Add'] }];
  }
}
