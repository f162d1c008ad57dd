/**
 * Service rules (pkg/registry/core/service/strategy.go, ValidateService):
 * defaults as SetDefaults_Service; allocated values (clusterIP/clusterIPs)
 * carry over when an update omits them, as the REST layer's
 * patchAllocatedValues does; a set clusterIP never changes.
 *
 * ClusterIP and NodePort allocation itself is not here: it needs cluster-wide
 * state, so it belongs to the REST layer that owns storage.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { isObject, isUnset, objectField, objectItems, setDefault, stringField } from '../kinds/unstructured.ts';
import { keepSpec, keepStatus } from '../kinds/update-carryover.ts';
import type { Strategy } from '../types.ts';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isValidPortName } from '../validation/dns.ts';
import { validateLabels } from '../validation/object-meta.ts';
import type { Service, ServiceSpec } from './schema.ts';

function specOf(obj: KubeObject): ServiceSpec {
  return (obj as unknown as Service).spec;
}

function externallyAccessible(spec: Record<string, unknown>): boolean {
  const type = spec['type'];
  return type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && Array.isArray(spec['externalIPs']) && spec['externalIPs'].length > 0);
}

/** SetDefaults_Service. */
function defaultService(obj: KubeObject): void {
  const spec = objectField(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec['sessionAffinity'] === 'None') delete spec['sessionAffinityConfig'];
  if (spec['sessionAffinity'] === 'ClientIP') {
    const clientIP = objectField(spec['sessionAffinityConfig'], 'clientIP');
    if (typeof clientIP?.['timeoutSeconds'] !== 'number') spec['sessionAffinityConfig'] = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const port of objectItems(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (isUnset(port['targetPort']) || port['targetPort'] === 0) port['targetPort'] = port['port'];
  }
  if (externallyAccessible(spec)) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  const type = spec['type'];
  if (isUnset(spec['internalTrafficPolicy']) && (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP')) {
    spec['internalTrafficPolicy'] = 'Cluster';
  }
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  // What the REST layer's IP family allocation records on a single-stack IPv4 cluster.
  if (type !== 'ExternalName') {
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    if (isUnset(spec['ipFamilies']) || (Array.isArray(spec['ipFamilies']) && spec['ipFamilies'].length === 0)) spec['ipFamilies'] = ['IPv4'];
  }
  if (type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer') {
    const clusterIP = stringField(spec, 'clusterIP');
    if (clusterIP && isUnset(spec['clusterIPs'])) spec['clusterIPs'] = [clusterIP];
  }
}

function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIP === 'None';
}

export function validateServiceSpec(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !isHeadless(spec) && spec.type !== 'ExternalName') errs.push({ type: 'Required', path: 'spec.ports' });
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `spec.ports[${i}]`;
    if (ports.length > 1 && !port.name) errs.push({ type: 'Required', path: `${p}.name` });
    if (port.name) {
      for (const msg of isDNS1123Label(port.name)) errs.push({ type: 'Invalid', path: `${p}.name`, value: port.name, detail: msg });
      if (names.has(port.name)) errs.push({ type: 'Duplicate', path: `${p}.name`, value: port.name });
      names.add(port.name);
    }
    const target = port.targetPort;
    if (typeof target === 'number' && (target < 1 || target > 65535)) {
      errs.push({ type: 'Invalid', path: `${p}.targetPort`, value: target, detail: inclusiveRangeError(1, 65535) });
    } else if (typeof target === 'string') {
      for (const msg of isValidPortName(target)) errs.push({ type: 'Invalid', path: `${p}.targetPort`, value: target, detail: msg });
    }
    if (port.nodePort !== undefined && port.nodePort !== null && port.nodePort !== 0) {
      if (spec.type === 'ClusterIP' || spec.type === 'ExternalName') {
        errs.push({ type: 'Forbidden', path: `${p}.nodePort`, detail: `may not be used when \`type\` is '${spec.type}'` });
      } else if (port.nodePort < 1 || port.nodePort > 65535) {
        errs.push({ type: 'Invalid', path: `${p}.nodePort`, value: port.nodePort, detail: inclusiveRangeError(1, 65535) });
      }
    }
  });
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.push({ type: 'Required', path: 'spec.externalName' });
    else {
      for (const msg of isDNS1123Subdomain(spec.externalName.replace(/\.$/, ''))) {
        errs.push({ type: 'Invalid', path: 'spec.externalName', value: spec.externalName, detail: msg });
      }
    }
  }
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  return errs;
}

export const serviceStrategy: Strategy = {
  defaults: defaultService,
  prepareForCreate(obj) {
    obj['status'] = { loadBalancer: {} };
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    // patchAllocatedValues: an update that omits the allocated IPs keeps them.
    const spec = objectField(obj, 'spec');
    const oldSpec = objectField(old, 'spec');
    if (spec && oldSpec && spec['type'] !== 'ExternalName' && oldSpec['type'] !== 'ExternalName') {
      if (isUnset(spec['clusterIP']) && !isUnset(oldSpec['clusterIP'])) spec['clusterIP'] = oldSpec['clusterIP'];
      if ((isUnset(spec['clusterIPs']) || (Array.isArray(spec['clusterIPs']) && spec['clusterIPs'].length === 0)) && !isUnset(oldSpec['clusterIPs'])) {
        spec['clusterIPs'] = structuredClone(oldSpec['clusterIPs']);
      }
    }
  },
  validate(obj) {
    return validateServiceSpec(specOf(obj));
  },
  validateUpdate(obj, old) {
    const spec = specOf(obj);
    const oldSpec = specOf(old);
    if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
    if (oldSpec.clusterIP && spec.clusterIP !== oldSpec.clusterIP) {
      return [{ type: 'Invalid', path: 'spec.clusterIPs[0]', value: spec.clusterIPs ?? [spec.clusterIP ?? ''], detail: 'may not change once set' }];
    }
    if (isObject(oldSpec) && (oldSpec.clusterIPs ?? []).length > 0 && !isDeepStrictEqual(spec.clusterIPs?.[0], oldSpec.clusterIPs?.[0])) {
      return [{ type: 'Invalid', path: 'spec.clusterIPs[0]', value: spec.clusterIPs ?? [], detail: 'may not change once set' }];
    }
    return [];
  },
};

export const serviceStatusStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepSpec(obj, old);
  },
};
