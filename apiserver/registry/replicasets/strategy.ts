/**
 * ReplicaSet rules (pkg/registry/apps/replicaset/strategy.go): like
 * Deployments, generation moves only with the spec; the selector is
 * immutable; /status keeps spec and labels.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import { defaultPodTemplate } from '../kinds/pod-spec-defaults.ts';
import { isObject, numberField, objectField, setDefault } from '../kinds/unstructured.ts';
import { bumpGeneration, keepSpecAndLabels, keepStatus } from '../kinds/update-carryover.ts';
import type { FieldSelectors, Strategy } from '../types.ts';
import { immutableFieldError } from '../validation/object-meta.ts';
import { validateReplicatedTemplate } from '../validation/pod-template.ts';
import type { ReplicaSet } from './schema.ts';

function specOf(obj: KubeObject): ReplicaSet['spec'] {
  return (obj as unknown as ReplicaSet).spec;
}

export const replicaSetStrategy: Strategy = {
  defaults(obj) {
    const spec = objectField(obj, 'spec');
    if (!spec) return;
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec);
  },
  prepareForCreate(obj) {
    obj['status'] = { replicas: 0 };
    obj.metadata.generation = 1;
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    bumpGeneration(obj, old, !isDeepStrictEqual(obj['spec'], old['spec']));
  },
  validate(obj) {
    const spec = specOf(obj);
    return validateReplicatedTemplate(spec.selector, spec.template, 'spec');
  },
  validateUpdate(obj, old) {
    const selector = specOf(obj).selector;
    const oldSelector = specOf(old).selector;
    if (isObject(oldSelector) && !isDeepStrictEqual(selector, oldSelector)) return [immutableFieldError('spec.selector', selector)];
    return [];
  },
};

export const replicaSetStatusStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepSpecAndLabels(obj, old);
  },
};

/** replicaset.ReplicaSetToSelectableFields. */
export const replicaSetFieldSelectors: FieldSelectors = {
  'status.replicas': (obj) => String(numberField(objectField(obj, 'status'), 'replicas') ?? 0),
};
