/**
 * Where a resource lives on the wire: `/api/v1/...` for the core group,
 * `/apis/<group>/<version>/...` for the rest.
 */

/** Names one resource collection, one object, or one object's subresource. */
export interface ResourcePath {
  /** `''` for the core group. */
  group: string;
  version: string;
  plural: string;
  /** Omitted for cluster-scoped kinds, and for lists and watches across all namespaces. */
  namespace?: string;
  name?: string;
  /** e.g. `status`, `scale`, `binding`. */
  subresource?: string;
}

export function resourceUrlPath(path: ResourcePath): string {
  const parts = [path.group === '' ? 'api' : `apis/${encodeURIComponent(path.group)}`, encodeURIComponent(path.version)];
  if (path.namespace !== undefined && path.namespace !== '') parts.push('namespaces', encodeURIComponent(path.namespace));
  parts.push(encodeURIComponent(path.plural));
  if (path.name !== undefined) {
    if (path.name === '') throw new Error(`resource path for ${path.plural}: name must not be empty`);
    parts.push(encodeURIComponent(path.name));
    if (path.subresource !== undefined) parts.push(encodeURIComponent(path.subresource));
  } else if (path.subresource !== undefined) {
    throw new Error(`resource path for ${path.plural}: a subresource needs a name`);
  }
  return `/${parts.join('/')}`;
}
