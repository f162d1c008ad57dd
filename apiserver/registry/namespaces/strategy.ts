/**
 * Namespace rules (pkg/registry/core/namespace/strategy.go): Active with the
 * `kubernetes` finalizer on create; spec.finalizers change only through
 * /finalize; deletion marks it Terminating and waits for the finalizers.
 */
import type { FieldError } from '../../errors/status-error.ts';
import { arrayField, ensureObjectField, isObject, objectField, stringField } from '../kinds/unstructured.ts';
import { keepSpec, keepStatus } from '../kinds/update-carryover.ts';
import type { FieldSelectors, Strategy } from '../types.ts';
import { isQualifiedName } from '../validation/qualified-name.ts';

/** The finalizer the namespace controller removes once the namespace is empty. */
export const kubernetesFinalizer = 'kubernetes';
/** Label every namespace carries with its own name (SetDefaults_Namespace). */
export const metadataNameLabel = 'kubernetes.io/metadata.name';

const standardFinalizers: ReadonlySet<string> = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** ValidateFinalizerName for spec.finalizers. */
function validateSpecFinalizers(finalizers: unknown, path: string): FieldError[] {
  if (!Array.isArray(finalizers)) return [];
  const errs: FieldError[] = [];
  finalizers.forEach((f, i) => {
    if (typeof f !== 'string') return;
    for (const msg of isQualifiedName(f)) errs.push({ type: 'Invalid', path: `${path}[${i}]`, value: f, detail: msg });
    if (!f.includes('/') && !standardFinalizers.has(f)) {
      errs.push({ type: 'Invalid', path: `${path}[${i}]`, value: f, detail: 'name is neither a standard finalizer name nor is it fully qualified' });
    }
  });
  return errs;
}

export const namespaceStrategy: Strategy = {
  defaults(obj) {
    const name = obj.metadata.name;
    if (typeof name === 'string' && name !== '') {
      if (!isObject(obj.metadata.labels)) obj.metadata.labels = {};
      obj.metadata.labels[metadataNameLabel] = name;
    }
    const status = objectField(obj, 'status');
    if (status && !status['phase']) status['phase'] = 'Active';
  },
  prepareForCreate(obj) {
    obj['status'] = { phase: 'Active' };
    if (obj['spec'] === undefined || obj['spec'] === null) obj['spec'] = {};
    const spec = objectField(obj, 'spec');
    if (!spec) return;
    const finalizers = arrayField(spec, 'finalizers');
    if (!finalizers.includes(kubernetesFinalizer)) spec['finalizers'] = [...finalizers, kubernetesFinalizer];
  },
  prepareForUpdate(obj, old) {
    const spec = ensureObjectField(obj, 'spec');
    const oldSpec = objectField(old, 'spec');
    if (spec) {
      if (oldSpec?.['finalizers'] === undefined) delete spec['finalizers'];
      else spec['finalizers'] = structuredClone(oldSpec['finalizers']);
    }
    keepStatus(obj, old);
  },
  validate(obj) {
    return validateSpecFinalizers(objectField(obj, 'spec')?.['finalizers'], 'spec.finalizers');
  },
  finalizationPending(obj) {
    return arrayField(objectField(obj, 'spec'), 'finalizers').length > 0;
  },
  prepareForDelete(obj) {
    const status = ensureObjectField(obj, 'status');
    if (status) status['phase'] = 'Terminating';
  },
};

/** namespaces/status: spec stays; phase must agree with deletionTimestamp. */
export const namespaceStatusStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepSpec(obj, old);
  },
  validateUpdate(obj) {
    const phase = stringField(objectField(obj, 'status'), 'phase');
    if (!obj.metadata.deletionTimestamp) {
      if (phase && phase !== 'Active') {
        return [{ type: 'Invalid', path: 'status.phase', value: phase, detail: "may only be 'Active' if `deletionTimestamp` is empty" }];
      }
    } else if (phase && phase !== 'Terminating') {
      return [{ type: 'Invalid', path: 'status.phase', value: phase, detail: "may only be 'Terminating' if `deletionTimestamp` is not empty" }];
    }
    return [];
  },
};

/** namespace.NamespaceToSelectableFields. */
export const namespaceFieldSelectors: FieldSelectors = {
  'status.phase': (obj) => stringField(objectField(obj, 'status'), 'phase'),
};

