/**
 * Strategic merge patch, as the API server applies
 * `application/strategic-merge-patch+json` (k8s.io/apimachinery
 * pkg/util/strategicpatch, server side: StrategicMergeMapPatch with
 * MergeParallelList and IgnoreUnmatchedNulls). This is what client-side
 * `kubectl apply`, `kubectl edit`, `kubectl patch` and `rollout restart` send.
 *
 * Beyond RFC 7386 it understands, per the PatchMeta of each field:
 * - lists with patchStrategy merge: objects merge by their mergeKey,
 *   primitives merge as a set;
 * - `$patch: delete|replace` on a map or a list element, and a list element
 *   `{"$patch": "replace"}` replacing the whole list;
 * - `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`, `$retainKeys`.
 *
 * Where the Go code keeps a directive in the result (it relies on decoding
 * into typed structs to drop unknown `$` keys) we drop it, since pier stores
 * the JSON as is.
 */
import { newBadRequest, StatusError } from '../errors/status-error.ts';
import { cloneJson, getOwn, isJsonObject, setOwn, withDepthGuard, type JsonObject } from './json-value.ts';
import type { PatchMeta } from './patch-meta.ts';

const directiveMarker = '$patch';
const deleteDirective = 'delete';
const replaceDirective = 'replace';
const mergeDirective = 'merge';
const retainKeysDirective = '$retainKeys';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
const setElementOrderPrefix = '$setElementOrder';

// mergepatch error values, with their texts.
const errBadJSONDoc = 'invalid JSON document';
const errNoListOfLists = 'lists of lists are not supported';
const errBadPatchFormatForPrimitiveList = 'invalid patch format of primitive list';
const errBadPatchFormatForRetainKeys = 'invalid patch format of retainKeys';
const errBadPatchFormatForSetElementOrderList = 'invalid patch format of setElementOrder list';

/**
 * Applies `patch` to `doc` and returns the new document; neither input is
 * modified. `meta` describes the kind's merge keys (see core-patch-meta.ts);
 * `undefined` merges maps and replaces every list, as for an unknown kind.
 *
 * Errors are StatusErrors: 400 BadRequest for a malformed patch, 422 Invalid
 * for lists of lists (as apiserver's interpretStrategicMergePatchError).
 * The Go code answers some malformed patches (a list element missing its
 * merge key) with 500; pier says 400, since the client is at fault.
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, meta: PatchMeta | undefined): unknown {
  if (!isJsonObject(patch)) throw newBadRequest(errBadJSONDoc);
  let original: JsonObject;
  if (doc === undefined || doc === null) original = {};
  else if (isJsonObject(doc)) original = doc;
  else throw newBadRequest(errBadJSONDoc);
  return withDepthGuard(() => mergeMap(cloneJson(original), cloneJson(patch), meta ?? {}));
}

/** A patch-format failure: the Go error text, 400. */
function badPatch(message: string): StatusError {
  return newBadRequest(message);
}

// ---- schema lookup -------------------------------------------------------

interface FieldStrategy {
  /** The field's meta (for a list: the list's, not its elements'). */
  meta: PatchMeta;
  /** patchStrategy without `retainKeys`: '', 'merge' or 'replace'. */
  strategy: string;
  mergeKey: string;
}

const emptyMeta: PatchMeta = {};

/** LookupPatchMetadataForStruct/ForSlice plus extractRetainKeysPatchStrategy. */
function lookupField(schema: PatchMeta, key: string): FieldStrategy {
  const fields = schema.fields;
  const meta = fields && Object.hasOwn(fields, key) ? (fields[key] ?? emptyMeta) : emptyMeta;
  const parts = (meta.strategy ?? '').split(',').filter((s) => s !== '' && s !== 'retainKeys');
  return { meta, strategy: parts[0] ?? '', mergeKey: meta.mergeKey ?? '' };
}

function itemsOf(meta: PatchMeta): PatchMeta {
  return meta.items ?? emptyMeta;
}

// ---- maps ----------------------------------------------------------------

