/**
 * Services and EndpointSlices written straight to the API server, as the
 * IP allocator and the EndpointSlice controller would, so the proxy and DNS
 * tests depend on neither.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { isNotFound } from '../../../client/rest/api-error.ts';
import type { RestClient } from '../../../client/rest/rest-client.ts';
import { endpointSlicesPath, serviceNameLabel, servicesPath, type EndpointSlice, type Service, type ServiceSpec } from '../../../agent/proxy/service-types.ts';

export interface TestEndpoint {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  hostname?: string;
}

export interface TestSlicePort {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP';
}

export function createService(client: RestClient, namespace: string, name: string, spec: ServiceSpec): Promise<Service> {
  return client.create<Service>({ ...servicesPath, namespace }, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec } as Service);
}

export async function deleteService(client: RestClient, namespace: string, name: string): Promise<void> {
  await client.delete({ ...servicesPath, namespace, name });
}

function sliceBody(namespace: string, service: string, endpoints: readonly TestEndpoint[], ports: readonly TestSlicePort[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-test`, namespace, labels: { [serviceNameLabel]: service } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.hostname ? { hostname: e.hostname } : {}),
    })),
    ports: ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** Creates or replaces the Service's one slice. */
export async function putEndpointSlice(client: RestClient, namespace: string, service: string, endpoints: readonly TestEndpoint[], ports: readonly TestSlicePort[]): Promise<void> {
  const body = sliceBody(namespace, service, endpoints, ports);
  const path = { ...endpointSlicesPath, namespace };
  try {
    const existing = await client.get<EndpointSlice>({ ...path, name: body.metadata.name! });
    body.metadata.resourceVersion = existing.metadata.resourceVersion!;
    await client.update<KubeObject>({ ...path, name: body.metadata.name! }, body);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create<KubeObject>(path, body);
  }
}
