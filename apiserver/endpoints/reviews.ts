/**
 * Self reviews, the create-only virtual resources kubectl asks before acting
 * (`kubectl auth can-i`, `kubectl auth whoami`): SelfSubjectAccessReview and
 * SelfSubjectReview. Nothing is stored. Until RBAC exists every authenticated
 * user may do everything (as kube-apiserver's AlwaysAllow authorizer).
 */
import type { UserInfo } from '../authn/token-authenticator.ts';
import { newBadRequest, newMethodNotSupported } from '../errors/status-error.ts';
import type { DiscoveryResource } from './discovery.ts';
import type { ResourceRequestInfo } from './request-info.ts';

const review = (group: string, plural: string, kind: string): DiscoveryResource => ({
  group,
  version: 'v1',
  kind,
  plural,
  singular: plural.replace(/s$/, ''),
  shortNames: [],
  namespaced: false,
  categories: [],
  verbs: ['create'],
});

export const reviewResources: readonly DiscoveryResource[] = [
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
  review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview'),
];

export function isReviewRequest(info: ResourceRequestInfo): boolean {
  return reviewResources.some((r) => r.group === info.group && r.version === info.version && r.plural === info.resource);
}

/** Answers a review; `decodeBody` decodes the request object (a SelfSubjectReview's body carries nothing). */
export function handleReview(info: ResourceRequestInfo, user: UserInfo, decodeBody: () => unknown): { code: number; body: unknown } {
  if (info.verb !== 'create' || info.name !== undefined || info.namespace !== undefined) {
    throw newMethodNotSupported({ group: info.group, resource: info.resource }, info.verb);
  }
  const def = reviewResources.find((r) => r.group === info.group && r.plural === info.resource)!;
  const typeMeta = { kind: def.kind, apiVersion: `${def.group}/${def.version}`, metadata: { creationTimestamp: null } };
  if (def.kind === 'SelfSubjectReview') {
    return { code: 201, body: { ...typeMeta, status: { userInfo: { username: user.username, uid: user.uid, groups: user.groups } } } };
  }
  const body = decodeBody();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw newBadRequest(`the body of the request must be a ${def.kind} object`);
  const spec = (body as { spec?: unknown }).spec;
  const attrs = (spec as { resourceAttributes?: unknown; nonResourceAttributes?: unknown } | undefined) ?? {};
  if (!attrs.resourceAttributes && !attrs.nonResourceAttributes) {
    throw newBadRequest('spec.resourceAttributes or spec.nonResourceAttributes is required');
  }
  return { code: 201, body: { ...typeMeta, spec, status: { allowed: true } } };
}
