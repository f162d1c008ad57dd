/** `kubectl get namespaces` columns (printers.go printNamespace). */
import { objectField, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

export const namespacePrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Status', 'The status of the namespace', (o) => stringField(objectField(o, 'status'), 'phase') ?? ''),
  ageColumn,
];
