/**
 * metav1.ObjectMeta as a zod schema: types only; the syntax rules (names,
 * label keys, annotation size) are validation/object-meta.ts.
 */
import { z } from 'zod';
import { int64, stringMap, timestamp } from './field-types.ts';

export const ownerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().nullish(),
  blockOwnerDeletion: z.boolean().nullish(),
});

export const objectMetaSchema = z.looseObject({
  name: z.string().nullish(),
  generateName: z.string().nullish(),
  namespace: z.string().nullish(),
  uid: z.string().nullish(),
  resourceVersion: z.string().nullish(),
  generation: int64.nullish(),
  creationTimestamp: timestamp.nullish(),
  deletionTimestamp: timestamp.nullish(),
  deletionGracePeriodSeconds: int64.nullish(),
  labels: stringMap.nullish(),
  annotations: stringMap.nullish(),
  ownerReferences: z.array(ownerReferenceSchema).nullish(),
  finalizers: z.array(z.string()).nullish(),
  managedFields: z.array(z.looseObject({})).nullish(),
});

/** The top of every object: apiVersion, kind, metadata, plus the kind's own fields. */
export function kubeObjectSchema<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.looseObject({
    apiVersion: z.string().nullish(),
    kind: z.string().nullish(),
    metadata: objectMetaSchema,
    ...shape,
  });
}
