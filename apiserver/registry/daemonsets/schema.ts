/** apps/v1 DaemonSet. */
import { z } from 'zod';
import { int32, int64, intOrString, nonNegativeInt32, opaqueObject } from '../kinds/field-types.ts';
import { labelSelectorSchema } from '../kinds/label-selector.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { podTemplateSpecSchema } from '../kinds/pod-template.ts';

export const daemonSetSpecSchema = z.looseObject({
  selector: labelSelectorSchema.nullish(),
  template: podTemplateSpecSchema,
  // `type` is checked by the strategy: kube reports a bad type on `spec.updateStrategy` itself.
  updateStrategy: z
    .looseObject({
      type: z.string().nullish(),
      rollingUpdate: z.looseObject({ maxUnavailable: intOrString.nullish(), maxSurge: intOrString.nullish() }).nullish(),
    })
    .nullish(),
  minReadySeconds: nonNegativeInt32.nullish(),
  revisionHistoryLimit: nonNegativeInt32.nullish(),
});

export const daemonSetStatusSchema = z.looseObject({
  currentNumberScheduled: nonNegativeInt32.nullish(),
  numberMisscheduled: nonNegativeInt32.nullish(),
  desiredNumberScheduled: nonNegativeInt32.nullish(),
  numberReady: nonNegativeInt32.nullish(),
  observedGeneration: int64.nullish(),
  updatedNumberScheduled: nonNegativeInt32.nullish(),
  numberAvailable: nonNegativeInt32.nullish(),
  numberUnavailable: nonNegativeInt32.nullish(),
  collisionCount: int32.nullish(),
  conditions: z.array(opaqueObject).nullish(),
});

export const daemonSetSchema = kubeObjectSchema({
  spec: daemonSetSpecSchema,
  status: daemonSetStatusSchema.nullish(),
});

export type DaemonSet = z.infer<typeof daemonSetSchema>;
export type DaemonSetSpec = z.infer<typeof daemonSetSpecSchema>;
