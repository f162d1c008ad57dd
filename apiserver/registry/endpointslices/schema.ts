/** discovery.k8s.io/v1 EndpointSlice. */
import { z } from 'zod';
import { int32, opaqueObject, stringMap } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

/** AddressType values, sorted as field.NotSupported lists them (sets.List()). */
export const addressTypes = ['FQDN', 'IPv4', 'IPv6'] as const;

export const endpointConditionsSchema = z.looseObject({
  ready: z.boolean().nullish(),
  serving: z.boolean().nullish(),
  terminating: z.boolean().nullish(),
});

/** core/v1 ObjectReference. */
export const objectReferenceSchema = z.looseObject({
  kind: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string().nullish(),
  uid: z.string().nullish(),
  apiVersion: z.string().nullish(),
  resourceVersion: z.string().nullish(),
  fieldPath: z.string().nullish(),
});

export const endpointSchema = z.looseObject({
  // "at least one address" is the strategy's check, with kube's wording.
  addresses: z.array(z.string()).nullish(),
  conditions: endpointConditionsSchema.nullish(),
  hostname: z.string().nullish(),
  targetRef: objectReferenceSchema.nullish(),
  deprecatedTopology: stringMap.nullish(),
  nodeName: z.string().nullish(),
  zone: z.string().nullish(),
  hints: opaqueObject.nullish(),
});

export const endpointPortSchema = z.looseObject({
  name: z.string().nullish(),
  // Protocol is checked by the strategy: kube lists the supported values sorted.
  protocol: z.string().nullish(),
  port: int32.nullish(),
  appProtocol: z.string().nullish(),
});

export const endpointSliceSchema = kubeObjectSchema({
  addressType: z.enum(addressTypes),
  endpoints: z.array(endpointSchema).nullish(),
  ports: z.array(endpointPortSchema).nullish(),
});

export type EndpointSlice = z.infer<typeof endpointSliceSchema>;
