/**
 * JSON Patch (RFC 6902), as the API server applies `application/json-patch+json`.
 * Error texts follow evanphx/json-patch, which kube-apiserver uses: a patch
 * that cannot be decoded is 400 BadRequest, an operation that does not apply
 * is 422 Invalid (apiserver endpoints/handlers/patch.go).
 */
import { newBadRequest, newRequestEntityTooLarge, StatusError } from '../errors/status-error.ts';
import { cloneJson, getOwn, isJsonObject, jsonEqual, setOwn, withDepthGuard, type JsonObject } from './json-value.ts';

/** kube-apiserver's maxJSONPatchOperations. */
export const maxJsonPatchOperations = 10000;

/**
 * Bytes (as JSON text) that `copy` operations may duplicate in one patch,
 * so a short patch cannot double a document again and again.
 */
export const maxAccumulatedCopySize = 16 * 1024 * 1024;

type OpKind = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

interface Operation {
  op: OpKind;
  path: string[];
  /** The pointer as written, for messages. */
  rawPath: string;
  from?: string[];
  rawFrom?: string;
  value?: unknown;
}

const opKinds: ReadonlySet<string> = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Applies `patch` (a decoded JSON array of operations) to `doc` and returns
 * the new document; `doc` is never modified. Operations apply in order and
 * the whole patch fails if one does.
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  return withDepthGuard(() => {
    const ops = decodePatch(patch);
    const state = { doc: cloneJson(doc), copied: 0 };
    for (const op of ops) applyOperation(state, op);
    return state.doc;
  });
}

function decodePatch(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw newBadRequest(`json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  if (patch.length > maxJsonPatchOperations) {
    throw newRequestEntityTooLarge(`The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`);
  }
  return patch.map((raw, i) => decodeOperation(raw, i));
}

function decodeOperation(raw: unknown, index: number): Operation {
  if (!isJsonObject(raw)) {
    throw newBadRequest(`json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type jsonpatch.Operation (operation ${index})`);
  }
  const kind = getOwn(raw, 'op');
  if (typeof kind !== 'string' || !opKinds.has(kind)) {
    throw newBadRequest(`Unexpected kind: ${typeof kind === 'string' ? kind : 'unknown'}`);
  }
  const op = kind as OpKind;
  const rawPath = getOwn(raw, 'path');
  if (typeof rawPath !== 'string') throw newBadRequest(`${op} operation failed to decode path: operation missing path field: missing value`);
  const out: Operation = { op, rawPath, path: parsePointer(rawPath, op, 'path') };
  if (op === 'move' || op === 'copy') {
    const rawFrom = getOwn(raw, 'from');
    if (typeof rawFrom !== 'string') throw newBadRequest(`${op} operation failed to decode from: operation, missing from field: missing value`);
    out.rawFrom = rawFrom;
    out.from = parsePointer(rawFrom, op, 'from');
  }
  if (op === 'add' || op === 'replace' || op === 'test') {
    if (!Object.hasOwn(raw, 'value')) throw newBadRequest(`${op} operation, missing value field: missing value`);
    out.value = raw.value;
  }
  return out;
}

/** RFC 6901: `""` is the whole document, otherwise `/`-separated tokens with `~1` → `/` and `~0` → `~`. */
function parsePointer(pointer: string, op: string, field: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw newBadRequest(`${op} operation failed to decode ${field}: JSON pointer must be empty or start with '/': ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw newBadRequest(`${op} operation failed to decode ${field}: invalid JSON pointer escape in ${JSON.stringify(pointer)}`);
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

function notApplicable(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

const missing = 'missing value';
const invalidIndex = 'invalid index referenced';

/** Array index token: RFC 6901 forbids signs and leading zeros; anything past the end is rejected before use. */
function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const idx = Number(token);
  const limit = allowEnd ? length : length - 1;
  return idx <= limit ? idx : undefined;
}

function isIndexToken(token: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(token);
}

/** The value at `path`, or `undefined` when absent. */
function lookup(doc: unknown, path: readonly string[]): unknown {
  let cur = doc;
  for (const token of path) {
    if (Array.isArray(cur)) {
      const idx = arrayIndex(token, cur.length, false);
      if (idx === undefined) return undefined;
      cur = cur[idx];
    } else if (isJsonObject(cur)) {
      if (!Object.hasOwn(cur, token)) return undefined;
      cur = cur[token];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** The container holding the last token of `path`, or `undefined` when the parent path is missing. */
function parentOf(doc: unknown, path: readonly string[]): JsonObject | unknown[] | undefined {
  const parent = lookup(doc, path.slice(0, -1));
  return Array.isArray(parent) || isJsonObject(parent) ? parent : undefined;
}

interface PatchState {
  doc: unknown;
  copied: number;
}

function applyOperation(state: PatchState, op: Operation): void {
  switch (op.op) {
    case 'add':
      add(state, op.path, cloneJson(op.value), op.rawPath, 'add');
      return;
    case 'remove':
      remove(state, op.path, op.rawPath);
      return;
    case 'replace':
      replace(state, op.path, cloneJson(op.value), op.rawPath);
      return;
    case 'move':
      move(state, op);
      return;
    case 'copy':
      copy(state, op);
      return;
    case 'test':
      test(state, op);
      return;
  }
}

function add(state: PatchState, path: readonly string[], value: unknown, rawPath: string, verb: string): void {
  if (path.length === 0) {
    state.doc = value;
    return;
  }
  const parent = parentOf(state.doc, path);
  if (parent === undefined) throw notApplicable(`${verb} operation does not apply: doc is missing path: "${rawPath}": ${missing}`);
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    if (key === '-') {
      parent.push(value);
      return;
    }
    if (!isIndexToken(key)) throw notApplicable(`error in ${verb} for path: '${rawPath}': value was not a proper array index: '${key}'`);
    const idx = arrayIndex(key, parent.length, true);
    if (idx === undefined) throw notApplicable(`error in ${verb} for path: '${rawPath}': Unable to access invalid index: ${key}: ${invalidIndex}`);
    parent.splice(idx, 0, value);
    return;
  }
  setOwn(parent, key, value);
}

function remove(state: PatchState, path: readonly string[], rawPath: string): void {
  const parent = path.length === 0 ? undefined : parentOf(state.doc, path);
  if (parent === undefined) throw notApplicable(`remove operation does not apply: doc is missing path: "${rawPath}": ${missing}`);
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key, parent.length, false);
    if (idx === undefined) throw notApplicable(`error in remove for path: '${rawPath}': Unable to access invalid index: ${key}: ${invalidIndex}`);
    parent.splice(idx, 1);
    return;
  }
  if (!Object.hasOwn(parent, key)) throw notApplicable(`error in remove for path: '${rawPath}': Unable to remove nonexistent key: ${key}: ${missing}`);
  delete parent[key];
}

/**
 * RFC 6902 §4.3: the target must exist. (evanphx/json-patch v4 lets `replace`
 * create a missing object member; we follow the RFC.)
 */
function replace(state: PatchState, path: readonly string[], value: unknown, rawPath: string): void {
  if (path.length === 0) {
    state.doc = value;
    return;
  }
  const parent = parentOf(state.doc, path);
  if (parent === undefined) throw notApplicable(`replace operation does not apply: doc is missing path: ${rawPath}: ${missing}`);
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key, parent.length, false);
    if (idx === undefined) throw notApplicable(`replace operation does not apply: doc is missing key: ${rawPath}: ${missing}`);
    parent[idx] = value;
    return;
  }
  if (!Object.hasOwn(parent, key)) throw notApplicable(`replace operation does not apply: doc is missing key: ${rawPath}: ${missing}`);
  setOwn(parent, key, value);
}

function isProperPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length < path.length && prefix.every((t, i) => t === path[i]);
}

function move(state: PatchState, op: Operation): void {
  const from = op.from!;
  const value = lookup(state.doc, from);
  if (value === undefined) throw notApplicable(`move operation does not apply: doc is missing from path: ${op.rawFrom}: ${missing}`);
  if (isProperPrefix(from, op.path)) throw notApplicable(`move operation does not apply: cannot move ${op.rawFrom} into its own child ${op.rawPath}`);
  if (from.length === op.path.length && from.every((t, i) => t === op.path[i])) return;
  remove(state, from, op.rawFrom!);
  if (op.path.length > 0 && parentOf(state.doc, op.path) === undefined) {
    throw notApplicable(`move operation does not apply: doc is missing destination path: ${op.rawPath}: ${missing}`);
  }
  add(state, op.path, value, op.rawPath, 'move');
}

function copy(state: PatchState, op: Operation): void {
  const value = lookup(state.doc, op.from!);
  if (value === undefined) throw notApplicable(`copy operation does not apply: doc is missing from path: ${op.rawFrom}: ${missing}`);
  if (op.path.length > 0 && parentOf(state.doc, op.path) === undefined) {
    throw notApplicable(`copy operation does not apply: doc is missing destination path: ${op.rawPath}: ${missing}`);
  }
  state.copied += JSON.stringify(value).length;
  if (state.copied > maxAccumulatedCopySize) {
    throw notApplicable(`error while performing deep copy: accumulated copy size ${state.copied} exceeds the limit of ${maxAccumulatedCopySize}`);
  }
  add(state, op.path, cloneJson(value), op.rawPath, 'copy');
}

function test(state: PatchState, op: Operation): void {
  const actual = lookup(state.doc, op.path);
  if (actual === undefined || !jsonEqual(actual, op.value)) {
    throw notApplicable(`testing value ${op.rawPath} failed: test failed`);
  }
}

/** The Go type name encoding/json reports when a value cannot be decoded. */
function jsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}
