/**
 * The JSON value model the patch appliers work on. Keys such as
 * `__proto__` and `constructor` are legal data (ConfigMap keys may be
 * either), so every read checks own properties and every write defines an
 * own property: a patch can neither reach nor replace a prototype.
 */
import { newBadRequest } from '../errors/status-error.ts';

/** A decoded JSON object. */
export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The own value under `key`, or undefined; never an inherited member. */
export function getOwn(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets `key` as an own data property, even when `key` is `__proto__`. */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** Deep copy of a JSON value; `undefined` members are dropped as JSON would. */
export function cloneJson<T>(value: T): T {
  return cloneValue(value) as T;
}

function cloneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : cloneValue(v)));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v !== undefined) setOwn(out, key, cloneValue(v));
    }
    return out;
  }
  return value;
}

/** Structural equality of two JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Runs `fn`, which walks JSON recursively, turning a stack overflow (a
 * document nested deeper than the stack allows) into 400 BadRequest, as
 * Kubernetes' JSON decoder refuses over-deep documents ("exceeded max depth").
 */
export function withDepthGuard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) throw newBadRequest('json: exceeded max depth');
    throw err;
  }
}
