/**
 * Node rules (pkg/registry/core/node/strategy.go): the kubelet registers a
 * node with its status, so create keeps status; later main-resource writes
 * keep status and /status writes keep spec. podCIDR and providerID may only
 * go from unset to set.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { objectField } from '../kinds/unstructured.ts';
import { keepSpec, keepStatus } from '../kinds/update-carryover.ts';
import type { FieldSelectors, Strategy } from '../types.ts';
import { isQualifiedName, isValidLabelValue } from '../validation/qualified-name.ts';
import type { Node } from './schema.ts';

function specOf(obj: KubeObject): NonNullable<Node['spec']> {
  return (obj as unknown as Node).spec ?? {};
}

function validateNodeSpec(spec: NonNullable<Node['spec']>): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (spec.taints ?? []).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    for (const msg of isQualifiedName(t.key)) errs.push({ type: 'Invalid', path: `${p}.key`, value: t.key, detail: msg });
    if (t.value) for (const msg of isValidLabelValue(t.value)) errs.push({ type: 'Invalid', path: `${p}.value`, value: t.value, detail: msg });
    const id = `${t.key}\u0000${t.effect}`;
    if (seen.has(id)) errs.push({ type: 'Duplicate', path: p, value: t });
    seen.add(id);
  });
  return errs;
}

export const nodeStrategy: Strategy = {
  defaults(obj) {
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    const status = objectField(obj, 'status');
    const capacity = objectField(status, 'capacity');
    if (status && capacity && (status['allocatable'] === undefined || status['allocatable'] === null)) {
      status['allocatable'] = structuredClone(capacity);
    }
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
  },
  validate(obj) {
    return validateNodeSpec(specOf(obj));
  },
  validateUpdate(obj, old) {
    const spec = specOf(obj);
    const oldSpec = specOf(old);
    const errs: FieldError[] = [];
    if (oldSpec.podCIDR && spec.podCIDR !== oldSpec.podCIDR) {
      errs.push({ type: 'Forbidden', path: 'spec.podCIDR', detail: 'node updates may not change podCIDR except from "" to valid' });
    }
    if ((oldSpec.podCIDRs ?? []).length > 0 && !isDeepStrictEqual(spec.podCIDRs, oldSpec.podCIDRs)) {
      errs.push({ type: 'Forbidden', path: 'spec.podCIDRs', detail: 'node updates may not change podCIDR except from "" to valid' });
    }
    if (oldSpec.providerID && spec.providerID !== oldSpec.providerID) {
      errs.push({ type: 'Forbidden', path: 'spec.providerID', detail: 'node updates may not change providerID except from "" to valid' });
    }
    return errs;
  },
};

export const nodeStatusStrategy: Strategy = {
  defaults: nodeStrategy.defaults!,
  prepareForUpdate(obj, old) {
    keepSpec(obj, old);
  },
};

/** node.NodeToSelectableFields. */
export const nodeFieldSelectors: FieldSelectors = {
  'spec.unschedulable': (obj) => String(objectField(obj, 'spec')?.['unschedulable'] === true),
};

