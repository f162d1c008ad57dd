/**
 * Unknown fields, as apiserver's decoding into typed structs finds them: a
 * field the kind's type does not have is dropped from the object, and its
 * path (`spec.containers[0].imagee`) is reported so the request's
 * fieldValidation can turn it into a warning (Warn, the default) or a 400
 * (Strict, what kubectl sends by default), or ignore it (Ignore).
 *
 * The types come from known-fields.json (generated from
 * @kubernetes/client-node's models of Kubernetes' OpenAPI document, see
 * generate-known-fields.ts). Fields typed as free-form JSON (RawExtension,
 * `any`) and named scalars are not looked into.
 */
import { readFileSync } from 'node:fs';

interface KnownFields {
  source: string;
  types: Record<string, Record<string, string>>;
}

const known = JSON.parse(readFileSync(new URL('./known-fields.json', import.meta.url), 'utf8')) as KnownFields;

type Shape = { kind: 'object'; fields: Map<string, string> } | { kind: 'array' | 'map'; of: string } | { kind: 'opaque' };

const shapes = new Map<string, Shape>();

/** What a field type string says about the value: an object with fields, a list or map of something, or nothing to check. */
function shapeOf(type: string): Shape {
  let shape = shapes.get(type);
  if (shape) return shape;
  const item = /^Array<(.+)>$/.exec(type)?.[1];
  const value = /^\{ \[key: string\]: (.+); \}$/.exec(type)?.[1];
  const fields = known.types[type];
  if (item !== undefined) shape = { kind: 'array', of: item };
  else if (value !== undefined) shape = { kind: 'map', of: value };
  else if (fields) shape = { kind: 'object', fields: new Map(Object.entries(fields)) };
  else shape = { kind: 'opaque' };
  shapes.set(type, shape);
  return shape;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function prune(type: string, value: unknown, path: string, found: string[]): void {
  const shape = shapeOf(type);
  switch (shape.kind) {
    case 'opaque':
      return;
    case 'array':
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) prune(shape.of, value[i], `${path}[${i}]`, found);
      return;
    case 'map':
      if (isPlainObject(value)) for (const key of Object.keys(value)) prune(shape.of, value[key], `${path}[${key}]`, found);
      return;
    case 'object':
      if (!isPlainObject(value)) return;
      for (const key of Object.keys(value)) {
        const fieldPath = path === '' ? key : `${path}.${key}`;
        const fieldType = shape.fields.get(key);
        if (fieldType === undefined) {
          found.push(fieldPath);
          delete value[key];
        } else {
          prune(fieldType, value[key], fieldPath, found);
        }
      }
  }
}

/** Whether known-fields.json describes `model` (every kind in the resource table should be). */
export function hasKnownFields(model: string): boolean {
  return known.types[model] !== undefined;
}

/** Removes from `obj` (in place) every field its type `model` does not have; returns their paths in document order. */
export function pruneUnknownFields(model: string, obj: unknown): string[] {
  const found: string[] = [];
  prune(model, obj, '', found);
  return found;
}

/** The error text apiserver gives for unknown fields under fieldValidation=Strict (runtime.strictDecodingError). */
export function strictDecodingMessage(paths: readonly string[]): string {
  return `strict decoding error: ${paths.map((p) => `unknown field "${p}"`).join(', ')}`;
}
