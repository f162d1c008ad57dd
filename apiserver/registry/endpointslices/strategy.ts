/**
 * EndpointSlice rules (pkg/registry/discovery/endpointslice/strategy.go,
 * SetDefaults_EndpointPort, pkg/apis/discovery/validation): addressType is
 * required and immutable; each endpoint has 1-100 addresses of that type;
 * port names are unique DNS labels. Generation starts at 1 and moves when
 * anything but metadata (or the labels, which select the Service) changes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { objectItems, setDefault } from '../kinds/unstructured.ts';
import { bumpGeneration } from '../kinds/update-carryover.ts';
import type { Strategy } from '../types.ts';
import { isDNS1123Label, isDNS1123Subdomain } from '../validation/dns.ts';
import { immutableFieldError } from '../validation/object-meta.ts';
import { isQualifiedName } from '../validation/qualified-name.ts';
import { supportedValues } from '../validation/zod-issues.ts';
import { endpointIPErrors, fqdnErrors } from './address.ts';
import type { EndpointSlice } from './schema.ts';

const maxAddresses = 100;
const maxPorts = 20000;
const maxEndpoints = 1000;
/** sets.List() order. */
const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

function sliceOf(obj: KubeObject): EndpointSlice {
  return obj as unknown as EndpointSlice;
}

function tooMany(path: string, actual: number, max: number): FieldError {
  return { type: 'TooMany', path, detail: `${actual}: must have at most ${max} items` };
}

function validateEndpoints(slice: EndpointSlice): FieldError[] {
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > maxEndpoints) return [tooMany('endpoints', endpoints.length, maxEndpoints)];
  const errs: FieldError[] = [];
  endpoints.forEach((endpoint, i) => {
    const p = `endpoints[${i}]`;
    const addresses = endpoint.addresses ?? [];
    if (addresses.length === 0) errs.push({ type: 'Required', path: `${p}.addresses`, detail: 'must contain at least 1 address' });
    else if (addresses.length > maxAddresses) errs.push(tooMany(`${p}.addresses`, addresses.length, maxAddresses));
    addresses.forEach((address, j) => {
      const ap = `${p}.addresses[${j}]`;
      if (slice.addressType === 'FQDN') {
        if (address === '') errs.push({ type: 'Required', path: ap });
        else for (const [value, msg] of fqdnErrors(address)) errs.push({ type: 'Invalid', path: ap, value, detail: msg });
      } else {
        for (const msg of endpointIPErrors(address, slice.addressType)) errs.push({ type: 'Invalid', path: ap, value: address, detail: msg });
      }
    });
    if (typeof endpoint.nodeName === 'string') {
      for (const msg of isDNS1123Subdomain(endpoint.nodeName)) errs.push({ type: 'Invalid', path: `${p}.nodeName`, value: endpoint.nodeName, detail: msg });
    }
    if (typeof endpoint.hostname === 'string') {
      for (const msg of isDNS1123Label(endpoint.hostname)) errs.push({ type: 'Invalid', path: `${p}.hostname`, value: endpoint.hostname, detail: msg });
    }
  });
  return errs;
}

function validatePorts(slice: EndpointSlice): FieldError[] {
  const ports = slice.ports ?? [];
  if (ports.length > maxPorts) return [tooMany('ports', ports.length, maxPorts)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `ports[${i}]`;
    const name = port.name ?? '';
    if (name !== '') for (const msg of isDNS1123Label(name)) errs.push({ type: 'Invalid', path: `${p}.name`, value: name, detail: msg });
    if (names.has(name)) errs.push({ type: 'Duplicate', path: `${p}.name`, value: name });
    else names.add(name);
    if (port.protocol === undefined || port.protocol === null) errs.push({ type: 'Required', path: `${p}.protocol` });
    else if (!supportedPortProtocols.includes(port.protocol)) {
      errs.push({ type: 'NotSupported', path: `${p}.protocol`, value: port.protocol, detail: supportedValues(supportedPortProtocols) });
    }
    if (typeof port.appProtocol === 'string') {
      for (const msg of isQualifiedName(port.appProtocol)) errs.push({ type: 'Invalid', path: `${p}.appProtocol`, value: port.appProtocol, detail: msg });
    }
  });
  return errs;
}

/** Everything but metadata, plus the labels: what moves generation. */
function desiredState(obj: KubeObject): unknown {
  const { metadata, ...rest } = obj;
  return { rest, labels: metadata.labels ?? {} };
}

export const endpointSliceStrategy: Strategy = {
  defaults(obj) {
    // SetDefaults_EndpointPort: name "" and protocol TCP.
    for (const port of objectItems(obj, 'ports')) {
      if (port['name'] === undefined || port['name'] === null) port['name'] = '';
      setDefault(port, 'protocol', 'TCP');
    }
  },
  prepareForCreate(obj) {
    obj.metadata.generation = 1;
  },
  prepareForUpdate(obj, old) {
    bumpGeneration(obj, old, !isDeepStrictEqual(desiredState(obj), desiredState(old)));
  },
  validate(obj) {
    const slice = sliceOf(obj);
    return [...validateEndpoints(slice), ...validatePorts(slice)];
  },
  validateUpdate(obj, old) {
    const addressType = sliceOf(obj).addressType;
    return addressType === sliceOf(old).addressType ? [] : [immutableFieldError('addressType', addressType)];
  },
};
