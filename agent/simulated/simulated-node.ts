/**
 * The Node object a simulated node registers, as a kubelet would on a real
 * host (kwok's node template): hostname/os/arch labels, capacity equal to
 * allocatable, the four standard conditions healthy, an InternalIP and
 * nodeInfo naming pier as the kubelet.
 */
import { metaNow } from '../../client/api/meta-time.ts';
import type { KubeObject } from '../../client/api/meta.ts';

/** Resources every simulated node offers (quantities as in a Node's status.capacity). */
export interface SimulatedNodeCapacity {
  cpu: string;
  memory: string;
  pods: string;
  ephemeralStorage: string;
}

export const defaultSimulatedCapacity: SimulatedNodeCapacity = { cpu: '32', memory: '256Gi', pods: '110', ephemeralStorage: '100Gi' };

/** Marks nodes run by `pier simnodes`, so tools and tests can tell them apart. */
export const simulatedNodeLabel = 'pier.dev/simulated';

export const simulatedKubeletVersion = 'v1.32.0-pier-sim';

/** A stable, unique fake address per node index (172.16.0.0/12 holds a million). */
export function simulatedNodeIp(index: number): string {
  return `172.${16 + ((index >> 16) & 15)}.${(index >> 8) & 255}.${index & 255}`;
}

export function nodeConditions(now: string): Array<Record<string, string>> {
  const healthy = (type: string, reason: string, message: string) => ({
    type,
    status: 'False',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return [
    healthy('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    healthy('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    healthy('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    { type: 'Ready', status: 'True', lastHeartbeatTime: now, lastTransitionTime: now, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
}

export function simulatedNode(name: string, index: number, capacity: SimulatedNodeCapacity): KubeObject {
  const now = metaNow();
  const resources = { cpu: capacity.cpu, memory: capacity.memory, pods: capacity.pods, 'ephemeral-storage': capacity.ephemeralStorage };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        [simulatedNodeLabel]: 'true',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
    status: {
      capacity: resources,
      allocatable: { ...resources },
      conditions: nodeConditions(now),
      addresses: [
        { type: 'InternalIP', address: simulatedNodeIp(index) },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: 'simulated',
        osImage: 'pier simulated node',
        containerRuntimeVersion: 'simulated://0',
        kubeletVersion: simulatedKubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  } as KubeObject;
}
