/**
 * Parses a resource request path into its parts (as apiserver's
 * request.RequestInfoFactory): /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}
 * and /apis/{group}/{version}/..., including the legacy /watch/ prefix.
 */

export interface ResourceRequestInfo {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
  /** get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
}

export type RequestInfo =
  | { kind: 'resource'; info: ResourceRequestInfo }
  /** /api, /apis, /api/v1, /apis/{group}, /apis/{group}/{version} */
  | { kind: 'discovery'; group: string | undefined; version: string | undefined; legacy: boolean }
  | { kind: 'unknown' };

function verbFor(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** `path` is the URL path without query; `watchParam` is true for ?watch=1|true. */
export function parseRequestInfo(method: string, path: string, watchParam: boolean): RequestInfo {
  const parts = path.split('/').filter((p) => p !== '');
  let segments: string[];
  let group: string;
  let version: string;
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'discovery', group: undefined, version: undefined, legacy: true };
    version = parts[1]!;
    group = '';
    if (parts.length === 2) return { kind: 'discovery', group: '', version, legacy: true };
    segments = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'discovery', group: undefined, version: undefined, legacy: false };
    group = parts[1]!;
    if (parts.length === 2) return { kind: 'discovery', group, version: undefined, legacy: false };
    version = parts[2]!;
    if (parts.length === 3) return { kind: 'discovery', group, version, legacy: false };
    segments = parts.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  let watch = watchParam;
  if (segments[0] === 'watch') {
    watch = true;
    segments = segments.slice(1);
  }
  let namespace: string | undefined;
  // namespaces/{ns}/{resource}... but "namespaces/{name}" and "namespaces/{name}/{subresource}" name the Namespace itself.
  if (segments[0] === 'namespaces' && segments.length >= 3 && group === '' && !['status', 'finalize'].includes(segments[2]!)) {
    namespace = segments[1];
    segments = segments.slice(2);
  } else if (segments[0] === 'namespaces' && segments.length >= 3 && group !== '') {
    namespace = segments[1];
    segments = segments.slice(2);
  }
  if (segments.length === 0 || segments.length > 3) return { kind: 'unknown' };
  const [resource, name, subresource] = segments as [string, string | undefined, string | undefined];
  return {
    kind: 'resource',
    info: {
      group,
      version,
      namespace,
      resource,
      name,
      subresource,
      verb: verbFor(method, name !== undefined, watch),
    },
  };
}
