/**
 * From a Service's EndpointSlices to the endpoints of one service port, as
 * kube-proxy's endpointslicecache.go does: match the slice port by name and
 * protocol, read nil conditions the API's way (ready nil means ready, serving
 * nil means ready, terminating nil means not), one entry per address:port.
 */
import type { EndpointSlice } from './service-types.ts';

export interface ServiceEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  hostname?: string;
  nodeName?: string;
}

/** Endpoints of the slice port named `portName` ('' for an unnamed port) with `protocol`. */
export function endpointsForPort(slices: readonly EndpointSlice[], portName: string, protocol: string): ServiceEndpoint[] {
  const byAddress = new Map<string, ServiceEndpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol);
    if (!port || typeof port.port !== 'number') continue;
    for (const endpoint of slice.endpoints ?? []) {
      // kube-proxy uses only the first address: the API says all addresses are fungible.
      const ip = endpoint.addresses?.[0];
      if (!ip) continue;
      const ready = endpoint.conditions?.ready ?? true;
      const key = `${ip}:${port.port}`;
      if (byAddress.has(key)) continue;
      byAddress.set(key, {
        ip,
        port: port.port,
        ready,
        serving: endpoint.conditions?.serving ?? ready,
        terminating: endpoint.conditions?.terminating ?? false,
        ...(endpoint.hostname ? { hostname: endpoint.hostname } : {}),
        ...(endpoint.nodeName ? { nodeName: endpoint.nodeName } : {}),
      });
    }
  }
  return [...byAddress.values()].sort(compareEndpoints);
}

/**
 * The endpoints that take new connections: the ready ones, or, when none is
 * ready, the ones still serving while terminating (KEP-1669, as
 * pkg/proxy/topology.go CategorizeEndpoints falls back).
 */
export function usableEndpoints(endpoints: readonly ServiceEndpoint[]): ServiceEndpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return endpoints.filter((e) => e.serving && e.terminating);
}

function compareEndpoints(a: ServiceEndpoint, b: ServiceEndpoint): number {
  return ipv4Number(a.ip) - ipv4Number(b.ip) || a.port - b.port;
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + (Number(octet) || 0), 0);
}
