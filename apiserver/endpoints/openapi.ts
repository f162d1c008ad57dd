/**
 * OpenAPI v3 documents derived from the resource table. kubectl reads them to
 * decide on server-side field validation: it needs, per group-version, a PATCH
 * operation tagged with x-kubernetes-group-version-kind that takes the
 * `fieldValidation` query parameter (see KUBECTL_WIRE.md §4).
 */
import { createHash } from 'node:crypto';
import type { GroupVersion } from './discovery.ts';

export function openApiPath(gv: GroupVersion): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
}

const queryParam = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });

const writeParams = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.',
  ),
];

export function openApiDocument(gv: GroupVersion): unknown {
  const paths: Record<string, unknown> = {};
  const prefix = `/${openApiPath(gv)}`;
  for (const def of gv.resources) {
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const itemPath = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.plural}/{name}` : `${prefix}/${def.plural}/{name}`;
    const collectionPath = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.plural}` : `${prefix}/${def.plural}`;
    const pathParams = [
      { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
      ...(def.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }] : []),
    ];
    const ref = { $ref: `#/components/schemas/${schemaName(def.group, def.version, def.kind)}` };
    const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } };
    paths[itemPath] = {
      parameters: pathParams,
      get: { operationId: `read${def.kind}`, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk, responses: ok },
      put: { operationId: `replace${def.kind}`, 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk, parameters: writeParams, responses: ok },
      patch: {
        operationId: `patch${def.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: [...writeParams, { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } }],
        responses: ok,
      },
      delete: { operationId: `delete${def.kind}`, 'x-kubernetes-action': 'delete', 'x-kubernetes-group-version-kind': gvk, responses: ok },
    };
    paths[collectionPath] = {
      post: { operationId: `create${def.kind}`, 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': gvk, parameters: writeParams, responses: ok },
      get: { operationId: `list${def.kind}`, 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': gvk, responses: { '200': { description: 'OK' } } },
    };
  }
  const schemas: Record<string, unknown> = {};
  for (const def of gv.resources) {
    schemas[schemaName(def.group, def.version, def.kind)] = {
      type: 'object',
      description: `${def.kind} (${def.group || 'core'}/${def.version})`,
      'x-kubernetes-group-version-kind': [{ group: def.group, version: def.version, kind: def.kind }],
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

function schemaName(group: string, version: string, kind: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return `io.k8s.api.${g}.${version}.${kind}`;
}

export function openApiIndex(gvs: readonly GroupVersion[]): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of gvs) {
    const hash = createHash('sha512').update(JSON.stringify(openApiDocument(gv))).digest('hex').slice(0, 128).toUpperCase();
    paths[openApiPath(gv)] = { serverRelativeURL: `/openapi/v3/${openApiPath(gv)}?hash=${hash}` };
  }
  return { paths };
}
