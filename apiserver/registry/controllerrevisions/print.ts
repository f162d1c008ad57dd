/** `kubectl get controllerrevisions` columns (printers.go printControllerRevision). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { numberField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import type { PrintColumn } from '../types.ts';

/** formatResourceName(GroupKind, name, withKind): `daemonset.apps/fluentd`, `<none>` without a controller. */
export function controllerCell(obj: KubeObject): string {
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
  const groupKind = group ? `${ref.kind}.${group}` : ref.kind;
  return groupKind ? `${groupKind.toLowerCase()}/${ref.name}` : ref.name;
}

export const controllerRevisionPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Controller', 'Controller of the object', controllerCell),
  // printers.go declares the column as a string but fills it with the int64.
  stringColumn('Revision', 'Revision indicates the revision of the state represented by Data.', (o) => numberField(o, 'revision') ?? 0),
  ageColumn,
];
