/**
 * Protobuf message descriptors for policy/v1: Eviction, the body `kubectl drain` POSTs to …/pods/NAME/eviction.
 * Field numbers from k8s.io/api policy/v1 generated.proto; JSON names and presence from its types.go.
 * The table was drafted by a script from kubernetes/api 10b39a39b and kubernetes/apimachinery eed236ce
 * (newer than kubectl 1.32; fields it never sends cost nothing) and checked against captured kubectl bodies.
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const policyV1: GroupVersionSchema = {
  apiVersion: 'policy/v1',
  kinds: {
    Eviction: 'policy/v1.Eviction',
  },
  messages: {
    'policy/v1.Eviction': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['deleteOptions', 'meta/v1.DeleteOptions'],
    },
  },
};
