/**
 * JSON merge patch (RFC 7386), as the API server applies
 * `application/merge-patch+json`: objects merge recursively, `null` deletes,
 * anything else (lists included) replaces.
 */
import { newBadRequest } from '../errors/status-error.ts';
import { cloneJson, getOwn, isJsonObject, setOwn, withDepthGuard, type JsonObject } from './json-value.ts';

/**
 * Applies `patch` to `doc` and returns the new document; neither input is
 * modified. Like kube-apiserver (evanphx/json-patch MergePatch), a patch that
 * is not a JSON object is refused with 400 rather than replacing the object.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) throw newBadRequest('Invalid JSON Patch');
  // One copy up front; merging then edits only that copy.
  return withDepthGuard(() => mergeInto(cloneJson(doc), patch));
}

function mergeInto(target: unknown, patch: unknown): unknown {
  // Non-object patch values, lists included, replace verbatim (nulls inside them too).
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete out[key];
    } else if (value !== undefined) {
      setOwn(out, key, mergeInto(getOwn(out, key), value));
    }
  }
  return out;
}
