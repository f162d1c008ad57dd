/**
 * framework.Resource: the scheduler's numeric view of a ResourceList, and the
 * pod request arithmetic of k8s.io/component-helpers resource.PodRequests
 * (sum of containers, sidecar-aware max with init containers, plus overhead).
 */
import { quantityMilliValue, quantityValue } from '../../client/api/quantity.ts';
import type { Container, Pod, ResourceList } from './types.ts';

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources (`nvidia.com/gpu`, `hugepages-2Mi`...) in whole units. */
  scalarResources: Map<string, number>;
}

/** Used when a container states no cpu/memory request, so scoring still spreads such pods (schedutil.DefaultMilliCPURequest, DefaultMemoryRequest). */
export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalarResources: new Map() };
}

function isScalarResourceName(name: string): boolean {
  return name.startsWith('hugepages-') || name.startsWith('requests.') || name.includes('/') || name.startsWith('attachable-volumes-');
}

export function resourceFromList(list: ResourceList | undefined): Resource {
  const r = emptyResource();
  if (!list) return r;
  for (const [name, q] of Object.entries(list)) {
    switch (name) {
      case 'cpu':
        r.milliCPU = quantityMilliValue(q);
        break;
      case 'memory':
        r.memory = quantityValue(q);
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage = quantityValue(q);
        break;
      case 'pods':
        r.allowedPodNumber = quantityValue(q);
        break;
      default:
        if (isScalarResourceName(name)) r.scalarResources.set(name, quantityValue(q));
    }
  }
  return r;
}

export function addResource(into: Resource, r: Resource, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  into.allowedPodNumber += sign * r.allowedPodNumber;
  for (const [name, v] of r.scalarResources) into.scalarResources.set(name, (into.scalarResources.get(name) ?? 0) + sign * v);
}

function maxResource(into: Resource, r: Resource): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [name, v] of r.scalarResources) into.scalarResources.set(name, Math.max(into.scalarResources.get(name) ?? 0, v));
}

function cloneResource(r: Resource): Resource {
  return { ...r, scalarResources: new Map(r.scalarResources) };
}

/** API defaulting copies limits into unset requests; objects that skipped defaulting still get that meaning here. */
function containerRequests(c: Container, nonZero: boolean): Resource {
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  const r = resourceFromList({ ...limits, ...requests });
  if (nonZero) {
    if (!('cpu' in requests) && !('cpu' in limits)) r.milliCPU = defaultMilliCPURequest;
    if (!('memory' in requests) && !('memory' in limits)) r.memory = defaultMemoryRequest;
  }
  return r;
}

/**
 * The pod's effective request. `nonZero` substitutes the defaults for unset
 * cpu/memory, which scoring uses and filtering does not.
 */
export function computePodResourceRequest(pod: Pod, nonZero = false): Resource {
  const reqs = emptyResource();
  for (const c of pod.spec.containers ?? []) addResource(reqs, containerRequests(c, nonZero));
  const sidecars = emptyResource();
  const initMax = emptyResource();
  for (const ic of pod.spec.initContainers ?? []) {
    const r = containerRequests(ic, nonZero);
    if (ic.restartPolicy === 'Always') {
      // A sidecar keeps running beside the app containers and after later init containers start.
      addResource(reqs, r);
      addResource(sidecars, r);
      maxResource(initMax, cloneResource(sidecars));
    } else {
      addResource(r, sidecars);
      maxResource(initMax, r);
    }
  }
  maxResource(reqs, initMax);
  if (pod.spec.overhead) addResource(reqs, resourceFromList(pod.spec.overhead));
  return reqs;
}
