/** core/v1 Node. */
import { z } from 'zod';
import { opaqueObject, resourceList, timestamp } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { taintEffects } from '../kinds/pod-spec.ts';

export const taintSchema = z.looseObject({
  key: z.string().min(1),
  value: z.string().nullish(),
  effect: z.enum(taintEffects),
  timeAdded: timestamp.nullish(),
});

export const nodeSpecSchema = z.looseObject({
  podCIDR: z.string().nullish(),
  podCIDRs: z.array(z.string()).nullish(),
  providerID: z.string().nullish(),
  unschedulable: z.boolean().nullish(),
  taints: z.array(taintSchema).nullish(),
  configSource: opaqueObject.nullish(),
  externalID: z.string().nullish(),
});

export const nodeStatusSchema = z.looseObject({
  capacity: resourceList.nullish(),
  allocatable: resourceList.nullish(),
  phase: z.string().nullish(),
  conditions: z
    .array(z.looseObject({ type: z.string(), status: z.string(), reason: z.string().nullish(), message: z.string().nullish() }))
    .nullish(),
  addresses: z.array(z.looseObject({ type: z.string(), address: z.string() })).nullish(),
  daemonEndpoints: opaqueObject.nullish(),
  nodeInfo: z
    .looseObject({
      kubeletVersion: z.string().nullish(),
      osImage: z.string().nullish(),
      kernelVersion: z.string().nullish(),
      containerRuntimeVersion: z.string().nullish(),
      operatingSystem: z.string().nullish(),
      architecture: z.string().nullish(),
    })
    .nullish(),
  images: z.array(opaqueObject).nullish(),
  volumesInUse: z.array(z.string()).nullish(),
  volumesAttached: z.array(opaqueObject).nullish(),
});

export const nodeSchema = kubeObjectSchema({
  spec: nodeSpecSchema.nullish(),
  status: nodeStatusSchema.nullish(),
});

export type Node = z.infer<typeof nodeSchema>;
