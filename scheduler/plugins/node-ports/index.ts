/** NodePorts: a host port (protocol, hostIP, port) can be bound by one pod per node. */
import type { CycleState } from '../../framework/cycle-state.ts';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin } from '../../framework/interface.ts';
import { podHostPorts, type HostPort, type NodeInfo } from '../../framework/node-info.ts';
import { skip, unschedulable, type Status } from '../../framework/status.ts';
import type { Pod } from '../../framework/types.ts';

export const name = 'NodePorts';
export const errReason = "node(s) didn't have free ports for the requested pod ports";
const stateKey = `PreFilter${name}`;

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = name;

  preFilter(state: CycleState, pod: Pod): Status | null {
    const ports = podHostPorts(pod);
    if (ports.length === 0) return skip();
    state.write(stateKey, ports);
    return null;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | null {
    const wanted = state.read<HostPort[]>(stateKey);
    if (nodeInfo.usedPorts.size === 0) return null;
    for (const p of wanted) if (nodeInfo.usedPorts.checkConflict(p)) return unschedulable(errReason);
    return null;
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [
      { resource: 'AssignedPod', actionTypes: ['Delete'] },
      { resource: 'Node', actionTypes: ['Add'] },
    ];
  }
}
