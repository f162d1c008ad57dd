/** Endpoints rules (ValidateEndpoints): valid IPs, named ports when several. */
import { isIP } from 'node:net';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { objectItems, setDefault } from '../kinds/unstructured.ts';
import type { Strategy } from '../types.ts';
import { isDNS1123Label } from '../validation/dns.ts';
import type { Endpoints } from './schema.ts';

const invalidIP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

export const endpointsStrategy: Strategy = {
  defaults(obj) {
    // SetDefaults_EndpointPort.
    for (const subset of objectItems(obj, 'subsets')) for (const port of objectItems(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
  },
  validate(obj: KubeObject) {
    const errs: FieldError[] = [];
    ((obj as unknown as Endpoints).subsets ?? []).forEach((subset, i) => {
      const p = `subsets[${i}]`;
      for (const field of ['addresses', 'notReadyAddresses'] as const) {
        (subset[field] ?? []).forEach((a, j) => {
          if (isIP(a.ip) === 0) errs.push({ type: 'Invalid', path: `${p}.${field}[${j}].ip`, value: a.ip, detail: invalidIP });
        });
      }
      const ports = subset.ports ?? [];
      ports.forEach((port, j) => {
        const pp = `${p}.ports[${j}]`;
        if (ports.length > 1 && !port.name) errs.push({ type: 'Required', path: `${pp}.name` });
        if (port.name) for (const msg of isDNS1123Label(port.name)) errs.push({ type: 'Invalid', path: `${pp}.name`, value: port.name, detail: msg });
      });
    });
    return errs;
  },
};
