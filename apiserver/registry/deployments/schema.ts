/** apps/v1 Deployment. */
import { z } from 'zod';
import { intOrString, int32, nonNegativeInt32, opaqueObject } from '../kinds/field-types.ts';
import { labelSelectorSchema } from '../kinds/label-selector.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { podTemplateSpecSchema } from '../kinds/pod-template.ts';

export const deploymentStrategyTypes = ['Recreate', 'RollingUpdate'] as const;

export const deploymentSpecSchema = z.looseObject({
  replicas: nonNegativeInt32.nullish(),
  selector: labelSelectorSchema.nullish(),
  template: podTemplateSpecSchema,
  strategy: z
    .looseObject({
      type: z.enum(deploymentStrategyTypes).nullish(),
      rollingUpdate: z.looseObject({ maxUnavailable: intOrString.nullish(), maxSurge: intOrString.nullish() }).nullish(),
    })
    .nullish(),
  minReadySeconds: nonNegativeInt32.nullish(),
  revisionHistoryLimit: nonNegativeInt32.nullish(),
  paused: z.boolean().nullish(),
  progressDeadlineSeconds: int32.nullish(),
});

export const deploymentStatusSchema = z.looseObject({
  observedGeneration: z.int().nullish(),
  replicas: nonNegativeInt32.nullish(),
  updatedReplicas: nonNegativeInt32.nullish(),
  readyReplicas: nonNegativeInt32.nullish(),
  availableReplicas: nonNegativeInt32.nullish(),
  unavailableReplicas: nonNegativeInt32.nullish(),
  terminatingReplicas: nonNegativeInt32.nullish(),
  conditions: z.array(opaqueObject).nullish(),
  collisionCount: int32.nullish(),
});

export const deploymentSchema = kubeObjectSchema({
  spec: deploymentSpecSchema,
  status: deploymentStatusSchema.nullish(),
});

export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentSpec = z.infer<typeof deploymentSpecSchema>;
