/** core/v1 Endpoints. */
import { z } from 'zod';
import { int32, opaqueObject } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { protocols } from '../kinds/pod-spec.ts';

export const endpointAddressSchema = z.looseObject({
  ip: z.string().min(1),
  hostname: z.string().nullish(),
  nodeName: z.string().nullish(),
  targetRef: opaqueObject.nullish(),
});

const portRange = 'must be between 1 and 65535, inclusive';

export const endpointPortSchema = z.looseObject({
  name: z.string().nullish(),
  port: int32.min(1, { error: portRange }).max(65535, { error: portRange }),
  protocol: z.enum(protocols).nullish(),
  appProtocol: z.string().nullish(),
});

export const endpointSubsetSchema = z.looseObject({
  addresses: z.array(endpointAddressSchema).nullish(),
  notReadyAddresses: z.array(endpointAddressSchema).nullish(),
  ports: z.array(endpointPortSchema).nullish(),
});

export const endpointsSchema = kubeObjectSchema({
  subsets: z.array(endpointSubsetSchema).nullish(),
});

export type Endpoints = z.infer<typeof endpointsSchema>;
