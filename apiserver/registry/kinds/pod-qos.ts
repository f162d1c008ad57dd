/**
 * The pod's QoS class (pkg/apis/core/helper/qos GetPodQOS): BestEffort with
 * no cpu/memory requests or limits anywhere; Guaranteed when every
 * container limits both and requests equal limits; Burstable otherwise.
 */
import { parseQuantity } from './quantity.ts';
import { type JsonObject, objectField, objectItems } from './unstructured.ts';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const computeResources = ['cpu', 'memory'] as const;

export function podQOSClass(spec: JsonObject | undefined): QOSClass {
  const containers = [...objectItems(spec, 'initContainers'), ...objectItems(spec, 'containers')];
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const c of containers) {
    const resources = objectField(c, 'resources');
    const req = objectField(resources, 'requests') ?? {};
    const lim = objectField(resources, 'limits') ?? {};
    const limited = new Set<string>();
    for (const name of computeResources) {
      if (req[name] !== undefined && parseQuantity(req[name]) !== 0) {
        requests.set(name, (requests.get(name) ?? 0) + parseQuantity(req[name]));
      }
      if (lim[name] !== undefined && parseQuantity(lim[name]) !== 0) {
        limited.add(name);
        limits.set(name, (limits.get(name) ?? 0) + parseQuantity(lim[name]));
      }
    }
    if (limited.size !== computeResources.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && limits.size === computeResources.length ? 'Guaranteed' : 'Burstable';
}
