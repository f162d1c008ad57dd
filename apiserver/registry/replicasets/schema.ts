/** apps/v1 ReplicaSet. */
import { z } from 'zod';
import { nonNegativeInt32, opaqueObject } from '../kinds/field-types.ts';
import { labelSelectorSchema } from '../kinds/label-selector.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { podTemplateSpecSchema } from '../kinds/pod-template.ts';

export const replicaSetSpecSchema = z.looseObject({
  replicas: nonNegativeInt32.nullish(),
  minReadySeconds: nonNegativeInt32.nullish(),
  selector: labelSelectorSchema.nullish(),
  template: podTemplateSpecSchema,
});

export const replicaSetStatusSchema = z.looseObject({
  replicas: nonNegativeInt32.nullish(),
  fullyLabeledReplicas: nonNegativeInt32.nullish(),
  readyReplicas: nonNegativeInt32.nullish(),
  availableReplicas: nonNegativeInt32.nullish(),
  terminatingReplicas: nonNegativeInt32.nullish(),
  observedGeneration: z.int().nullish(),
  conditions: z.array(opaqueObject).nullish(),
});

export const replicaSetSchema = kubeObjectSchema({
  spec: replicaSetSpecSchema,
  status: replicaSetStatusSchema.nullish(),
});

export type ReplicaSet = z.infer<typeof replicaSetSchema>;
