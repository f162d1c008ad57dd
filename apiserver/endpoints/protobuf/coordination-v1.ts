/**
 * Protobuf message descriptors for coordination.k8s.io/v1: Lease.
 * Field numbers from k8s.io/api coordination/v1 generated.proto; JSON names and presence from its types.go.
 * The table was drafted by a script from kubernetes/api 10b39a39b and kubernetes/apimachinery eed236ce
 * (newer than kubectl 1.32; fields it never sends cost nothing) and checked against captured kubectl bodies.
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const coordinationV1: GroupVersionSchema = {
  apiVersion: 'coordination.k8s.io/v1',
  kinds: {
    Lease: 'coordination/v1.Lease',
  },
  messages: {
    'coordination/v1.Lease': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'coordination/v1.LeaseSpec'],
    },
    'coordination/v1.LeaseSpec': {
      1: ['holderIdentity', 'string', 'keep'],
      2: ['leaseDurationSeconds', 'int32', 'keep'],
      3: ['acquireTime', 'meta/v1.MicroTime'],
      4: ['renewTime', 'meta/v1.MicroTime'],
      5: ['leaseTransitions', 'int32', 'keep'],
      6: ['strategy', 'string', 'keep'],
      7: ['preferredHolder', 'string', 'keep'],
    },
  },
};
