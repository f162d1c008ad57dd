/**
 * Deployment rules (pkg/registry/apps/deployment/strategy.go): status cleared
 * on create and kept on update; generation 1 on create, bumped when the spec
 * or the annotations change (annotations are copied to ReplicaSets); the
 * selector is immutable in apps/v1.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { defaultPodTemplate } from '../kinds/pod-spec-defaults.ts';
import { bumpGeneration, keepSpecAndLabels, keepStatus } from '../kinds/update-carryover.ts';
import { type JsonObject, ensureObjectField, isObject, objectField, setDefault } from '../kinds/unstructured.ts';
import type { Strategy } from '../types.ts';
import { immutableFieldError } from '../validation/object-meta.ts';
import { validateReplicatedTemplate } from '../validation/pod-template.ts';
import type { Deployment } from './schema.ts';

function defaultRollingUpdate(strategy: JsonObject): void {
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] !== 'RollingUpdate') return;
  const rollingUpdate = ensureObjectField(strategy, 'rollingUpdate');
  if (!rollingUpdate) return;
  setDefault(rollingUpdate, 'maxUnavailable', '25%');
  setDefault(rollingUpdate, 'maxSurge', '25%');
}

/** intstr value as a fraction-of-replicas check input: is it zero? */
function isZeroIntOrPercent(v: unknown): boolean {
  return v === 0 || v === '0%' || v === '0';
}

const percentPattern = /^[0-9]+%$/;

function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'number') return v < 0 ? [{ type: 'Invalid', path, value: v, detail: 'must be greater than or equal to 0' }] : [];
  if (typeof v === 'string') {
    if (!percentPattern.test(v)) return [{ type: 'Invalid', path, value: v, detail: "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')" }];
    if (Number.parseInt(v, 10) > 100) return [{ type: 'Invalid', path, value: v, detail: 'must not be greater than 100%' }];
  }
  return [];
}

export function validateDeploymentSpec(spec: Deployment['spec'], path = 'spec'): FieldError[] {
  const errs = validateReplicatedTemplate(spec.selector, spec.template, path);
  const strategy = spec.strategy;
  if (strategy) {
    if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
      errs.push({ type: 'Forbidden', path: `${path}.strategy.rollingUpdate`, detail: "may not be specified when strategy `type` is 'Recreate'" });
    }
    const ru = strategy.rollingUpdate;
    if (strategy.type !== 'Recreate' && ru) {
      errs.push(...validateIntOrPercent(ru.maxUnavailable, `${path}.strategy.rollingUpdate.maxUnavailable`));
      errs.push(...validateIntOrPercent(ru.maxSurge, `${path}.strategy.rollingUpdate.maxSurge`));
      if (isZeroIntOrPercent(ru.maxUnavailable) && isZeroIntOrPercent(ru.maxSurge)) {
        errs.push({ type: 'Invalid', path: `${path}.strategy.rollingUpdate.maxUnavailable`, value: ru.maxUnavailable, detail: 'may not be 0 when `maxSurge` is 0' });
      }
    }
  }
  const deadline = spec.progressDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    if (deadline < 0) {
      errs.push({ type: 'Invalid', path: `${path}.progressDeadlineSeconds`, value: deadline, detail: 'must be greater than or equal to 0' });
    } else if (deadline <= (spec.minReadySeconds ?? 0)) {
      errs.push({ type: 'Invalid', path: `${path}.progressDeadlineSeconds`, value: deadline, detail: 'must be greater than minReadySeconds' });
    }
  }
  return errs;
}

function specOf(obj: KubeObject): Deployment['spec'] {
  return (obj as unknown as Deployment).spec;
}

export const deploymentStrategy: Strategy = {
  defaults(obj) {
    const spec = objectField(obj, 'spec');
    if (!spec) return;
    setDefault(spec, 'replicas', 1);
    const strategy = ensureObjectField(spec, 'strategy');
    if (strategy) defaultRollingUpdate(strategy);
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    defaultPodTemplate(spec);
  },
  prepareForCreate(obj) {
    obj['status'] = {};
    obj.metadata.generation = 1;
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    const changed = !isDeepStrictEqual(obj['spec'], old['spec']) || !isDeepStrictEqual(obj.metadata.annotations ?? {}, old.metadata.annotations ?? {});
    bumpGeneration(obj, old, changed);
  },
  validate(obj) {
    return validateDeploymentSpec(specOf(obj));
  },
  validateUpdate(obj, old) {
    const selector = specOf(obj).selector;
    const oldSelector = specOf(old).selector;
    if (isObject(oldSelector) && !isDeepStrictEqual(selector, oldSelector)) return [immutableFieldError('spec.selector', selector)];
    return [];
  },
};

export const deploymentStatusStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepSpecAndLabels(obj, old);
  },
};
