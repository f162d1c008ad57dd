/** core/v1 Pod. */
import { z } from 'zod';
import { int32, opaqueObject, timestamp } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { podSpecSchema } from '../kinds/pod-spec.ts';

export const podConditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().nullish(),
  message: z.string().nullish(),
  lastProbeTime: timestamp.nullish(),
  lastTransitionTime: timestamp.nullish(),
});

export const containerStateSchema = z.looseObject({
  waiting: z.looseObject({ reason: z.string().nullish(), message: z.string().nullish() }).nullish(),
  running: z.looseObject({ startedAt: timestamp.nullish() }).nullish(),
  terminated: z
    .looseObject({
      exitCode: int32,
      signal: int32.nullish(),
      reason: z.string().nullish(),
      message: z.string().nullish(),
      startedAt: timestamp.nullish(),
      finishedAt: timestamp.nullish(),
      containerID: z.string().nullish(),
    })
    .nullish(),
});

export const containerStatusSchema = z.looseObject({
  name: z.string(),
  state: containerStateSchema.nullish(),
  lastState: containerStateSchema.nullish(),
  ready: z.boolean().nullish(),
  restartCount: int32.nullish(),
  image: z.string().nullish(),
  imageID: z.string().nullish(),
  containerID: z.string().nullish(),
  started: z.boolean().nullish(),
});

export const podStatusSchema = z.looseObject({
  phase: z.string().nullish(),
  conditions: z.array(podConditionSchema).nullish(),
  message: z.string().nullish(),
  reason: z.string().nullish(),
  nominatedNodeName: z.string().nullish(),
  hostIP: z.string().nullish(),
  hostIPs: z.array(z.looseObject({ ip: z.string() })).nullish(),
  podIP: z.string().nullish(),
  podIPs: z.array(z.looseObject({ ip: z.string() })).nullish(),
  startTime: timestamp.nullish(),
  initContainerStatuses: z.array(containerStatusSchema).nullish(),
  containerStatuses: z.array(containerStatusSchema).nullish(),
  ephemeralContainerStatuses: z.array(opaqueObject).nullish(),
  qosClass: z.string().nullish(),
});

export const podSchema = kubeObjectSchema({
  spec: podSpecSchema,
  status: podStatusSchema.nullish(),
});

export type Pod = z.infer<typeof podSchema>;
export type PodStatus = z.infer<typeof podStatusSchema>;
export type ContainerStatus = z.infer<typeof containerStatusSchema>;
