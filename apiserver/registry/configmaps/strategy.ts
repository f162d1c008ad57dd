/** ConfigMap rules (ValidateConfigMap / ValidateConfigMapUpdate). */
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { maxConfigDataSize, validateConfigKeys, validateImmutableData } from '../kinds/config-data.ts';
import type { Strategy } from '../types.ts';
import type { ConfigMap } from './schema.ts';

export const configMapStrategy: Strategy = {
  validate(obj: KubeObject) {
    const cm = obj as unknown as ConfigMap;
    const errs: FieldError[] = [...validateConfigKeys(cm.data, 'data'), ...validateConfigKeys(cm.binaryData, 'binaryData')];
    let size = 0;
    for (const [k, v] of Object.entries(cm.data ?? {})) size += k.length + v.length;
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
      size += k.length + Math.floor((v.length * 3) / 4);
      if (cm.data && Object.hasOwn(cm.data, k)) {
        errs.push({ type: 'Invalid', path: `binaryData[${k}]`, value: k, detail: 'duplicate of key present in data' });
      }
    }
    if (size > maxConfigDataSize) errs.push({ type: 'TooLong', path: '', detail: `may not be more than ${maxConfigDataSize} bytes` });
    return errs;
  },
  validateUpdate(obj, old) {
    return validateImmutableData(obj, old, ['data', 'binaryData']);
  },
};
