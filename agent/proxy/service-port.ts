/**
 * One proxied service port: what both rule backends program for a Service's
 * port (kube-proxy's ServicePort). Built from the informers' caches by
 * servicePortsFrom, so the backends stay pure functions of this list.
 */
import type { Lister } from '../../client/cache/lister.ts';
import { endpointsForPort, usableEndpoints, type ServiceEndpoint } from './service-endpoints.ts';
import { shouldSkipService, sliceServiceIndex, type EndpointSlice, type Service } from './service-types.ts';

/** kube's default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const defaultAffinityTimeoutSeconds = 10800;

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** '' for an unnamed port. */
  portName: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIP: string;
  port: number;
  /** 0 when the Service has none. */
  nodePort: number;
  externalIPs: string[];
  /** Set when sessionAffinity is ClientIP. */
  affinityTimeoutSeconds?: number;
  /** The endpoints new connections may go to (ready, else serving-terminating). */
  endpoints: ServiceEndpoint[];
}

/** `namespace/name/protocol/portName`, kube-proxy's ServicePortName in chain names. */
export function servicePortKey(sp: ServicePortInfo): string {
  return `${sp.namespace}/${sp.name}/${sp.protocol}/${sp.portName}`;
}

/** Every proxied port of every Service, sorted so rule output is deterministic. */
export function servicePortsFrom(services: Lister<Service>, slices: Lister<EndpointSlice>): ServicePortInfo[] {
  const result: ServicePortInfo[] = [];
  for (const svc of services.list()) {
    if (shouldSkipService(svc)) continue;
    const spec = svc.spec!;
    const namespace = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const svcSlices = slices.byIndex(sliceServiceIndex, `${namespace}/${name}`);
    const affinity = spec.sessionAffinity === 'ClientIP'
      ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultAffinityTimeoutSeconds
      : undefined;
    for (const port of spec.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      const portName = port.name ?? '';
      result.push({
        namespace,
        name,
        portName,
        protocol: protocol.toLowerCase() as ServicePortInfo['protocol'],
        clusterIP: spec.clusterIP!,
        port: port.port,
        nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? port.nodePort ?? 0 : 0,
        externalIPs: [...(spec.externalIPs ?? [])].filter((ip) => !ip.includes(':')),
        ...(affinity !== undefined ? { affinityTimeoutSeconds: affinity } : {}),
        endpoints: usableEndpoints(endpointsForPort(svcSlices, portName, protocol)),
      });
    }
  }
  return result.sort((a, b) => compareKeys(servicePortKey(a), servicePortKey(b)));
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
