/** core/v1 Event (the legacy events API kubectl and client-go recorders use). */
import { z } from 'zod';
import { int32, opaqueObject, timestamp } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

export const objectReferenceSchema = z.looseObject({
  kind: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string().nullish(),
  uid: z.string().nullish(),
  apiVersion: z.string().nullish(),
  resourceVersion: z.string().nullish(),
  fieldPath: z.string().nullish(),
});

export const eventSchema = kubeObjectSchema({
  involvedObject: objectReferenceSchema,
  reason: z.string().nullish(),
  message: z.string().nullish(),
  source: z.looseObject({ component: z.string().nullish(), host: z.string().nullish() }).nullish(),
  firstTimestamp: timestamp.nullish(),
  lastTimestamp: timestamp.nullish(),
  count: int32.nullish(),
  type: z.string().nullish(),
  eventTime: timestamp.nullish(),
  series: z.looseObject({ count: int32.nullish(), lastObservedTime: timestamp.nullish() }).nullish(),
  action: z.string().nullish(),
  related: opaqueObject.nullish(),
  reportingComponent: z.string().nullish(),
  reportingInstance: z.string().nullish(),
});

export type Event = z.infer<typeof eventSchema>;
