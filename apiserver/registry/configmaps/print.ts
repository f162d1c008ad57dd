/** `kubectl get configmaps` columns (printers.go printConfigMap). */
import { objectField } from '../kinds/unstructured.ts';
import { ageColumn, integerColumn, nameColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

export const configMapPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  {
    ...integerColumn('Data', 'Data contains the configuration data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.', (o) => Object.keys(objectField(o, 'data') ?? {}).length + Object.keys(objectField(o, 'binaryData') ?? {}).length),
    type: 'string',
  },
  ageColumn,
];
