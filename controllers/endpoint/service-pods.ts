/**
 * What the Endpoints and EndpointSlice controllers share about Services and
 * their pods (kubernetes pkg/api/v1/pod FindPort, staging endpointslice/util
 * ShouldPodBeInEndpoints and ShouldSetHostname, endpoint util
 * GetPodServiceMemberships): the fields they read, which pods back a Service,
 * and which port a service port reaches on a pod.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import type { Pod } from '../controller-utils/workload-objects.ts';

export const servicesResource = { group: '', version: 'v1', plural: 'services' } as const;
export const endpointsResource = { group: '', version: 'v1', plural: 'endpoints' } as const;
export const endpointSlicesResource = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' } as const;

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    selector?: Record<string, string> | null;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePort[];
    publishNotReadyAddresses?: boolean;
    ipFamilies?: string[];
    [field: string]: unknown;
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** The parts of a pod's spec and status these controllers read. */
export interface ServicePod extends Pod {
  spec?: {
    nodeName?: string;
    hostname?: string;
    subdomain?: string;
    containers?: Array<{ name: string; ports?: ContainerPort[] }>;
    [field: string]: unknown;
  };
  status?: Pod['status'] & { podIP?: string; podIPs?: Array<{ ip: string }> };
}

/** Services whose Endpoints are the controllers' to manage: a selector, and not ExternalName. */
export function managesEndpoints(svc: Service): boolean {
  return !!svc.spec?.selector && svc.spec.type !== 'ExternalName';
}

/** A selector map matches labels that contain every key with the same value (labels.SelectorFromValidatedSet). */
export function selectorMatches(selector: Record<string, string> | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector)) if (labels?.[key] !== value) return false;
  return true;
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

export function podIPs(pod: ServicePod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip) => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

/** The pod's IP of the given family ('IPv4' | 'IPv6'), if it has one. */
export function podIPOfFamily(pod: ServicePod, family: string): string | undefined {
  return podIPs(pod).find((ip) => (family === 'IPv6' ? ip.includes(':') : !ip.includes(':')));
}

/** ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating unless those are included. */
export function shouldPodBeInEndpoints(pod: ServicePod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** ShouldSetHostname: the pod names this Service as its subdomain and has a hostname. */
export function shouldSetHostname(pod: ServicePod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/**
 * FindPort: the pod port a service port's targetPort reaches: the number
 * itself, or the container port of that name and protocol. Undefined when a
 * named port is not on the pod.
 */
export function findPort(pod: ServicePod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const container of pod.spec?.containers ?? []) {
    for (const p of container.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

export function podReady(pod: ServicePod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/** ObjectReference to a pod, as the controllers stamp on addresses and endpoints. */
export function podReference(pod: ServicePod): Record<string, string> {
  return { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
}

/**
 * Queues a Service's key when it changes, and the keys of every Service whose selector matches a pod
 * before or after the pod changed (endpointutil.GetPodServiceMemberships): what the Endpoints and
 * EndpointSlice controllers both react to.
 */
export function enqueueServicesOnChange(
  services: SharedInformer<Service>,
  pods: SharedInformer<ServicePod>,
  enqueue: (key: string) => void,
): void {
  const servicesOf = (pod: ServicePod, old?: ServicePod) => {
    for (const svc of services.lister.list(pod.metadata.namespace)) {
      const selector = svc.spec?.selector;
      if (selectorMatches(selector, pod.metadata.labels) || (old && selectorMatches(selector, old.metadata.labels))) enqueue(keyOf(svc));
    }
  };
  services.addEventHandler({
    onAdd: (svc) => enqueue(keyOf(svc)),
    onUpdate: (_old, cur) => enqueue(keyOf(cur)),
    onDelete: (obj) => enqueue(keyOf(unwrapTombstone(obj))),
  });
  pods.addEventHandler({
    onAdd: (pod) => servicesOf(pod),
    onUpdate: (old, cur) => {
      if (old.metadata.resourceVersion !== cur.metadata.resourceVersion) servicesOf(cur, old);
    },
    onDelete: (obj) => servicesOf(unwrapTombstone(obj)),
  });
}
