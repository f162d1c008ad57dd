/**
 * The parts of core/v1 Service and discovery.k8s.io/v1 EndpointSlice that the
 * node's service proxy and cluster DNS read, as the client sees them on the
 * wire (the server's zod schemas allow null where the API omits a field).
 */
import type { KubeObject } from '../../client/api/meta.ts';

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  name?: string | null;
  protocol?: ServiceProtocol | null;
  port: number;
  targetPort?: number | string | null;
  nodePort?: number | null;
}

export interface ServiceSpec {
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName' | null;
  clusterIP?: string | null;
  clusterIPs?: string[] | null;
  externalIPs?: string[] | null;
  externalName?: string | null;
  ports?: ServicePort[] | null;
  sessionAffinity?: 'None' | 'ClientIP' | null;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number | null } | null } | null;
  externalTrafficPolicy?: 'Cluster' | 'Local' | null;
  internalTrafficPolicy?: 'Cluster' | 'Local' | null;
  publishNotReadyAddresses?: boolean | null;
}

export interface Service extends KubeObject {
  spec?: ServiceSpec;
}

export interface EndpointConditions {
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

export interface Endpoint {
  addresses?: string[] | null;
  conditions?: EndpointConditions | null;
  hostname?: string | null;
  nodeName?: string | null;
  targetRef?: { kind?: string | null; namespace?: string | null; name?: string | null } | null;
}

export interface EndpointPort {
  name?: string | null;
  protocol?: string | null;
  port?: number | null;
}

export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: Endpoint[] | null;
  ports?: EndpointPort[] | null;
}

/** The label tying an EndpointSlice to its Service (discovery/v1 LabelServiceName). */
export const serviceNameLabel = 'kubernetes.io/service-name';

export const servicesPath = { group: '', version: 'v1', plural: 'services' } as const;
export const endpointSlicesPath = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' } as const;

/** Index of EndpointSlices by `namespace/service-name`. */
export const sliceServiceIndex = 'service';

export function sliceServiceKey(slice: EndpointSlice): readonly string[] {
  const name = slice.metadata.labels?.[serviceNameLabel];
  return name && slice.metadata.namespace ? [`${slice.metadata.namespace}/${name}`] : [];
}

/** No virtual IP: clients get the endpoints themselves (from DNS). */
export function isHeadless(spec: ServiceSpec | undefined): boolean {
  return spec?.clusterIP === 'None';
}

/** kube-proxy ShouldSkipService: no clusterIP to program, or not a proxied type. */
export function shouldSkipService(svc: Service): boolean {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return true;
  return !spec.clusterIP || spec.clusterIP === 'None';
}