/** mergeMap: merges `patch` into `original`, editing both (they are private copies). */
function mergeMap(original: JsonObject, patch: JsonObject, schema: PatchMeta): JsonObject {
  if (Object.hasOwn(patch, directiveMarker)) return handleDirectiveInMergeMap(patch[directiveMarker], patch);

  applyRetainKeysDirective(original, patch);
  // Handles each `$setElementOrder/x` with its list `x`, removing both from `patch`.
  mergePatchIntoOriginal(original, patch, schema);

  for (const patchKey of Object.keys(patch)) {
    const patchV = patch[patchKey];
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(deleteFromPrimitiveListPrefix)) {
      key = extractKey(patchKey, deleteFromPrimitiveListPrefix);
      isDeleteList = true;
    }

    if (patchV === null) {
      delete original[key];
      continue;
    }
    if (!Object.hasOwn(original, key)) {
      if (!isDeleteList) setCleaned(original, key, patchV);
      continue;
    }
    const originalV = original[key];
    const kind = valueKind(originalV);
    if (kind !== valueKind(patchV)) {
      if (!isDeleteList) setCleaned(original, key, patchV);
      continue;
    }
    const field = lookupField(schema, key);
    if (kind === 'map') {
      const merged =
        field.strategy === replaceDirective
          ? cleanPatchValue(patchV)
          : mergeMap(originalV as JsonObject, patchV as JsonObject, field.meta);
      setOwn(original, key, merged);
    } else if (kind === 'list') {
      setOwn(original, key, mergeSliceHandler(originalV as unknown[], patchV as unknown[], field, isDeleteList).merged);
    } else {
      setOwn(original, key, patchV);
    }
  }
  return original;
}

function handleDirectiveInMergeMap(directive: unknown, patch: JsonObject): JsonObject {
  if (directive === replaceDirective) {
    delete patch[directiveMarker];
    return cleanPatchValue(patch) as JsonObject;
  }
  if (directive === deleteDirective) return {};
  throw badPatch(`unknown patch type: ${goString(directive)} in map: ${goString(patch)}`);
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, retainKeysDirective)) return;
  const retainKeys = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(retainKeys)) throw badPatch(errBadPatchFormatForRetainKeys);
  const retained = new Set<unknown>(retainKeys);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(deleteFromPrimitiveListPrefix) || key.startsWith(setElementOrderPrefix)) continue;
    // Every field the patch sets must be one it retains.
    if (!retained.has(key)) throw badPatch(errBadPatchFormatForRetainKeys);
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) delete original[key];
  }
}

/**
 * Merges each `$setElementOrder/<field>` with the list `<field>`, then orders
 * the result: the directive's order first, then the patch's, then the live
 * object's (preserve-order-in-strategic-merge-patch.md).
 */
function mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, schema: PatchMeta): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix) || !Object.hasOwn(patch, key)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw badPatch(badArgType('[]interface {}', order));
    const listKey = extractKey(key, setElementOrderPrefix);

    const foundOriginal = Object.hasOwn(original, listKey);
    const foundPatch = Object.hasOwn(patch, listKey);
    const originalList = foundOriginal ? original[listKey] : undefined;
    const patchList = foundPatch ? patch[listKey] : undefined;
    if (foundOriginal && !Array.isArray(originalList)) throw badPatch(badArgType('[]interface {}', originalList));
    if (foundPatch && !Array.isArray(patchList)) throw badPatch(badArgType('[]interface {}', patchList));
    const originalItems = (originalList as unknown[] | undefined) ?? [];
    const patchItems = (patchList as unknown[] | undefined) ?? [];

    const field = lookupField(schema, listKey);
    validatePatchWithSetOrderList(patchItems, order, field.mergeKey);

    let merged: unknown[];
    let serverOrder = originalItems;
    if (foundOriginal && foundPatch) {
      ({ merged, originalView: serverOrder } = mergeSliceHandler(originalItems, patchItems, field, false));
    } else if (foundPatch) merged = cleanPatchValue(patchItems) as unknown[];
    else if (foundOriginal) merged = originalItems;
    else continue;

    const kind = sliceElementKind(serverOrder, patchItems) ?? 'primitive';
    const byKey = kind === 'map' && field.mergeKey !== '';
    const [inOrder, serverOnly] = byKey
      ? partitionMapsByPresentInList(merged, order, field.mergeKey)
      : partitionPrimitivesByPresentInList(merged, order);
    setOwn(original, listKey, normalizeElementOrder(inOrder, serverOnly, order, serverOrder, byKey ? field.mergeKey : '', kind));
    delete patch[listKey];
  }
}

/**
 * The patch list, minus deletions, must be a subsequence of the
 * `$setElementOrder` list.
 */
