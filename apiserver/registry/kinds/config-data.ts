/**
 * Rules shared by ConfigMap and Secret payloads: config-key syntax, the 1 MiB
 * total, and the `immutable: true` lock.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { isConfigMapKey } from '../validation/dns.ts';
import { isDeepStrictEqual } from 'node:util';

/** core.MaxSecretSize (also the ConfigMap limit). */
export const maxConfigDataSize = 1024 * 1024;

export function validateConfigKeys(data: Readonly<Record<string, unknown>> | null | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(data ?? {})) {
    for (const msg of isConfigMapKey(key)) errs.push({ type: 'Invalid', path: `${field}[${key}]`, value: key, detail: msg });
  }
  return errs;
}

/** Both ConfigMap and Secret refuse data changes once `immutable` was true. */
export function validateImmutableData(obj: KubeObject, old: KubeObject, fields: readonly string[]): FieldError[] {
  if (old['immutable'] !== true) return [];
  const errs: FieldError[] = [];
  if (obj['immutable'] !== true) errs.push({ type: 'Forbidden', path: 'immutable', detail: 'field is immutable when `immutable` is set' });
  for (const f of fields) {
    if (!isDeepStrictEqual(obj[f] ?? {}, old[f] ?? {})) errs.push({ type: 'Forbidden', path: f, detail: 'field is immutable when `immutable` is set' });
  }
  return errs;
}
