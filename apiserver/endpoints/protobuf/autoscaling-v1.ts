/**
 * Protobuf message descriptors for autoscaling/v1: Scale, the body of `kubectl scale --current-replicas` (PUT …/scale).
 * Field numbers from k8s.io/api autoscaling/v1 generated.proto; JSON names and presence from its types.go.
 * The table was drafted by a script from kubernetes/api 10b39a39b and kubernetes/apimachinery eed236ce
 * (newer than kubectl 1.32; fields it never sends cost nothing) and checked against captured kubectl bodies.
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const autoscalingV1: GroupVersionSchema = {
  apiVersion: 'autoscaling/v1',
  kinds: {
    Scale: 'autoscaling/v1.Scale',
  },
  messages: {
    'autoscaling/v1.Scale': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'autoscaling/v1.ScaleSpec'],
      3: ['status', 'autoscaling/v1.ScaleStatus'],
    },
    'autoscaling/v1.ScaleSpec': {
      1: ['replicas', 'int32'],
    },
    'autoscaling/v1.ScaleStatus': {
      1: ['replicas', 'int32', 'keep'],
      2: ['selector', 'string'],
    },
  },
};
