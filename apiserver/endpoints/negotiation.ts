/**
 * Content negotiation: decoding request bodies by Content-Type and choosing the
 * response form from Accept (plain object or meta.k8s.io Table), as apiserver's
 * negotiation package does for the media types kubectl sends.
 */
import { parse as parseYaml } from 'yaml';
import { newBadRequest, newUnsupportedMediaType, StatusError } from '../errors/status-error.ts';
import type { PatchType } from '../registry/generic-store.ts';
import { decodeProtobufObject, protobufMediaType } from './protobuf/decode.ts';

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

/** True when the client asked for a meta.k8s.io Table (kubectl get). */
export function wantsTable(accept: string | undefined): boolean {
  for (const m of parseMediaTypes(accept)) {
    if (m.type !== 'application/json') continue;
    if (m.params.as === 'Table' && m.params.g === 'meta.k8s.io' && (m.params.v === 'v1' || m.params.v === 'v1beta1')) return true;
    if (m.params.as === undefined) return false;
  }
  return false;
}

/** True when the client asked for aggregated discovery (apidiscovery.k8s.io/v2 or v2beta1). */
export function wantsAggregatedDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const m of parseMediaTypes(accept)) {
    if (m.type !== 'application/json') continue;
    if (m.params.as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io') {
      if (m.params.v === 'v2' || m.params.v === 'v2beta1') return m.params.v;
    }
    if (m.params.as === undefined) return undefined;
  }
  return undefined;
}

/** Patch type from a PATCH request's Content-Type, or 415. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = parseMediaTypes(contentType)[0]?.type;
  switch (type) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+json':
      return 'apply';
    default:
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
  }
}

/** Nesting deeper than this is refused before it can exhaust the stack. */
const maxDepth = 100;

function depthOf(value: unknown, depth: number): void {
  if (depth > maxDepth) throw newBadRequest(`the request body is nested deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) {
    for (const child of value) if (typeof child === 'object' && child !== null) depthOf(child, depth + 1);
  } else {
    for (const key in value as Record<string, unknown>) {
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) depthOf(child, depth + 1);
    }
  }
}

/** Recursion is bounded by maxDepth itself, so this cannot overflow the stack. */
function checkDepth(value: unknown): void {
  if (typeof value === 'object' && value !== null) depthOf(value, 0);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a request body: JSON for application/json and the JSON patch types, YAML for
 * application/yaml and apply-patch+yaml (JSON is valid YAML), Kubernetes protobuf for
 * application/vnd.kubernetes.protobuf (never a patch). Undecodable → 400.
 */
export function decodeBody(contentType: string | undefined, raw: Buffer | undefined, forPatch: boolean): unknown {
  // No Content-Type means the first supported type, JSON, as apiserver's NegotiateInputSerializer
  // (kubectl scale --current-replicas PUTs its Scale without one).
  const type = parseMediaTypes(contentType)[0]?.type || (forPatch ? '' : 'application/json');
  if (!raw || raw.length === 0) {
    throw newBadRequest('the request body is empty; an object is required');
  }
  if (type === protobufMediaType) {
    if (forPatch) throw newUnsupportedMediaType(type);
    const value = decodeProtobufObject(raw);
    checkDepth(value);
    return value;
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw newBadRequest('the request body is not valid UTF-8');
  }
  const jsonTypes = ['application/json', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+json'];
  const yamlTypes = ['application/yaml', 'application/apply-patch+yaml'];
  let value: unknown;
  if (jsonTypes.includes(type)) {
    if (!forPatch && type !== 'application/json') throw newUnsupportedMediaType(type);
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw newBadRequest(`the object provided is unrecognized: couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  } else if (yamlTypes.includes(type)) {
    if (!forPatch && type !== 'application/yaml') throw newUnsupportedMediaType(type);
    try {
      value = parseYaml(text, { maxAliasCount: 100, uniqueKeys: false, logLevel: 'error' });
    } catch (err) {
      throw newBadRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  } else {
    throw newUnsupportedMediaType(type || '""');
  }
  checkDepth(value);
  return value;
}
