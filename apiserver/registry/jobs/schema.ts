/** batch/v1 Job. */
import { z } from 'zod';
import { nonNegativeInt32, nonNegativeInt64, opaqueObject, timestamp } from '../kinds/field-types.ts';
import { labelSelectorSchema } from '../kinds/label-selector.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { podTemplateSpecSchema } from '../kinds/pod-template.ts';

/** CompletionMode values, in the order field.NotSupported lists them. */
export const completionModes = ['NonIndexed', 'Indexed'] as const;
export const podReplacementPolicies = ['TerminatingOrFailed', 'Failed'] as const;

export const jobSpecSchema = z.looseObject({
  parallelism: nonNegativeInt32.nullish(),
  completions: nonNegativeInt32.nullish(),
  activeDeadlineSeconds: nonNegativeInt64.nullish(),
  // Deep policies pier passes through untouched (the Job controller reads them).
  podFailurePolicy: opaqueObject.nullish(),
  successPolicy: opaqueObject.nullish(),
  backoffLimit: nonNegativeInt32.nullish(),
  backoffLimitPerIndex: nonNegativeInt32.nullish(),
  maxFailedIndexes: nonNegativeInt32.nullish(),
  selector: labelSelectorSchema.nullish(),
  manualSelector: z.boolean().nullish(),
  template: podTemplateSpecSchema,
  ttlSecondsAfterFinished: nonNegativeInt32.nullish(),
  completionMode: z.enum(completionModes).nullish(),
  suspend: z.boolean().nullish(),
  podReplacementPolicy: z.enum(podReplacementPolicies).nullish(),
  managedBy: z.string().nullish(),
});

export const jobConditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  lastProbeTime: timestamp.nullish(),
  lastTransitionTime: timestamp.nullish(),
  reason: z.string().nullish(),
  message: z.string().nullish(),
});

export const jobStatusSchema = z.looseObject({
  conditions: z.array(jobConditionSchema).nullish(),
  startTime: timestamp.nullish(),
  completionTime: timestamp.nullish(),
  active: nonNegativeInt32.nullish(),
  succeeded: nonNegativeInt32.nullish(),
  failed: nonNegativeInt32.nullish(),
  terminating: nonNegativeInt32.nullish(),
  ready: nonNegativeInt32.nullish(),
  completedIndexes: z.string().nullish(),
  failedIndexes: z.string().nullish(),
  uncountedTerminatedPods: z.looseObject({ succeeded: z.array(z.string()).nullish(), failed: z.array(z.string()).nullish() }).nullish(),
});

export const jobSchema = kubeObjectSchema({
  spec: jobSpecSchema,
  status: jobStatusSchema.nullish(),
});

export type Job = z.infer<typeof jobSchema>;
export type JobSpec = z.infer<typeof jobSpecSchema>;
