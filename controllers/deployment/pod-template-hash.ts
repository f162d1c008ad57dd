/**
 * The pod-template-hash label that ties a ReplicaSet to one version of a
 * Deployment's template (pkg/controller controller_utils.go ComputeHash,
 * deployment/util EqualIgnoreHash). kube hashes the Go struct's deep-printed
 * form with fnv32a, adds collisionCount's bytes, and renders the decimal sum
 * through rand.SafeEncodeString. Go's struct printing cannot be reproduced
 * here, so the hashed form is the template's canonical JSON (keys sorted,
 * empty values dropped); the digits, alphabet and shape of the result are
 * kube's, so names look like `web-7b7876f9b5`, but the values differ.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PodTemplateSpec } from '../controller-utils/workload-objects.ts';

/** apps/v1 DefaultDeploymentUniqueLabelKey. */
export const podTemplateHashLabel = 'pod-template-hash';

/** rand.SafeEncodeString's alphabet: no vowels, no 0/1/3, so no words and no look-alikes. */
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

const fnvOffset = 0x811c9dc5;
const fnvPrime = 0x01000193;

/** FNV-1a, 32 bits. */
export function fnv32a(bytes: Uint8Array, seed: number = fnvOffset): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, fnvPrime) >>> 0;
  }
  return h >>> 0;
}

/**
 * The form two templates are compared and hashed in: object keys sorted, and
 * null, empty maps and empty lists dropped (apimachinery's semantic equality
 * treats nil and empty alike).
 */
export function semanticForm(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(semanticForm);
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = semanticForm((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value === null ? undefined : value;
}

/** ComputeHash(template, collisionCount). */
export function computeHash(template: PodTemplateSpec, collisionCount?: number | null): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(semanticForm(template)) ?? ''));
  if (collisionCount !== undefined && collisionCount !== null) {
    // As kube: the count's 4 little-endian bytes in an 8-byte buffer.
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

function withoutHashLabel(template: PodTemplateSpec | undefined): unknown {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[podTemplateHashLabel];
  return semanticForm(copy);
}

/** EqualIgnoreHash: the templates are semantically equal once both lose their pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return isDeepStrictEqual(withoutHashLabel(a), withoutHashLabel(b));
}