function validatePatchWithSetOrderList(patchList: unknown[], setOrderList: unknown[], mergeKey: string): void {
  if (setOrderList.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey !== '' ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < setOrderList.length) {
    if (containsDirectiveMarker(nonDelete[p])) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[p], setOrderList[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= setOrderList.length) {
    throw badPatch(
      `The order in patch list:\n${goString(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goString(setOrderList)}\n`,
    );
  }
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw badPatch(prefix === deleteFromPrimitiveListPrefix ? errBadPatchFormatForPrimitiveList : errBadPatchFormatForSetElementOrderList);
  }
  return key.slice(slash + 1);
}

// ---- lists ---------------------------------------------------------------
//
// The Go code finds elements by linear scans; lists in a request body can
// hold many thousands of elements, so here every lookup goes through a map
// keyed by itemKey, with the same first-match results.

/** A merged list, plus what the caller's view of the original list reads afterwards. */
interface SliceMerge {
  merged: unknown[];
  /**
   * The original list as Go's caller sees it after the merge. Go deletes and
   * appends in the original's backing array, so the caller's slice header
   * (same length, same array) then shows the surviving elements followed by
   * the first appended ones. mergePatchIntoOriginal orders server-only
   * elements by that view, which puts them before new elements; we keep that.
   */
  originalView: unknown[];
}

function mergeSliceHandler(original: unknown[], patch: unknown[], field: FieldStrategy, isDeleteList: boolean): SliceMerge {
  // Deletion lists apply whatever the field's strategy.
  if (field.strategy === mergeDirective || isDeleteList) {
    return mergeSlice(original, patch, itemsOf(field.meta), field.mergeKey, isDeleteList);
  }
  return { merged: cleanPatchValue(patch) as unknown[], originalView: original };
}

function mergeSlice(original: unknown[], patch: unknown[], schema: PatchMeta, mergeKey: string, isDeleteList: boolean): SliceMerge {
  if (original.length === 0 && patch.length === 0) return { merged: original, originalView: original };
  const kind = sliceElementKind(original, patch)!;

  if (kind !== 'map') {
    if (isDeleteList) return { merged: deleteFromSlice(original, patch), originalView: original };
    const merged = dedupe([...original, ...patch]);
    const [patchItems, serverOnly] = partitionPrimitivesByPresentInList(merged, patch);
    return { merged: normalizeElementOrder(patchItems, serverOnly, patch, original, '', kind), originalView: original };
  }

  if (mergeKey === '') throw badPatch('cannot merge lists without merge key');
  const backing = new BackingArray(original);
  const { list, plain } = mergeSliceWithSpecialElements(backing, patch, mergeKey);
  // Go's `original` from here on: the list after deletions (or the replacement).
  const afterSpecial = list.slice();
  mergeSliceWithoutSpecialElements(list, plain, mergeKey, schema);
  const merged = list.slice();
  const [patchItems, serverOnly] = partitionMapsByPresentInList(merged, plain, mergeKey);
  return {
    merged: normalizeElementOrder(patchItems, serverOnly, plain, afterSpecial, mergeKey, kind),
    originalView: backing.view(),
  };
}

/**
 * A Go slice over a backing array: deleting shifts elements left in place
 * (the vacated last slot keeps its stale value) and appending writes past
 * the length. Only what the original slice header can see matters, so
 * capacity is unbounded here.
 */
class BackingArray {
  private array: unknown[];
  private readonly originalLength: number;
  length: number;

  constructor(items: unknown[]) {
    this.array = [...items];
    this.originalLength = items.length;
    this.length = items.length;
  }

  slice(): unknown[] {
    return this.array.slice(0, this.length);
  }

  at(i: number): unknown {
    return this.array[i];
  }

  set(i: number, v: unknown): void {
    this.array[i] = v;
  }

  append(v: unknown): void {
    this.array[this.length++] = v;
  }

