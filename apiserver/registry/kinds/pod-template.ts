/** core/v1 PodTemplateSpec (the `template` of Deployments and ReplicaSets). */
import { z } from 'zod';
import { int64, stringMap } from './field-types.ts';
import { podSpecSchema } from './pod-spec.ts';

export const podTemplateSpecSchema = z.looseObject({
  metadata: z
    .looseObject({
      name: z.string().nullish(),
      labels: stringMap.nullish(),
      annotations: stringMap.nullish(),
      generation: int64.nullish(),
    })
    .nullish(),
  spec: podSpecSchema,
});

export type PodTemplateSpec = z.infer<typeof podTemplateSpecSchema>;
