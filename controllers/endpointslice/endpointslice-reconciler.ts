/**
 * Decides which EndpointSlices a Service should have (as kubernetes staging
 * endpointslice reconciler.go reconcileByAddressType): endpoints grouped by
 * the ports they expose, at most `maxEndpointsPerSlice` to a slice, changed
 * endpoints updated in the slice that already holds them, new ones filling
 * slices being updated before new slices are made, emptied slices deleted
 * (or reused instead of creating), and a placeholder slice when there would
 * be none. Pure: it returns the writes, the controller performs them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../client/api/meta.ts';
import {
  findPort,
  isHeadless,
  podIPOfFamily,
  podReady,
  podReference,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  type Service,
  type ServicePod,
} from '../endpoint/service-pods.ts';

export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
export const headlessServiceLabel = 'service.kubernetes.io/headless';
export const defaultMaxEndpointsPerSlice = 100;

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: Record<string, string>;
}

export interface EndpointSlicePort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: Endpoint[] | null;
  ports?: EndpointSlicePort[] | null;
}

export interface SliceChanges {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** The endpoint's identity across updates (endpointHashObj: addresses, hostname, pod). */
function endpointKey(ep: Endpoint): string {
  return JSON.stringify([ep.addresses, ep.hostname ?? '', ep.targetRef?.['namespace'] ?? '', ep.targetRef?.['name'] ?? '']);
}

function portsKey(ports: readonly EndpointSlicePort[] | null | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? '', p.appProtocol ?? '']));
}

/** getEndpointPorts: the service ports this pod serves, with their resolved numbers. */
function endpointPorts(svc: Service, pod: ServicePod): EndpointSlicePort[] {
  const ports: EndpointSlicePort[] = [];
  for (const servicePort of svc.spec?.ports ?? []) {
    const port = findPort(pod, servicePort);
    if (port === undefined) continue;
    const p: EndpointSlicePort = { name: servicePort.name ?? '', port, protocol: servicePort.protocol ?? 'TCP' };
    if (servicePort.appProtocol) p.appProtocol = servicePort.appProtocol;
    ports.push(p);
  }
  return ports;
}

/** podToEndpoint. */
function podToEndpoint(pod: ServicePod, svc: Service, ip: string): Endpoint {
  const serving = podReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  // "ready" is never true for a terminating pod unless publishNotReadyAddresses says so.
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = { addresses: [ip], conditions: { ready, serving, terminating }, targetRef: podReference(pod) };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname!;
  return ep;
}

/** setEndpointSliceLabels: the Service's own labels, then the ones that tie the slice to it. */
export function desiredLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k === serviceNameLabel || k === managedByLabel || k === headlessServiceLabel) continue;
    labels[k] = v;
  }
  if (isHeadless(svc)) labels[headlessServiceLabel] = '';
  labels[serviceNameLabel] = svc.metadata.name!;
  labels[managedByLabel] = controllerName;
  return labels;
}

function ownerReference(svc: Service): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export function addressTypeOf(svc: Service): string {
  return svc.spec?.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
}