  /**
   * deleteMatchingEntries for each key in turn, as repeated
   * `append(s[:i], s[i+1:]...)`: each removal from length L leaves slot L-1
   * holding what was then the last element. Linear, not quadratic.
   */
  removeMatching(keys: readonly string[], mergeKey: string): void {
    const n = this.length;
    const byKey = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const k = mergeKeyOf(this.array[i], mergeKey);
      if (k === undefined) continue;
      const at = byKey.get(k);
      if (at) at.push(i);
      else byKey.set(k, [i]);
    }
    const removed = new Uint8Array(n);
    const stale = new Map<number, unknown>();
    let length = n;
    let last = n - 1;
    for (const key of keys) {
      const indexes = byKey.get(key);
      if (!indexes) continue;
      byKey.delete(key);
      for (const i of indexes) {
        stale.set(length - 1, this.array[last]);
        removed[i] = 1;
        length--;
        while (last >= 0 && removed[last]) last--;
      }
    }
    if (length === n) return;
    const next: unknown[] = [];
    for (let i = 0; i < n; i++) if (!removed[i]) next.push(this.array[i]);
    for (let pos = length; pos < n; pos++) next.push(stale.get(pos));
    for (let pos = n; pos < this.array.length; pos++) next.push(this.array[pos]);
    this.array = next;
    this.length = length;
  }

  /** The original slice header's view: original length over the shared array. */
  view(): unknown[] {
    return this.array.slice(0, this.originalLength);
  }
}

