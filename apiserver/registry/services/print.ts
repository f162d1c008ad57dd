/** `kubectl get services` columns (printers.go printService; the server always renders wide). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { arrayField, objectField, objectItems, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import { formatLabels } from '../printing/format-labels.ts';
import type { PrintColumn } from '../types.ts';

function externalIPs(spec: Record<string, unknown> | undefined): string[] {
  return arrayField(spec, 'externalIPs').filter((x): x is string => typeof x === 'string');
}

/** loadBalancerStatusStringer: unique ingress IPs (or hostnames), sorted. */
function loadBalancerIngress(obj: KubeObject): string {
  const set = new Set<string>();
  for (const ing of objectItems(objectField(objectField(obj, 'status'), 'loadBalancer'), 'ingress')) {
    const ip = stringField(ing, 'ip');
    const host = stringField(ing, 'hostname');
    if (ip) set.add(ip);
    else if (host) set.add(host);
  }
  return [...set].sort().join(',');
}

/** getServiceExternalIP. */
export function serviceExternalIP(obj: KubeObject): string {
  const spec = objectField(obj, 'spec');
  const ext = externalIPs(spec);
  switch (stringField(spec, 'type')) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length > 0 ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(obj);
      if (ext.length > 0) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return stringField(spec, 'externalName') ?? '';
  }
  return '<unknown>';
}

/** makePortString: `80/TCP`, `80:30080/TCP`. */
export function servicePorts(obj: KubeObject): string {
  const ports = objectItems(objectField(obj, 'spec'), 'ports').map((p) => {
    const nodePort = typeof p['nodePort'] === 'number' && p['nodePort'] > 0 ? `:${p['nodePort']}` : '';
    return `${String(p['port'])}${nodePort}/${String(p['protocol'] ?? '')}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function clusterIP(obj: KubeObject): string {
  const spec = objectField(obj, 'spec');
  const ips = arrayField(spec, 'clusterIPs');
  if (typeof ips[0] === 'string') return ips[0];
  return stringField(spec, 'clusterIP') || '<none>';
}

export const servicePrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Type', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.', (o) => stringField(objectField(o, 'spec'), 'type') ?? ''),
  stringColumn('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.', clusterIP),
  stringColumn('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.', serviceExternalIP),
  stringColumn('Port(s)', 'The list of ports that are exposed by this service.', servicePorts),
  ageColumn,
  stringColumn('Selector', 'Route service traffic to pods with label keys and values matching this selector.', (o) => formatLabels(objectField(o, 'spec')?.['selector']), 1),
];
