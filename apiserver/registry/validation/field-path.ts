/**
 * Field paths as apimachinery's field.Path prints them: `spec.containers[0].image`,
 * map entries as `data[key]`.
 */

/**
 * Map-valued fields whose children are keys, not fields: their entries print as
 * `labels[app]` (field.Path.Key) rather than `labels.app`.
 */
const mapFields: ReadonlySet<string> = new Set([
  'labels',
  'annotations',
  'data',
  'binaryData',
  'stringData',
  'nodeSelector',
  'matchLabels',
  'limits',
  'requests',
  'capacity',
  'allocatable',
  'overhead',
]);

export function formatFieldPath(segments: readonly PropertyKey[]): string {
  let out = '';
  let previous: PropertyKey | undefined;
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof previous === 'string' && mapFields.has(previous) && out !== '') out += `[${String(seg)}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
    previous = seg;
  }
  return out;
}

/** The value found at `segments` inside `root`, or undefined. */
export function valueAtPath(root: unknown, segments: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of segments) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    if (!Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}
