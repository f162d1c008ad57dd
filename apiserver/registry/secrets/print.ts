/** `kubectl get secrets` columns (printers.go printSecret). */
import { objectField, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

export const secretPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Type', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types', (o) => stringField(o, 'type') ?? ''),
  stringColumn('Data', "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4", (o) => Object.keys(objectField(o, 'data') ?? {}).length),
  ageColumn,
];
