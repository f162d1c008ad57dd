/**
 * Generic object validation for every kind in the resource table, in the
 * order the apiserver runs it: (1) the kind's zod schema (types, required
 * fields, enums), (2) ObjectMeta rules, (3) the strategy's semantic checks,
 * (4) on update, metadata and strategy immutability checks. (3) and (4) run
 * only when the schema passed, so strategies may trust the object's shape.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import type { ResourceDefinition, Strategy } from '../types.ts';
import { type NameValidator, nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.ts';
import { zodIssuesToFieldErrors } from './zod-issues.ts';

/** Name rules that differ from the DNS-1123 subdomain default (ValidateNamespaceName, ValidateServiceName). */
const nameRules: Readonly<Record<string, NameValidator>> = {
  Namespace: nameIsDNSLabel,
  Service: nameIsDNS1035Label,
};

export function nameValidatorFor(kind: string): NameValidator {
  return nameRules[kind] ?? nameIsDNSSubdomain;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Appends `more` except errors on a path already reported. */
function merge(into: FieldError[], more: readonly FieldError[]): void {
  const seen = new Set(into.map((e) => `${e.type}\u0000${e.path}`));
  const typed = new Set(into.filter((e) => e.type === 'TypeInvalid' || e.type === 'Required').map((e) => e.path));
  for (const e of more) {
    if (typed.has(e.path) || seen.has(`${e.type}\u0000${e.path}`)) continue;
    into.push(e);
  }
}

/**
 * All field errors of `obj` (empty when valid). `old` is the stored object on
 * update. `strategy` selects whose semantic checks run (default: the main
 * resource's; pass `def.statusStrategy` for /status writes).
 */
export function validateObject(def: ResourceDefinition, obj: KubeObject, old?: KubeObject, strategy: Strategy = def.strategy): FieldError[] {
  const errs: FieldError[] = [];
  const parsed = def.schema.safeParse(obj);
  if (!parsed.success) errs.push(...zodIssuesToFieldErrors(parsed.error.issues, obj));
  if (isPlainObject(obj.metadata)) {
    merge(errs, validateObjectMeta(obj.metadata, def.namespaced, nameValidatorFor(def.kind)));
  }
  if (!parsed.success) return errs;
  merge(errs, strategy.validate?.(obj) ?? []);
  if (old) {
    merge(errs, validateObjectMetaUpdate(obj.metadata, old.metadata));
    merge(errs, strategy.validateUpdate?.(obj, old) ?? []);
  }
  return errs;
}
