/**
 * etcd key arithmetic for the storage layer: which watch cache a key belongs
 * to, and the `range_end` that turns a key into a prefix range.
 */

/**
 * The resource prefix a key or prefix belongs to: everything up to and
 * including the plural, `/registry/pods/default/web` → `/registry/pods/`.
 * One watch cache serves each resource prefix, as apiserver has one cacher per
 * resource; keys outside `/registry/` use their first segment.
 */
export function resourcePrefix(key: string): string {
  const parts = key.split('/');
  // ['', 'registry', 'pods', ...] or ['', 'other', ...]
  const depth = parts[1] === 'registry' ? 3 : 2;
  if (parts.length <= depth) return key.endsWith('/') ? key : `${key}/`;
  return `${parts.slice(0, depth).join('/')}/`;
}

/** The smallest key greater than every key starting with `prefix` (etcd's prefix range_end). */
export function prefixRangeEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff: the range runs to the end of the keyspace.
  return Buffer.from([0]);
}

/** Whether `key` is selected by a watch/list on `target`: a '/'-terminated prefix, or one exact key. */
export function keyMatches(target: string, key: string): boolean {
  return target.endsWith('/') ? key.startsWith(target) : key === target;
}
