/**
 * Protobuf message descriptors for authorization.k8s.io/v1: the access reviews (`kubectl auth can-i` sends SelfSubjectAccessReview).
 * Field numbers from k8s.io/api authorization/v1 generated.proto; JSON names and presence from its types.go.
 * The table was drafted by a script from kubernetes/api 10b39a39b and kubernetes/apimachinery eed236ce
 * (newer than kubectl 1.32; fields it never sends cost nothing) and checked against captured kubectl bodies.
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const authorizationV1: GroupVersionSchema = {
  apiVersion: 'authorization.k8s.io/v1',
  kinds: {
    SelfSubjectAccessReview: 'authorization/v1.SelfSubjectAccessReview',
    SubjectAccessReview: 'authorization/v1.SubjectAccessReview',
    LocalSubjectAccessReview: 'authorization/v1.LocalSubjectAccessReview',
    SelfSubjectRulesReview: 'authorization/v1.SelfSubjectRulesReview',
  },
  messages: {
    // Go's `type ExtraValue []string`: a wrapper message on the wire, a bare array in JSON.
    'authorization/v1.ExtraValue': {
      1: ['items', 'string', 'repeated'],
    },
    'authorization/v1.FieldSelectorAttributes': {
      1: ['rawSelector', 'string'],
      2: ['requirements', 'meta/v1.FieldSelectorRequirement', 'repeated'],
    },
    'authorization/v1.LabelSelectorAttributes': {
      1: ['rawSelector', 'string'],
      2: ['requirements', 'meta/v1.LabelSelectorRequirement', 'repeated'],
    },
    'authorization/v1.LocalSubjectAccessReview': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'authorization/v1.SubjectAccessReviewSpec'],
      3: ['status', 'authorization/v1.SubjectAccessReviewStatus'],
    },
    'authorization/v1.NonResourceAttributes': {
      1: ['path', 'string'],
      2: ['verb', 'string'],
    },
    'authorization/v1.NonResourceRule': {
      1: ['verbs', 'string', 'repeated'],
      2: ['nonResourceURLs', 'string', 'repeated'],
    },
    'authorization/v1.ResourceAttributes': {
      1: ['namespace', 'string'],
      2: ['verb', 'string'],
      3: ['group', 'string'],
      4: ['version', 'string'],
      5: ['resource', 'string'],
      6: ['subresource', 'string'],
      7: ['name', 'string'],
      8: ['fieldSelector', 'authorization/v1.FieldSelectorAttributes'],
      9: ['labelSelector', 'authorization/v1.LabelSelectorAttributes'],
    },
    'authorization/v1.ResourceRule': {
      1: ['verbs', 'string', 'repeated'],
      2: ['apiGroups', 'string', 'repeated'],
      3: ['resources', 'string', 'repeated'],
      4: ['resourceNames', 'string', 'repeated'],
    },
    'authorization/v1.SelfSubjectAccessReview': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'authorization/v1.SelfSubjectAccessReviewSpec'],
      3: ['status', 'authorization/v1.SubjectAccessReviewStatus'],
    },
    'authorization/v1.SelfSubjectAccessReviewSpec': {
      1: ['resourceAttributes', 'authorization/v1.ResourceAttributes'],
      2: ['nonResourceAttributes', 'authorization/v1.NonResourceAttributes'],
    },
    'authorization/v1.SelfSubjectRulesReview': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'authorization/v1.SelfSubjectRulesReviewSpec'],
      3: ['status', 'authorization/v1.SubjectRulesReviewStatus'],
    },
    'authorization/v1.SelfSubjectRulesReviewSpec': {
      1: ['namespace', 'string'],
    },
    'authorization/v1.SubjectAccessReview': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['spec', 'authorization/v1.SubjectAccessReviewSpec'],
      3: ['status', 'authorization/v1.SubjectAccessReviewStatus'],
    },
    'authorization/v1.SubjectAccessReviewSpec': {
      1: ['resourceAttributes', 'authorization/v1.ResourceAttributes'],
      2: ['nonResourceAttributes', 'authorization/v1.NonResourceAttributes'],
      3: ['user', 'string'],
      4: ['groups', 'string', 'repeated'],
      5: ['extra', 'authorization/v1.ExtraValue', 'map'],
      6: ['uid', 'string'],
    },
    'authorization/v1.SubjectAccessReviewStatus': {
      1: ['allowed', 'bool', 'keep'],
      2: ['reason', 'string'],
      3: ['evaluationError', 'string'],
      4: ['denied', 'bool'],
    },
    'authorization/v1.SubjectRulesReviewStatus': {
      1: ['resourceRules', 'authorization/v1.ResourceRule', 'repeated'],
      2: ['nonResourceRules', 'authorization/v1.NonResourceRule', 'repeated'],
      3: ['incomplete', 'bool', 'keep'],
      4: ['evaluationError', 'string'],
    },
  },
  converters: {
    'authorization/v1.ExtraValue': (fields) => (Array.isArray(fields.items) ? fields.items : []),
  },
};
