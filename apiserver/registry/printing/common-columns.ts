/**
 * The Name and Age columns every kind prints, with the descriptions
 * printers.go takes from metav1.ObjectMeta's swagger docs.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import type { PrintColumn } from '../types.ts';
import { translateTimestampSince } from './human-duration.ts';

export const nameDescription =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export const ageDescription =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const nameColumn: PrintColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: nameDescription,
  priority: 0,
  cell: (obj: KubeObject) => obj.metadata.name ?? '',
};

export const ageColumn: PrintColumn = {
  name: 'Age',
  type: 'string',
  description: ageDescription,
  priority: 0,
  cell: (obj: KubeObject, now: Date) => translateTimestampSince(obj.metadata.creationTimestamp, now),
};

/** A string column; `priority` 1 shows only with `-o wide`. */
export function stringColumn(name: string, description: string, cell: PrintColumn['cell'], priority: 0 | 1 = 0): PrintColumn {
  return { name, type: 'string', description, priority, cell };
}

/** An integer column. */
export function integerColumn(name: string, description: string, cell: PrintColumn['cell'], priority: 0 | 1 = 0): PrintColumn {
  return { name, type: 'integer', description, priority, cell };
}