/** Applies `$patch: delete` and `$patch: replace` elements; returns the list to merge into and the plain patch elements. */
function mergeSliceWithSpecialElements(backing: BackingArray, patch: unknown[], mergeKey: string): { list: BackingArray; plain: unknown[] } {
  const plain: unknown[] = [];
  const deleteKeys: string[] = [];
  let replace = false;
  for (const v of patch) {
    const element = v as JsonObject;
    if (!Object.hasOwn(element, directiveMarker)) {
      plain.push(element);
      continue;
    }
    const directive = element[directiveMarker];
    if (directive === deleteDirective) {
      if (!Object.hasOwn(element, mergeKey)) throw badPatch(errNoMergeKey(element, mergeKey));
      deleteKeys.push(itemKey(element[mergeKey]));
    } else if (directive === replaceDirective) {
      // Keep scanning: other `$patch` elements are still dropped.
      replace = true;
    } else if (directive === mergeDirective) {
      throw badPatch('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatch(`unknown patch type: ${goString(directive)} in map: ${goString(element)}`);
    }
  }
  backing.removeMatching(deleteKeys, mergeKey);
  // A replaced list is a new slice: nothing more lands in the original's array.
  if (replace) return { list: new BackingArray(plain.map(cleanPatchValue)), plain: [] };
  return { list: backing, plain };
}

function mergeSliceWithoutSpecialElements(list: BackingArray, patch: unknown[], mergeKey: string, schema: PatchMeta): void {
  const index = firstIndexByKey(list.slice(), mergeKey);
  for (const v of patch) {
    const element = v as JsonObject;
    if (!Object.hasOwn(element, mergeKey)) throw badPatch(errNoMergeKey(element, mergeKey));
    const key = itemKey(element[mergeKey]);
    const at = index.get(key);
    if (at !== undefined) {
      list.set(at, mergeMap(list.at(at) as JsonObject, element, schema));
    } else {
      list.append(cleanPatchValue(element));
      index.set(key, list.length - 1);
    }
  }
}

function deleteFromSlice(current: unknown[], toDelete: unknown[]): unknown[] {
  const gone = new Set(toDelete.map(itemKey));
  return current.filter((v) => !gone.has(itemKey(v)));
}

function dedupe(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((v) => {
    const k = itemKey(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function partitionPrimitivesByPresentInList(items: unknown[], partitionBy: unknown[]): [unknown[], unknown[]] {
  const present = new Set(partitionBy.map(itemKey));
  const inList: unknown[] = [];
  const notInList: unknown[] = [];
  for (const v of items) (present.has(itemKey(v)) ? inList : notInList).push(v);
  return [inList, notInList];
}

function partitionMapsByPresentInList(items: unknown[], partitionBy: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const present = new Set<string>();
  partitionBy.forEach((v, i) => {
    if (!isJsonObject(v)) throw badPatch(`value for key ${i} is not a map`);
    const k = mergeKeyOf(v, mergeKey);
    if (k !== undefined) present.add(k);
  });
  const inList: unknown[] = [];
  const notInList: unknown[] = [];
  for (const v of items) {
    if (!isJsonObject(v)) throw badPatch(badArgType('map[string]interface {}', v));
    const k = mergeKeyOf(v, mergeKey);
    if (k === undefined) throw badPatch(errNoMergeKey(v, mergeKey));
    (present.has(k) ? inList : notInList).push(v);
  }
  return [inList, notInList];
}

// ---- ordering ------------------------------------------------------------

/**
 * Sorts `patch` by `patchOrder` and `serverOnly` by `serverOrder`, then
 * interleaves them, keeping each list's relative order (normalizeElementOrder).
 */
function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const sortedPatch = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const sortedServer = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(sortedServer, sortedPatch, serverOrder, mergeKey);
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map' && mergeKey !== '') {
    for (const list of [toSort, order]) {
      for (const item of list) {
        if (!isJsonObject(item)) throw badPatch(badArgType('map[string]interface {}', item));
        if (!Object.hasOwn(item, mergeKey)) throw badPatch(errNoMergeKey(item, mergeKey));
      }
    }
    [toSort, toDelete] = extractToDeleteItems(toSort);
  }
  const positions = firstIndexByKey(order, mergeKey);
  const indexes = toSort.map((item) => positions.get(keyFor(item, mergeKey) ?? '') ?? -1);
  let sorted: unknown[];
  if (indexes.every((i) => i >= 0)) {
    sorted = toSort
      .map((item, i) => ({ item, at: indexes[i]! }))
      .sort((a, b) => a.at - b.at)
      .map((e) => e.item);
  } else if (toSort.length <= 20) {
    sorted = goInsertionSort(toSort, indexes);
  } else {
    // Go's result here depends on its sort internals; keep the known ones in order, then the rest.
    sorted = [
      ...toSort.map((item, i) => ({ item, at: indexes[i]! })).filter((e) => e.at >= 0).sort((a, b) => a.at - b.at).map((e) => e.item),
      ...toSort.filter((_, i) => indexes[i]! < 0),
    ];
  }
  return [...sorted, ...toDelete];
}

/**
 * Go's sort.SliceStable, which is a plain insertion sort up to 20 elements,
 * with strategicpatch's comparator: "less" whenever either side is missing
 * from the order list. Only reached when some element is missing.
 */
function goInsertionSort(items: unknown[], indexes: number[]): unknown[] {
  const data = items.map((item, i) => ({ item, at: indexes[i]! }));
  const less = (a: { at: number }, b: { at: number }): boolean => (a.at >= 0 && b.at >= 0 ? a.at < b.at : true);
  for (let i = 1; i < data.length; i++) {
    for (let j = i; j > 0 && less(data[j]!, data[j - 1]!); j--) {
      const t = data[j]!;
      data[j] = data[j - 1]!;
      data[j - 1] = t;
    }
  }
  return data.map((d) => d.item);
}

/**
 * Inserts each `left` (server-only) item into `right` (patch items) before
 * the first right item that follows it in the live list; a right item the
 * live list does not know goes first.
 */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  const positions = firstIndexByKey(serverOrder, mergeKey);
  const position = (item: unknown): number => positions.get(keyFor(item, mergeKey) ?? '') ?? -1;
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      out.push(left[i++]);
    } else if (i >= left.length) {
      out.push(right[j++]);
    } else {
      const li = position(left[i]);
      const ri = position(right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function extractToDeleteItems(list: unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const toDelete: unknown[] = [];
  for (const v of list) {
    if (!isJsonObject(v)) throw badPatch(badArgType('map[string]interface {}', v));
    (getOwn(v, directiveMarker) === deleteDirective ? toDelete : keep).push(v);
  }
  return [keep, toDelete];
}

function containsDirectiveMarker(item: unknown): boolean {
  return isJsonObject(item) && Object.hasOwn(item, directiveMarker);
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return itemKey(left) === itemKey(right);
  if (!isJsonObject(left)) throw badPatch(badArgType('map[string]interface {}', left));
  if (!isJsonObject(right)) throw badPatch(badArgType('map[string]interface {}', right));
  if (!Object.hasOwn(left, mergeKey)) throw badPatch(errNoMergeKey(left, mergeKey));
  if (!Object.hasOwn(right, mergeKey)) throw badPatch(errNoMergeKey(right, mergeKey));
  return itemKey(left[mergeKey]) === itemKey(right[mergeKey]);
}

// ---- element identity ----------------------------------------------------

/**
 * A string equal for two JSON values exactly when Go's `==` on the decoded
 * values is true (for scalars); maps and lists compare structurally.
 */
function itemKey(v: unknown): string {
  switch (valueKind(v)) {
    case 'string':
      return `s${v as string}`;
    case 'number':
      return `n${String(v)}`;
    case 'boolean':
      return `b${String(v)}`;
    case 'null':
      return 'z';
    default:
      return `j${canonicalJson(v)}`;
  }
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isJsonObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The identity of a map element by its merge key, or undefined when it has none. */
function mergeKeyOf(item: unknown, mergeKey: string): string | undefined {
  return isJsonObject(item) && Object.hasOwn(item, mergeKey) ? itemKey(item[mergeKey]) : undefined;
}

/** Identity by merge key when there is one, by value otherwise (strategicpatch's index()). */
function keyFor(item: unknown, mergeKey: string): string | undefined {
  return mergeKey !== '' ? mergeKeyOf(item, mergeKey) : itemKey(item);
}

function firstIndexByKey(list: unknown[], mergeKey: string): Map<string, number> {
  const out = new Map<string, number>();
  list.forEach((item, i) => {
    const k = keyFor(item, mergeKey);
    if (k !== undefined && !out.has(k)) out.set(k, i);
  });
  return out;
}

// ---- values --------------------------------------------------------------

type ElementKind = 'map' | 'primitive' | 'null';
type ValueKind = 'map' | 'list' | 'string' | 'number' | 'boolean' | 'null';

function valueKind(v: unknown): ValueKind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  return 'boolean';
}

/**
 * sliceElementType: every element of every list must have one type, and no
 * element may be a list. `undefined` when the lists are empty.
 */
function sliceElementKind(...lists: unknown[][]): ElementKind | undefined {
  let prev: ValueKind | undefined;
  for (const list of lists) {
    for (const v of list) {
      const kind = valueKind(v);
      if (kind === 'list') throw new StatusError(422, 'Invalid', errNoListOfLists);
      if (prev === undefined) prev = kind;
      else if (prev !== kind) throw badPatch(`list element types are not identical: ${goString(lists)}`);
    }
  }
  if (prev === undefined) return undefined;
  return prev === 'map' ? 'map' : prev === 'null' ? 'null' : 'primitive';
}

function isDirectiveKey(key: string): boolean {
  return (
    key === directiveMarker ||
    key === retainKeysDirective ||
    key.startsWith(`${setElementOrderPrefix}/`) ||
    key.startsWith(`${deleteFromPrimitiveListPrefix}/`)
  );
}

const drop = Symbol('drop');

/**
 * A patch value that lands in the result without merging: nulls and
 * directives removed (discardNullValuesFromPatch + removeDirectives). List
 * elements carrying `$patch` are list directives and go; a map marked
 * `$patch: replace` is kept without the marker (removeDirectives drops it,
 * which is surely not what the sender meant), any other marked map goes.
 */
function cleanValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      if (containsDirectiveMarker(v)) continue;
      const c = cleanValue(v);
      if (c !== drop) out.push(c);
    }
    return out;
  }
  if (isJsonObject(value)) {
    if (Object.hasOwn(value, directiveMarker) && value[directiveMarker] !== replaceDirective) return drop;
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === null || v === undefined || isDirectiveKey(key)) continue;
      const c = cleanValue(v);
      if (c !== drop) setOwn(out, key, c);
    }
    return out;
  }
  return value;
}

function cleanPatchValue(value: unknown): unknown {
  const c = cleanValue(value);
  return c === drop ? {} : c;
}

function setCleaned(target: JsonObject, key: string, patchValue: unknown): void {
  const c = cleanValue(patchValue);
  if (c === drop) delete target[key];
  else setOwn(target, key, c);
}

// ---- Go-style error texts --------------------------------------------------

function errNoMergeKey(m: JsonObject, key: string): string {
  return `map: ${goString(m)} does not contain declared merge key: ${key}`;
}

function badArgType(expected: string, actual: unknown): string {
  return `expected a ${expected}, but received a ${goTypeName(actual)}`;
}

function goTypeName(v: unknown): string {
  switch (valueKind(v)) {
    case 'map':
      return 'map[string]interface {}';
    case 'list':
      return '[]interface {}';
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'null':
      return '<nil>';
  }
}

/** fmt's `%v` of a decoded JSON value: `map[a:1 b:[x y]]`. */
function goString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (isJsonObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goString(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}
