/**
 * apimachinery's ValidateObjectMeta / ValidateObjectMetaUpdate and the
 * label, annotation, finalizer and ownerReference rules under them, with
 * Kubernetes' messages. Tolerates wrong types (the zod schema reports those).
 */
import type { ObjectMeta } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain } from './dns.ts';
import { isQualifiedName, isValidLabelValue } from './qualified-name.ts';

/** ValidateNameFunc: `prefix` is true for generateName, whose trailing dash is allowed. */
export type NameValidator = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** TotalAnnotationSizeLimitB. */
export const totalAnnotationSizeLimit = 256 * 1024;

function isStringMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ValidateLabels: qualified-name keys, label-syntax values, errors reported on the map's path. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (!isStringMap(labels)) return [];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push({ type: 'Invalid', path, value: k, detail: msg });
    if (typeof v !== 'string') continue;
    for (const msg of isValidLabelValue(v)) errs.push({ type: 'Invalid', path, value: v, detail: msg });
  }
  return errs;
}

/** ValidateAnnotations: case-insensitive qualified-name keys, 256 KiB in total. */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (!isStringMap(annotations)) return [];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push({ type: 'Invalid', path, value: k, detail: msg });
    size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  }
  if (size > totalAnnotationSizeLimit) errs.push({ type: 'TooLong', path, detail: `may not be more than ${totalAnnotationSizeLimit} bytes` });
  return errs;
}

/** ValidateFinalizers: qualified names; `orphan` and `foregroundDeletion` exclude each other. */
export function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  if (!Array.isArray(finalizers)) return [];
  const errs: FieldError[] = [];
  for (const f of finalizers) {
    if (typeof f !== 'string') continue;
    for (const msg of isQualifiedName(f)) errs.push({ type: 'Invalid', path, value: f, detail: msg });
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push({ type: 'Invalid', path, value: finalizers, detail: 'finalizer orphan and foregroundDeletion cannot be both set' });
  }
  return errs;
}

/** ValidateOwnerReferences: all four identifying fields set, at most one controller. */
export function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  if (!Array.isArray(refs)) return [];
  const errs: FieldError[] = [];
  let controllers = 0;
  for (const ref of refs) {
    if (!isStringMap(ref)) continue;
    if (!ref['apiVersion']) errs.push({ type: 'Invalid', path: `${path}.apiVersion`, value: ref['apiVersion'] ?? '', detail: 'version must not be empty' });
    if (!ref['kind']) errs.push({ type: 'Invalid', path: `${path}.kind`, value: ref['kind'] ?? '', detail: 'kind must not be empty' });
    if (!ref['name']) errs.push({ type: 'Invalid', path: `${path}.name`, value: ref['name'] ?? '', detail: 'name must not be empty' });
    if (!ref['uid']) errs.push({ type: 'Invalid', path: `${path}.uid`, value: ref['uid'] ?? '', detail: 'uid must not be empty' });
    if (ref['controller'] === true) controllers++;
  }
  if (controllers > 1) {
    errs.push({ type: 'Invalid', path, value: refs, detail: 'Only one reference can have Controller set to true.' });
  }
  return errs;
}

/**
 * ValidateObjectMeta. `requiresNamespace` is the kind's scope; `nameFn` its
 * name rule (most kinds: DNS-1123 subdomain).
 */
export function validateObjectMeta(meta: ObjectMeta, requiresNamespace: boolean, nameFn: NameValidator, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const generateName = meta.generateName;
  if (typeof generateName === 'string' && generateName !== '') {
    for (const msg of nameFn(generateName, true)) errs.push({ type: 'Invalid', path: `${path}.generateName`, value: generateName, detail: msg });
  }
  const name = meta.name;
  if (name === undefined || name === null || name === '') {
    errs.push({ type: 'Required', path: `${path}.name`, detail: 'name or generateName is required' });
  } else if (typeof name === 'string') {
    for (const msg of nameFn(name, false)) errs.push({ type: 'Invalid', path: `${path}.name`, value: name, detail: msg });
  }
  const namespace = meta.namespace;
  if (requiresNamespace) {
    if (namespace === undefined || namespace === null || namespace === '') {
      errs.push({ type: 'Required', path: `${path}.namespace` });
    } else if (typeof namespace === 'string') {
      for (const msg of isDNS1123Label(namespace)) errs.push({ type: 'Invalid', path: `${path}.namespace`, value: namespace, detail: msg });
    }
  } else if (typeof namespace === 'string' && namespace !== '') {
    errs.push({ type: 'Forbidden', path: `${path}.namespace`, detail: 'not allowed on this type' });
  }
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    errs.push({ type: 'Invalid', path: `${path}.generation`, value: meta.generation, detail: 'must be greater than or equal to 0' });
  }
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(meta.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(meta.finalizers, `${path}.finalizers`));
  return errs;
}

/** ValidateImmutableField. */
export function immutableFieldError(path: string, value: unknown): FieldError {
  return { type: 'Invalid', path, value, detail: 'field is immutable' };
}

/** ValidateObjectMetaUpdate: name and namespace never change. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  if ((meta.name ?? '') !== (old.name ?? '')) errs.push(immutableFieldError(`${path}.name`, meta.name ?? ''));
  if ((meta.namespace ?? '') !== (old.namespace ?? '')) errs.push(immutableFieldError(`${path}.namespace`, meta.namespace ?? ''));
  return errs;
}
