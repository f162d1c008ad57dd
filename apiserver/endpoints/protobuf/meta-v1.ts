/**
 * Protobuf message descriptors for meta.k8s.io/v1: ObjectMeta and the other messages every group shares. DeleteOptions is
 * also accepted under any group's apiVersion (see decode.ts), as every group registers it.
 * Field numbers from k8s.io/apimachinery pkg/apis/meta/v1 generated.proto; JSON names and presence from its types.go.
 * The table was drafted by a script from kubernetes/api 10b39a39b and kubernetes/apimachinery eed236ce
 * (newer than kubectl 1.32; fields it never sends cost nothing) and checked against captured kubectl bodies.
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const metaV1: GroupVersionSchema = {
  apiVersion: 'meta.k8s.io/v1',
  kinds: {
    DeleteOptions: 'meta/v1.DeleteOptions',
  },
  messages: {
    'meta/v1.Condition': {
      1: ['type', 'string', 'keep'],
      2: ['status', 'string', 'keep'],
      3: ['observedGeneration', 'int64'],
      4: ['lastTransitionTime', 'meta/v1.Time'],
      5: ['reason', 'string', 'keep'],
      6: ['message', 'string', 'keep'],
    },
    'meta/v1.DeleteOptions': {
      1: ['gracePeriodSeconds', 'int64', 'keep'],
      2: ['preconditions', 'meta/v1.Preconditions'],
      3: ['orphanDependents', 'bool', 'keep'],
      4: ['propagationPolicy', 'string', 'keep'],
      5: ['dryRun', 'string', 'repeated'],
      6: ['ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', 'keep'],
    },
    'meta/v1.FieldSelectorRequirement': {
      1: ['key', 'string', 'keep'],
      2: ['operator', 'string', 'keep'],
      3: ['values', 'string', 'repeated'],
    },
    'meta/v1.LabelSelector': {
      1: ['matchLabels', 'string', 'map'],
      2: ['matchExpressions', 'meta/v1.LabelSelectorRequirement', 'repeated'],
    },
    'meta/v1.LabelSelectorRequirement': {
      1: ['key', 'string', 'keep'],
      2: ['operator', 'string', 'keep'],
      3: ['values', 'string', 'repeated'],
    },
    'meta/v1.ManagedFieldsEntry': {
      1: ['manager', 'string'],
      2: ['operation', 'string'],
      3: ['apiVersion', 'string'],
      4: ['time', 'meta/v1.Time'],
      6: ['fieldsType', 'string'],
      7: ['fieldsV1', 'meta/v1.FieldsV1'],
      8: ['subresource', 'string'],
    },
    'meta/v1.ObjectMeta': {
      1: ['name', 'string'],
      2: ['generateName', 'string'],
      3: ['namespace', 'string'],
      4: ['selfLink', 'string'],
      5: ['uid', 'string'],
      6: ['resourceVersion', 'string'],
      7: ['generation', 'int64'],
      8: ['creationTimestamp', 'meta/v1.Time'],
      9: ['deletionTimestamp', 'meta/v1.Time'],
      10: ['deletionGracePeriodSeconds', 'int64', 'keep'],
      11: ['labels', 'string', 'map'],
      12: ['annotations', 'string', 'map'],
      13: ['ownerReferences', 'meta/v1.OwnerReference', 'repeated'],
      14: ['finalizers', 'string', 'repeated'],
      17: ['managedFields', 'meta/v1.ManagedFieldsEntry', 'repeated'],
    },
    'meta/v1.OwnerReference': {
      1: ['kind', 'string', 'keep'],
      3: ['name', 'string', 'keep'],
      4: ['uid', 'string', 'keep'],
      5: ['apiVersion', 'string', 'keep'],
      6: ['controller', 'bool', 'keep'],
      7: ['blockOwnerDeletion', 'bool', 'keep'],
    },
    'meta/v1.Preconditions': {
      1: ['uid', 'string', 'keep'],
      2: ['resourceVersion', 'string', 'keep'],
    },
  },
};
