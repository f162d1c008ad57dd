/**
 * ControllerRevision rules (pkg/registry/apps/controllerrevision/strategy.go,
 * ValidateControllerRevision/ValidateControllerRevisionUpdate): `data` is
 * required and never changes; there is no status and no generation.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FieldError } from '../../errors/status-error.ts';
import { setDefault } from '../kinds/unstructured.ts';
import type { Strategy } from '../types.ts';
import { immutableFieldError } from '../validation/object-meta.ts';

export const controllerRevisionStrategy: Strategy = {
  defaults(obj) {
    // `revision` has no omitempty: Go reads an absent one as 0 and writes it back.
    setDefault(obj, 'revision', 0);
  },
  validate(obj) {
    const errs: FieldError[] = [];
    if (obj['data'] === undefined || obj['data'] === null) errs.push({ type: 'Required', path: 'data', detail: 'data is mandatory' });
    return errs;
  },
  validateUpdate(obj, old) {
    return isDeepStrictEqual(obj['data'], old['data']) ? [] : [immutableFieldError('data', obj['data'])];
  },
};
