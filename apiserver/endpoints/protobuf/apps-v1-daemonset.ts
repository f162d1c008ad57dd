/**
 * Protobuf message descriptors for apps/v1 DaemonSet and its history, ControllerRevision
 * (a second apps/v1 table beside apps-v1.ts; decode.ts keys kinds by apiVersion/kind).
 * Field numbers from k8s.io/api apps/v1 generated.proto (kubernetes/api 10b39a39b); JSON
 * names and presence from its types.go (DaemonSetStatus counters have no omitempty).
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const appsV1DaemonSet: GroupVersionSchema = {
  apiVersion: 'apps/v1',
  kinds: {
    DaemonSet: 'apps/v1.DaemonSet',
    ControllerRevision: 'apps/v1.ControllerRevision',
  },
  messages: {
    'apps/v1.ControllerRevision': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['data', 'runtime.RawExtension'],
      3: ['revision', 'int64', 'keep'],
    },
    'apps/v1.DaemonSet': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'apps/v1.DaemonSetSpec'],
      3: ['status', 'apps/v1.DaemonSetStatus'],
    },
    'apps/v1.DaemonSetCondition': {
      1: ['type', 'string', 'keep'],
      2: ['status', 'string', 'keep'],
      3: ['lastTransitionTime', 'meta/v1.Time'],
      4: ['reason', 'string'],
      5: ['message', 'string'],
    },
    'apps/v1.DaemonSetSpec': {
      1: ['selector', 'meta/v1.LabelSelector'],
      2: ['template', 'core/v1.PodTemplateSpec'],
      3: ['updateStrategy', 'apps/v1.DaemonSetUpdateStrategy'],
      4: ['minReadySeconds', 'int32'],
      6: ['revisionHistoryLimit', 'int32', 'keep'],
    },
    'apps/v1.DaemonSetStatus': {
      1: ['currentNumberScheduled', 'int32', 'keep'],
      2: ['numberMisscheduled', 'int32', 'keep'],
      3: ['desiredNumberScheduled', 'int32', 'keep'],
      4: ['numberReady', 'int32', 'keep'],
      5: ['observedGeneration', 'int64'],
      6: ['updatedNumberScheduled', 'int32'],
      7: ['numberAvailable', 'int32'],
      8: ['numberUnavailable', 'int32'],
      9: ['collisionCount', 'int32', 'keep'],
      10: ['conditions', 'apps/v1.DaemonSetCondition', 'repeated'],
    },
    'apps/v1.DaemonSetUpdateStrategy': {
      1: ['type', 'string'],
      2: ['rollingUpdate', 'apps/v1.RollingUpdateDaemonSet'],
    },
    'apps/v1.RollingUpdateDaemonSet': {
      1: ['maxUnavailable', 'intstr.IntOrString'],
      2: ['maxSurge', 'intstr.IntOrString'],
    },
  },
};
