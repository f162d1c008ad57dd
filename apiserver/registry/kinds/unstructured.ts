/**
 * Defensive access to decoded JSON (as apimachinery's unstructured helpers):
 * defaulting runs before validation, so it must not trust the shape.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `obj[key]`, or undefined when absent or not an object. */
export function objectField(obj: unknown, key: string): JsonObject | undefined {
  if (!isObject(obj)) return undefined;
  const v = obj[key];
  return isObject(v) ? v : undefined;
}

/** The object at `obj[key]`, created when absent/null; undefined when it holds a non-object. */
export function ensureObjectField(obj: JsonObject, key: string): JsonObject | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    const created: JsonObject = {};
    obj[key] = created;
    return created;
  }
  return isObject(v) ? v : undefined;
}

/** The array at `obj[key]`, or an empty array. */
export function arrayField(obj: unknown, key: string): unknown[] {
  if (!isObject(obj)) return [];
  const v = obj[key];
  return Array.isArray(v) ? v : [];
}

/** The objects of the array at `obj[key]`, skipping non-objects. */
export function objectItems(obj: unknown, key: string): JsonObject[] {
  return arrayField(obj, key).filter(isObject);
}

export function stringField(obj: unknown, key: string): string | undefined {
  if (!isObject(obj)) return undefined;
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

export function numberField(obj: unknown, key: string): number | undefined {
  if (!isObject(obj)) return undefined;
  const v = obj[key];
  return typeof v === 'number' ? v : undefined;
}

/** Unset in Kubernetes' sense: absent, null or the empty string. */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Sets `obj[key] = value` when the field is unset (absent, null or ""). */
export function setDefault(obj: JsonObject, key: string, value: unknown): void {
  if (isUnset(obj[key])) obj[key] = value;
}
