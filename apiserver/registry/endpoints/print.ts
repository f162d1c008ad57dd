/** `kubectl get endpoints` columns (printers.go printEndpoints / formatEndpoints). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { objectItems, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

/** net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(host: string, port: unknown): string {
  return host.includes(':') ? `[${host}]:${String(port)}` : `${host}:${String(port)}`;
}

/** At most three `ip:port` pairs, then ` + N more...`; `<none>` without subsets. */
export function formatEndpoints(obj: KubeObject): string {
  const subsets = objectItems(obj, 'subsets');
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = objectItems(ss, 'addresses');
    const ports = objectItems(ss, 'ports');
    if (ports.length === 0) {
      // Headless services may have no ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(stringField(a, 'ip') ?? '');
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(stringField(a, 'ip') ?? '', port['port']));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Endpoints', 'The set of all endpoints is the union of all subsets.', formatEndpoints),
  ageColumn,
];
