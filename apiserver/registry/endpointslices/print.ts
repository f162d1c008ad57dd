/** `kubectl get endpointslices` columns (printers.go printEndpointSlice). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { arrayField, numberField, objectItems, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

/** How many items a cell shows before `+ N more...`. */
const maxShown = 3;

/** listWithMoreString. */
function listWithMore(items: readonly string[]): string {
  const shown = items.slice(0, maxShown).join(',');
  if (items.length > maxShown) return `${shown} + ${items.length - maxShown} more...`;
  return shown === '' ? '<unset>' : shown;
}

/** formatDiscoveryPorts: the number, else the name, else `*` (all ports). */
export function endpointSlicePortsCell(obj: KubeObject): string {
  return listWithMore(
    objectItems(obj, 'ports').map((p) => {
      const port = numberField(p, 'port');
      if (port !== undefined) return String(port);
      return stringField(p, 'name') ?? '*';
    }),
  );
}

/** formatDiscoveryEndpoints: every address of every endpoint. */
export function endpointSliceEndpointsCell(obj: KubeObject): string {
  return listWithMore(objectItems(obj, 'endpoints').flatMap((e) => arrayField(e, 'addresses').map(String)));
}

export const endpointSlicePrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn(
    'AddressType',
    'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
    (o) => stringField(o, 'addressType') ?? '',
  ),
  stringColumn(
    'Ports',
    'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
    endpointSlicePortsCell,
  ),
  stringColumn('Endpoints', 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.', endpointSliceEndpointsCell),
  ageColumn,
];
