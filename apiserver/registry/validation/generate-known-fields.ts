/**
 * Writes known-fields.json: for every API type reachable from the kinds pier
 * serves, its JSON field names and their types, taken from the models of
 * @kubernetes/client-node (generated from Kubernetes' OpenAPI document). The
 * API server reads the JSON rather than the package, whose import costs it a
 * second of startup. Run `npm run generate:known-fields` after upgrading
 * @kubernetes/client-node; a test fails while the file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as models from '@kubernetes/client-node';
import { resources } from '../resources.ts';

interface Attribute {
  baseName: string;
  type: string;
}

/** The model type names a field type refers to: `V1Container`, `Array<V1Container>`, `{ [key: string]: V1Counter; }`. */
function referencedModel(type: string): string | undefined {
  const inner = /^Array<(.+)>$/.exec(type)?.[1] ?? /^\{ \[key: string\]: (.+); \}$/.exec(type)?.[1] ?? type;
  if (inner !== type) return referencedModel(inner);
  return /^[A-Z]\w*$/.test(type) && type !== 'IntOrString' && type !== 'Date' ? type : undefined;
}

/** type name → { JSON field name → field type }, for the given roots and every object type they reach. */
function knownFieldTables(roots: readonly string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (out[name]) continue;
    const model = (models as unknown as Record<string, { attributeTypeMap?: Attribute[] } | undefined>)[name];
    // Named scalars (V1MicroTime) have no model: their values are not objects to look into.
    if (!model?.attributeTypeMap) continue;
    const fields: Record<string, string> = {};
    for (const a of model.attributeTypeMap) {
      fields[a.baseName] = a.type;
      const ref = referencedModel(a.type);
      if (ref && !out[ref]) pending.push(ref);
    }
    out[name] = fields;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function knownFieldsJson(): string {
  const roots = [...new Set(resources.map((r) => r.model))];
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('@kubernetes/client-node')), 'utf8')) as { version: string };
  return `${JSON.stringify({ source: `@kubernetes/client-node ${pkg.version}`, types: knownFieldTables(roots) }, null, 1)}\n`;
}

if (import.meta.main) {
  const path = new URL('./known-fields.json', import.meta.url);
  writeFileSync(path, knownFieldsJson());
  process.stdout.write(`wrote ${path.pathname}\n`);
}
