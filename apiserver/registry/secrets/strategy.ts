/**
 * Secret rules (ValidateSecret / ValidateSecretUpdate): `stringData` is
 * folded into base64 `data` on write (as the v1 conversion does), `type`
 * defaults to Opaque and never changes, typed secrets carry their keys.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { maxConfigDataSize, validateConfigKeys, validateImmutableData } from '../kinds/config-data.ts';
import { ensureObjectField, isObject, setDefault, stringField } from '../kinds/unstructured.ts';
import type { FieldSelectors, Strategy } from '../types.ts';
import { immutableFieldError } from '../validation/object-meta.ts';
import type { Secret } from './schema.ts';

/** Keys each well-known secret type requires. */
const requiredKeys: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export const secretStrategy: Strategy = {
  defaults(obj) {
    setDefault(obj, 'type', 'Opaque');
    const stringData = obj['stringData'];
    if (!isObject(stringData)) return;
    const data = ensureObjectField(obj, 'data');
    if (!data) return;
    for (const [k, v] of Object.entries(stringData)) {
      if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    }
    delete obj['stringData'];
  },
  validate(obj: KubeObject) {
    const secret = obj as unknown as Secret;
    const errs: FieldError[] = validateConfigKeys(secret.data, 'data');
    let size = 0;
    for (const [k, v] of Object.entries(secret.data ?? {})) size += k.length + Math.floor((v.length * 3) / 4);
    if (size > maxConfigDataSize) errs.push({ type: 'TooLong', path: 'data', detail: `may not be more than ${maxConfigDataSize} bytes` });
    const type = secret.type ?? 'Opaque';
    for (const key of requiredKeys[type] ?? []) {
      if (!secret.data || !Object.hasOwn(secret.data, key)) errs.push({ type: 'Required', path: `data[${key}]` });
    }
    if (type === 'kubernetes.io/service-account-token' && !secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
      errs.push({ type: 'Required', path: 'metadata.annotations[kubernetes.io/service-account.name]' });
    }
    if (type === 'kubernetes.io/basic-auth' && !secret.data?.['username'] && !secret.data?.['password']) {
      errs.push({ type: 'Required', path: 'data[username]' });
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const errs = validateImmutableData(obj, old, ['data']);
    if ((obj['type'] ?? 'Opaque') !== (old['type'] ?? 'Opaque')) errs.push(immutableFieldError('type', obj['type']));
    return errs;
  },
};

/** secret.SelectableFields. */
export const secretFieldSelectors: FieldSelectors = {
  type: (obj) => stringField(obj, 'type'),
};
