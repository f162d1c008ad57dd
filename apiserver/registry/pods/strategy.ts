/**
 * Pod create/update rules (pkg/registry/core/pod/strategy.go): status is
 * Pending on create and written only through /status; the spec is immutable
 * except images, activeDeadlineSeconds and tolerations additions; deletion
 * is graceful once the pod is bound to a node.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import type { PodSpec } from '../kinds/pod-spec.ts';
import { podQOSClass } from '../kinds/pod-qos.ts';
import { defaultPod } from '../kinds/pod-spec-defaults.ts';
import { keepSpec, keepStatus } from '../kinds/update-carryover.ts';
import { isObject, objectField, stringField } from '../kinds/unstructured.ts';
import type { FieldSelectors, Strategy } from '../types.ts';
import { validatePodSpec } from '../validation/pod-spec.ts';
import type { Pod } from './schema.ts';

const podUpdateForbidden =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** The default grace period when neither the request nor the pod names one. */
export const defaultTerminationGracePeriodSeconds = 30;

function specOf(obj: KubeObject): PodSpec {
  return (obj as unknown as Pod).spec;
}

/** ValidatePodUpdate's spec rules. */
export function validatePodSpecUpdate(spec: PodSpec, old: PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (old.activeDeadlineSeconds !== undefined && old.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (v === undefined || v === null) {
      errs.push({ type: 'Invalid', path: 'spec.activeDeadlineSeconds', value: null, detail: 'must not update from a positive integer to nil value' });
    } else if (v > old.activeDeadlineSeconds) {
      errs.push({ type: 'Invalid', path: 'spec.activeDeadlineSeconds', value: v, detail: 'must be less than or equal to previous value' });
    }
  }
  const oldTolerations = old.tolerations ?? [];
  const newTolerations = spec.tolerations ?? [];
  const sameToleration = (a: object, b: object) => {
    const { tolerationSeconds: _a, ...ra } = a as Record<string, unknown>;
    const { tolerationSeconds: _b, ...rb } = b as Record<string, unknown>;
    return isDeepStrictEqual(ra, rb);
  };
  if (!oldTolerations.every((t) => newTolerations.some((n) => sameToleration(t, n)))) {
    errs.push({ type: 'Forbidden', path: 'spec.tolerations', detail: 'existing toleration can not be modified except its tolerationSeconds' });
  }
  // Everything else must be unchanged: compare with the mutable fields copied over.
  const mutable = structuredClone(old) as Record<string, unknown> & PodSpec;
  const copyImages = (field: 'containers' | 'initContainers') => {
    const target = mutable[field] ?? [];
    const source = spec[field] ?? [];
    if (target.length !== source.length) return;
    target.forEach((c, i) => {
      c.image = source[i]!.image;
    });
  };
  copyImages('containers');
  copyImages('initContainers');
  mutable.activeDeadlineSeconds = spec.activeDeadlineSeconds;
  mutable.tolerations = spec.tolerations;
  if ((old.terminationGracePeriodSeconds ?? 0) < 0 && spec.terminationGracePeriodSeconds === 1) {
    mutable.terminationGracePeriodSeconds = 1;
  }
  // Scheduling gates may only be removed.
  const oldGates = (old.schedulingGates ?? []).map((g) => g.name);
  const newGates = (spec.schedulingGates ?? []).map((g) => g.name);
  if (newGates.every((g) => oldGates.includes(g))) mutable.schedulingGates = spec.schedulingGates;
  const normalize = (s: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined && v !== null));
  if (!isDeepStrictEqual(normalize(mutable), normalize(spec as Record<string, unknown>))) {
    errs.push({ type: 'Forbidden', path: 'spec', detail: podUpdateForbidden });
  }
  return errs;
}

export const podStrategy: Strategy = {
  defaults(obj) {
    // An absent spec is reported as `spec.containers: Required value`, as Kubernetes does.
    if (obj['spec'] === undefined || obj['spec'] === null) obj['spec'] = {};
    defaultPod(obj);
  },
  prepareForCreate(obj) {
    obj['status'] = { phase: 'Pending', qosClass: podQOSClass(objectField(obj, 'spec')) };
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
  },
  validate(obj) {
    return validatePodSpec(specOf(obj), 'spec');
  },
  validateUpdate(obj, old) {
    return validatePodSpecUpdate(specOf(obj), specOf(old));
  },
  gracePeriodSeconds(obj, requested) {
    // CheckGracefulDelete: unbound or finished pods go at once; negative periods become 1.
    const spec = objectField(obj, 'spec');
    let period = requested ?? (typeof spec?.['terminationGracePeriodSeconds'] === 'number' ? spec['terminationGracePeriodSeconds'] : 0);
    if (!stringField(spec, 'nodeName')) period = 0;
    const phase = stringField(objectField(obj, 'status'), 'phase');
    if (phase === 'Succeeded' || phase === 'Failed') period = 0;
    if (period < 0) period = 1;
    return period;
  },
};

/** pods/status: the spec stays; the kubelet may not rewrite ownerReferences. */
export const podStatusStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepSpec(obj, old);
    if (old.metadata.ownerReferences === undefined) delete obj.metadata.ownerReferences;
    else obj.metadata.ownerReferences = structuredClone(old.metadata.ownerReferences);
  },
};

function podIP(obj: KubeObject): string | undefined {
  const status = objectField(obj, 'status');
  const ips = status?.['podIPs'];
  if (Array.isArray(ips) && isObject(ips[0])) return stringField(ips[0], 'ip');
  return stringField(status, 'podIP');
}

/** pod.ToSelectableFields. */
export const podFieldSelectors: FieldSelectors = {
  'spec.nodeName': (obj) => stringField(objectField(obj, 'spec'), 'nodeName'),
  'spec.restartPolicy': (obj) => stringField(objectField(obj, 'spec'), 'restartPolicy'),
  'spec.schedulerName': (obj) => stringField(objectField(obj, 'spec'), 'schedulerName'),
  'spec.serviceAccountName': (obj) => stringField(objectField(obj, 'spec'), 'serviceAccountName'),
  'spec.hostNetwork': (obj) => String(objectField(obj, 'spec')?.['hostNetwork'] === true),
  'status.phase': (obj) => stringField(objectField(obj, 'status'), 'phase'),
  'status.podIP': podIP,
  'status.nominatedNodeName': (obj) => stringField(objectField(obj, 'status'), 'nominatedNodeName'),
};
