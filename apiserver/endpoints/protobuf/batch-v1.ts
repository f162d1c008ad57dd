/**
 * Protobuf message descriptors for batch/v1: Job (its pod template is a core/v1 message).
 * Field numbers from k8s.io/api batch/v1 generated.proto (kubernetes/api 10b39a39b); JSON names
 * and presence from its types.go: pointer fields are `keep`, so `suspend: false` and
 * `completions: 0` survive. `kubectl create job` sends this body.
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const batchV1: GroupVersionSchema = {
  apiVersion: 'batch/v1',
  kinds: {
    Job: 'batch/v1.Job',
  },
  messages: {
    'batch/v1.Job': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'batch/v1.JobSpec'],
      3: ['status', 'batch/v1.JobStatus'],
    },
    'batch/v1.JobCondition': {
      1: ['type', 'string', 'keep'],
      2: ['status', 'string', 'keep'],
      3: ['lastProbeTime', 'meta/v1.Time'],
      4: ['lastTransitionTime', 'meta/v1.Time'],
      5: ['reason', 'string'],
      6: ['message', 'string'],
    },
    'batch/v1.JobSpec': {
      1: ['parallelism', 'int32', 'keep'],
      2: ['completions', 'int32', 'keep'],
      3: ['activeDeadlineSeconds', 'int64', 'keep'],
      4: ['selector', 'meta/v1.LabelSelector'],
      5: ['manualSelector', 'bool', 'keep'],
      6: ['template', 'core/v1.PodTemplateSpec'],
      7: ['backoffLimit', 'int32', 'keep'],
      8: ['ttlSecondsAfterFinished', 'int32', 'keep'],
      9: ['completionMode', 'string', 'keep'],
      10: ['suspend', 'bool', 'keep'],
      11: ['podFailurePolicy', 'batch/v1.PodFailurePolicy'],
      12: ['backoffLimitPerIndex', 'int32', 'keep'],
      13: ['maxFailedIndexes', 'int32', 'keep'],
      14: ['podReplacementPolicy', 'string', 'keep'],
      15: ['managedBy', 'string', 'keep'],
      16: ['successPolicy', 'batch/v1.SuccessPolicy'],
    },
    'batch/v1.JobStatus': {
      1: ['conditions', 'batch/v1.JobCondition', 'repeated'],
      2: ['startTime', 'meta/v1.Time'],
      3: ['completionTime', 'meta/v1.Time'],
      4: ['active', 'int32'],
      5: ['succeeded', 'int32'],
      6: ['failed', 'int32'],
      7: ['completedIndexes', 'string'],
      8: ['uncountedTerminatedPods', 'batch/v1.UncountedTerminatedPods'],
      9: ['ready', 'int32', 'keep'],
      10: ['failedIndexes', 'string', 'keep'],
      11: ['terminating', 'int32', 'keep'],
    },
    'batch/v1.PodFailurePolicy': {
      1: ['rules', 'batch/v1.PodFailurePolicyRule', 'repeated'],
    },
    'batch/v1.PodFailurePolicyOnExitCodesRequirement': {
      1: ['containerName', 'string', 'keep'],
      2: ['operator', 'string', 'keep'],
      3: ['values', 'int32', 'repeated'],
    },
    'batch/v1.PodFailurePolicyOnPodConditionsPattern': {
      1: ['type', 'string', 'keep'],
      2: ['status', 'string', 'keep'],
    },
    'batch/v1.PodFailurePolicyRule': {
      1: ['action', 'string', 'keep'],
      2: ['onExitCodes', 'batch/v1.PodFailurePolicyOnExitCodesRequirement'],
      3: ['onPodConditions', 'batch/v1.PodFailurePolicyOnPodConditionsPattern', 'repeated'],
    },
    'batch/v1.SuccessPolicy': {
      1: ['rules', 'batch/v1.SuccessPolicyRule', 'repeated'],
    },
    'batch/v1.SuccessPolicyRule': {
      1: ['succeededIndexes', 'string', 'keep'],
      2: ['succeededCount', 'int32', 'keep'],
    },
    'batch/v1.UncountedTerminatedPods': {
      1: ['succeeded', 'string', 'repeated'],
      2: ['failed', 'string', 'repeated'],
    },
  },
};
