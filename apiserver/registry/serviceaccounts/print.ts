/** `kubectl get serviceaccounts` columns (printers.go printServiceAccount). */
import { arrayField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

export const serviceAccountPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.', (o) => arrayField(o, 'secrets').length),
  ageColumn,
];
