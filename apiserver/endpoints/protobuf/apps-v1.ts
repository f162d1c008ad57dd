/**
 * Protobuf message descriptors for apps/v1: Deployment and ReplicaSet (their pod templates are core/v1 messages).
 * Field numbers from k8s.io/api apps/v1 generated.proto; JSON names and presence from its types.go.
 * The table was drafted by a script from kubernetes/api 10b39a39b and kubernetes/apimachinery eed236ce
 * (newer than kubectl 1.32; fields it never sends cost nothing) and checked against captured kubectl bodies.
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const appsV1: GroupVersionSchema = {
  apiVersion: 'apps/v1',
  kinds: {
    Deployment: 'apps/v1.Deployment',
    ReplicaSet: 'apps/v1.ReplicaSet',
  },
  messages: {
    'apps/v1.Deployment': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'apps/v1.DeploymentSpec'],
      3: ['status', 'apps/v1.DeploymentStatus'],
    },
    'apps/v1.DeploymentCondition': {
      1: ['type', 'string', 'keep'],
      2: ['status', 'string', 'keep'],
      4: ['reason', 'string'],
      5: ['message', 'string'],
      6: ['lastUpdateTime', 'meta/v1.Time'],
      7: ['lastTransitionTime', 'meta/v1.Time'],
    },
    'apps/v1.DeploymentSpec': {
      1: ['replicas', 'int32', 'keep'],
      2: ['selector', 'meta/v1.LabelSelector'],
      3: ['template', 'core/v1.PodTemplateSpec'],
      4: ['strategy', 'apps/v1.DeploymentStrategy'],
      5: ['minReadySeconds', 'int32'],
      6: ['revisionHistoryLimit', 'int32', 'keep'],
      7: ['paused', 'bool'],
      9: ['progressDeadlineSeconds', 'int32', 'keep'],
    },
    'apps/v1.DeploymentStatus': {
      1: ['observedGeneration', 'int64'],
      2: ['replicas', 'int32'],
      3: ['updatedReplicas', 'int32'],
      4: ['availableReplicas', 'int32'],
      5: ['unavailableReplicas', 'int32'],
      6: ['conditions', 'apps/v1.DeploymentCondition', 'repeated'],
      7: ['readyReplicas', 'int32'],
      8: ['collisionCount', 'int32', 'keep'],
      9: ['terminatingReplicas', 'int32', 'keep'],
    },
    'apps/v1.DeploymentStrategy': {
      1: ['type', 'string'],
      2: ['rollingUpdate', 'apps/v1.RollingUpdateDeployment'],
    },
    'apps/v1.ReplicaSet': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'apps/v1.ReplicaSetSpec'],
      3: ['status', 'apps/v1.ReplicaSetStatus'],
    },
    'apps/v1.ReplicaSetCondition': {
      1: ['type', 'string', 'keep'],
      2: ['status', 'string', 'keep'],
      3: ['lastTransitionTime', 'meta/v1.Time'],
      4: ['reason', 'string'],
      5: ['message', 'string'],
    },
    'apps/v1.ReplicaSetSpec': {
      1: ['replicas', 'int32', 'keep'],
      2: ['selector', 'meta/v1.LabelSelector'],
      3: ['template', 'core/v1.PodTemplateSpec'],
      4: ['minReadySeconds', 'int32'],
    },
    'apps/v1.ReplicaSetStatus': {
      1: ['replicas', 'int32', 'keep'],
      2: ['fullyLabeledReplicas', 'int32'],
      3: ['observedGeneration', 'int64'],
      4: ['readyReplicas', 'int32'],
      5: ['availableReplicas', 'int32'],
      6: ['conditions', 'apps/v1.ReplicaSetCondition', 'repeated'],
      7: ['terminatingReplicas', 'int32', 'keep'],
    },
    'apps/v1.RollingUpdateDeployment': {
      1: ['maxUnavailable', 'intstr.IntOrString'],
      2: ['maxSurge', 'intstr.IntOrString'],
    },
  },
};
