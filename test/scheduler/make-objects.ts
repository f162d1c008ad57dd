/** Small Pod/Node builders for scheduler tests. */
import type { Container, Node, Pod, ResourceList, Taint, Toleration } from '../../scheduler/framework/types.ts';

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  extra?: ResourceList;
}

export function makeNode(name: string, o: NodeOptions = {}): Node {
  const allocatable: ResourceList = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) };
  if (o.ephemeralStorage) allocatable['ephemeral-storage'] = o.ephemeralStorage;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: allocatable, allocatable },
  };
}

export interface PodOptions {
  cpu?: string;
  memory?: string;
  ephemeralStorage?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  hostPorts?: { port: number; hostIP?: string; protocol?: 'TCP' | 'UDP' }[];
  owner?: string;
  namespace?: string;
  containers?: Container[];
  initContainers?: Container[];
}

let uid = 0;

export function makePod(name: string, o: PodOptions = {}): Pod {
  const requests: ResourceList = {};
  if (o.cpu) requests['cpu'] = o.cpu;
  if (o.memory) requests['memory'] = o.memory;
  if (o.ephemeralStorage) requests['ephemeral-storage'] = o.ephemeralStorage;
  const container: Container = {
    name: 'c',
    image: 'busybox',
    ...(Object.keys(requests).length ? { resources: { requests } } : {}),
    ...(o.hostPorts
      ? {
          ports: o.hostPorts.map((p) => ({
            containerPort: p.port,
            hostPort: p.port,
            ...(p.hostIP ? { hostIP: p.hostIP } : {}),
            ...(p.protocol ? { protocol: p.protocol } : {}),
          })),
        }
      : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${++uid}`,
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `rs-${o.owner}`, controller: true }] } : {}),
    },
    spec: {
      containers: o.containers ?? [container],
      ...(o.initContainers ? { initContainers: o.initContainers } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
  };
}