function newSlice(svc: Service, addressType: string, ports: EndpointSlicePort[], endpoints: Endpoint[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name!.slice(0, 57)}-`,
      namespace: svc.metadata.namespace!,
      labels: desiredLabels(svc),
      ownerReferences: [ownerReference(svc) as never],
    },
    addressType,
    endpoints,
    ports,
  };
}

function metaUpToDate(slice: EndpointSlice, svc: Service): boolean {
  const owners = slice.metadata.ownerReferences ?? [];
  return isDeepStrictEqual(slice.metadata.labels ?? {}, desiredLabels(svc)) && owners.some((o) => o.uid === svc.metadata.uid && o.controller === true);
}

function withMeta(slice: EndpointSlice, svc: Service, endpoints: Endpoint[]): EndpointSlice {
  const owners = (slice.metadata.ownerReferences ?? []).filter((o) => !(o.kind === 'Service' && o.controller));
  return {
    ...slice,
    metadata: { ...slice.metadata, labels: desiredLabels(svc), ownerReferences: [ownerReference(svc) as never, ...owners] },
    endpoints,
  };
}

/** The desired endpoints of a Service, grouped by the ports they serve. */
export function desiredEndpoints(svc: Service, pods: readonly ServicePod[]): Map<string, { ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }> {
  const addressType = addressTypeOf(svc);
  const groups = new Map<string, { ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPOfFamily(pod, addressType);
    if (!ip) continue;
    const ports = endpointPorts(svc, pod);
    const pk = portsKey(ports);
    let group = groups.get(pk);
    if (!group) groups.set(pk, (group = { ports, endpoints: new Map() }));
    const ep = podToEndpoint(pod, svc, ip);
    group.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

export function reconcileSlices(svc: Service, pods: readonly ServicePod[], existing: readonly EndpointSlice[], maxEndpointsPerSlice = defaultMaxEndpointsPerSlice): SliceChanges {
  const addressType = addressTypeOf(svc);
  const changes: SliceChanges = { create: [], update: [], delete: [] };
  const unchanged: EndpointSlice[] = [];
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    if (slice.addressType !== addressType) {
      changes.delete.push(slice);
      continue;
    }
    const pk = portsKey(slice.ports);
    existingByPorts.set(pk, [...(existingByPorts.get(pk) ?? []), slice]);
  }
  const desired = desiredEndpoints(svc, pods);

  for (const [pk, group] of desired) {
    const remaining = group.endpoints;
    const toUpdate: EndpointSlice[] = [];
    const toDelete: EndpointSlice[] = [];
    const keep: EndpointSlice[] = [];
    // 1. Existing slices keep the endpoints that are still wanted, refreshed.
    for (const slice of existingByPorts.get(pk) ?? []) {
      const kept: Endpoint[] = [];
      let changed = !metaUpToDate(slice, svc);
      for (const ep of slice.endpoints ?? []) {
        const key = endpointKey(ep);
        const want = remaining.get(key);
        if (!want) {
          changed = true;
          continue;
        }
        if (!isDeepStrictEqual(ep, want)) changed = true;
        kept.push(want);
        remaining.delete(key);
      }
      if (kept.length === 0) toDelete.push(slice);
      else if (changed) toUpdate.push(withMeta(slice, svc, kept));
      else keep.push(slice);
    }
    const left = [...remaining.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ep]) => ep);
    // 2. New endpoints fill slices that are being written anyway, fullest first.
    toUpdate.sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const slice of toUpdate) {
      while (left.length > 0 && slice.endpoints!.length < maxEndpointsPerSlice) slice.endpoints!.push(left.shift()!);
    }
    // 3. What still fits in one unchanged slice goes there rather than into a new one.
    if (left.length > 0) {
      const roomy = keep
        .filter((s) => (s.endpoints?.length ?? 0) + left.length <= maxEndpointsPerSlice)
        .sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0))[0];
      if (roomy) {
        keep.splice(keep.indexOf(roomy), 1);
        toUpdate.push(withMeta(roomy, svc, [...(roomy.endpoints ?? []), ...left.splice(0)]));
      }
    }
    // 4. The rest in new slices, reusing slices about to be deleted to save a create and a delete.
    while (left.length > 0) {
      const chunk = left.splice(0, maxEndpointsPerSlice);
      const reuse = toDelete.shift();
      if (reuse) toUpdate.push(withMeta(reuse, svc, chunk));
      else changes.create.push(newSlice(svc, addressType, group.ports, chunk));
    }
    changes.update.push(...toUpdate);
    changes.delete.push(...toDelete);
    unchanged.push(...keep);
    existingByPorts.delete(pk);
  }
  for (const slices of existingByPorts.values()) changes.delete.push(...slices);

  // A Service with no endpoints still has one (placeholder) slice, so watchers see it has none.
  if (changes.create.length === 0 && changes.update.length === 0 && unchanged.length === 0) {
    const placeholder = changes.delete.findIndex((s) => s.addressType === addressType && (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0);
    if (placeholder >= 0) {
      const [slice] = changes.delete.splice(placeholder, 1);
      if (!metaUpToDate(slice!, svc)) changes.update.push(withMeta(slice!, svc, []));
    } else {
      changes.create.push(newSlice(svc, addressType, [], []));
    }
  }
  return changes;
}
