/** `kubectl get leases` columns (printers.go printLease). */
import { objectField, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

export const leasePrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Holder', 'holderIdentity contains the identity of the holder of a current lease.', (o) => stringField(objectField(o, 'spec'), 'holderIdentity') ?? ''),
  ageColumn,
];
