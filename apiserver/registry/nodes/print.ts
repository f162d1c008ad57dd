/** `kubectl get nodes` columns (printers.go printNode). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { objectField, objectItems, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

const labelNodeRolePrefix = 'node-role.kubernetes.io/';
const nodeLabelRole = 'kubernetes.io/role';

function nodeStatus(obj: KubeObject): string {
  const ready = objectItems(objectField(obj, 'status'), 'conditions').find((c) => c['type'] === 'Ready');
  const status: string[] = [];
  if (ready) status.push(ready['status'] === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (objectField(obj, 'spec')?.['unschedulable'] === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role` values, sorted. */
export function nodeRoles(obj: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (k.startsWith(labelNodeRolePrefix)) {
      const role = k.slice(labelNodeRolePrefix.length);
      if (role) roles.add(role);
    } else if (k === nodeLabelRole && v) roles.add(v);
  }
  return [...roles].sort();
}

function address(obj: KubeObject, type: string): string {
  const a = objectItems(objectField(obj, 'status'), 'addresses').find((x) => x['type'] === type);
  return stringField(a, 'address') ?? '<none>';
}

function nodeInfo(obj: KubeObject, field: string): string | undefined {
  return stringField(objectField(objectField(obj, 'status'), 'nodeInfo'), field);
}

export const nodePrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Status', 'The status of the node', nodeStatus),
  stringColumn('Roles', 'The roles of the node', (o) => nodeRoles(o).join(',') || '<none>'),
  ageColumn,
  stringColumn('Version', 'Kubelet Version reported by the node.', (o) => nodeInfo(o, 'kubeletVersion') ?? ''),
  stringColumn('Internal-IP', 'List of addresses reachable to the node.', (o) => address(o, 'InternalIP'), 1),
  stringColumn('External-IP', 'List of addresses reachable to the node.', (o) => address(o, 'ExternalIP'), 1),
  stringColumn('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', (o) => nodeInfo(o, 'osImage') || '<unknown>', 1),
  stringColumn('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", (o) => nodeInfo(o, 'kernelVersion') || '<unknown>', 1),
  stringColumn('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', (o) => nodeInfo(o, 'containerRuntimeVersion') || '<unknown>', 1),
];
