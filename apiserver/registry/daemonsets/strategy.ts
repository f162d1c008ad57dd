/**
 * DaemonSet rules (pkg/registry/apps/daemonset/strategy.go, SetDefaults_DaemonSet,
 * ValidateDaemonSet/ValidateDaemonSetUpdate).
 *
 * The internal `spec.templateGeneration` travels in apps/v1 as the
 * `deprecated.daemonset.template.generation` annotation: 1 on create, +1 on
 * every template change, and never the client's to set.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { isEmptyLabelSelector, labelSelectorMatches } from '../kinds/label-selector.ts';
import { defaultPodTemplate } from '../kinds/pod-spec-defaults.ts';
import { bumpGeneration, keepSpecAndLabels, keepStatus } from '../kinds/update-carryover.ts';
import { ensureObjectField, isObject, objectField, setDefault } from '../kinds/unstructured.ts';
import type { Strategy } from '../types.ts';
import { validateLabelSelector } from '../validation/label-selector.ts';
import { immutableFieldError } from '../validation/object-meta.ts';
import { validatePodTemplateSpec } from '../validation/pod-template.ts';
import { supportedValues } from '../validation/zod-issues.ts';
import type { DaemonSet, DaemonSetSpec } from './schema.ts';

/** apps/v1 DeprecatedTemplateGeneration. */
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

function specOf(obj: KubeObject): DaemonSetSpec {
  return (obj as unknown as DaemonSet).spec;
}

/** SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1, maxSurge 0; 10 revisions kept. */
export function defaultDaemonSet(obj: KubeObject): void {
  const spec = objectField(obj, 'spec');
  if (!spec) return;
  const strategy = ensureObjectField(spec, 'updateStrategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy['type'] === 'RollingUpdate') {
      const rollingUpdate = ensureObjectField(strategy, 'rollingUpdate');
      if (rollingUpdate) {
        setDefault(rollingUpdate, 'maxUnavailable', 1);
        setDefault(rollingUpdate, 'maxSurge', 0);
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec);
}

const percentPattern = /^[0-9]+%$/;

/** getIntOrPercentValue: the number, or the percent as a number; 0 for an unparseable string. */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && percentPattern.test(v)) return Number.parseInt(v, 10);
  return 0;
}

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent. */
function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'number') return v < 0 ? [{ type: 'Invalid', path, value: v, detail: 'must be greater than or equal to 0' }] : [];
  if (typeof v === 'string') {
    if (!percentPattern.test(v)) return [{ type: 'Invalid', path, value: v, detail: "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')" }];
    if (Number.parseInt(v, 10) > 100) return [{ type: 'Invalid', path, value: v, detail: 'must not be greater than 100%' }];
  }
  return [];
}

/** ValidateDaemonSetUpdateStrategy and ValidateRollingUpdateDaemonSet. */
function validateUpdateStrategy(strategy: DaemonSetSpec['updateStrategy'], path: string): FieldError[] {
  const type = strategy?.type ?? '';
  if (type === 'OnDelete') return [];
  if (type !== 'RollingUpdate') return [{ type: 'NotSupported', path, value: strategy ?? {}, detail: supportedValues(['RollingUpdate', 'OnDelete']) }];
  const ru = strategy?.rollingUpdate;
  if (!ru) return [{ type: 'Required', path: `${path}.rollingUpdate` }];
  const p = `${path}.rollingUpdate`;
  const errs = [...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`), ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`)];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push({ type: 'Invalid', path: `${p}.maxSurge`, value: ru.maxSurge, detail: 'may not be set when maxUnavailable is non-zero' });
  else if (!hasUnavailable && !hasSurge) errs.push({ type: 'Required', path: `${p}.maxUnavailable`, detail: 'cannot be 0 when maxSurge is 0' });
  return errs;
}

/** ValidateDaemonSetSpec. */
export function validateDaemonSetSpec(spec: DaemonSetSpec, path = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  const selector = spec.selector;
  const tpl = `${path}.template`;
  if (!selector) errs.push({ type: 'Required', path: `${path}.selector` });
  else {
    errs.push(...validateLabelSelector(selector, `${path}.selector`));
    if (isEmptyLabelSelector(selector)) {
      errs.push({ type: 'Invalid', path: `${path}.selector`, value: selector, detail: 'empty selector is invalid for daemonset' });
    } else if (!labelSelectorMatches(selector, spec.template.metadata?.labels)) {
      errs.push({ type: 'Invalid', path: `${tpl}.metadata.labels`, value: spec.template.metadata?.labels ?? {}, detail: '`selector` does not match template `labels`' });
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, tpl));
  const restartPolicy = spec.template.spec.restartPolicy ?? '';
  if (restartPolicy !== 'Always') {
    errs.push({ type: 'NotSupported', path: `${tpl}.spec.restartPolicy`, value: restartPolicy, detail: supportedValues(['Always']) });
  }
  const deadline = spec.template.spec.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    errs.push({ type: 'Invalid', path: `${tpl}.spec.activeDeadlineSeconds`, value: deadline, detail: 'activeDeadlineSeconds must be nil for daemon sets' });
  }
  errs.push(...validateUpdateStrategy(spec.updateStrategy, `${path}.updateStrategy`));
  return errs;
}

function templateGeneration(obj: KubeObject): number {
  const n = Number.parseInt(obj.metadata.annotations?.[templateGenerationAnnotation] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

function setTemplateGeneration(obj: KubeObject, generation: number): void {
  obj.metadata.annotations = { ...obj.metadata.annotations, [templateGenerationAnnotation]: String(generation) };
}

export const daemonSetStrategy: Strategy = {
  defaults: defaultDaemonSet,
  prepareForCreate(obj) {
    obj['status'] = {};
    obj.metadata.generation = 1;
    setTemplateGeneration(obj, 1);
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    const templateChanged = !isDeepStrictEqual(objectField(obj['spec'], 'template'), objectField(old['spec'], 'template'));
    setTemplateGeneration(obj, templateGeneration(old) + (templateChanged ? 1 : 0));
    bumpGeneration(obj, old, !isDeepStrictEqual(obj['spec'], old['spec']));
  },
  validate(obj) {
    return validateDaemonSetSpec(specOf(obj));
  },
  validateUpdate(obj, old) {
    const selector = specOf(obj).selector;
    const oldSelector = specOf(old).selector;
    if (isObject(oldSelector) && !isDeepStrictEqual(selector, oldSelector)) return [immutableFieldError('spec.selector', selector ?? null)];
    return [];
  },
};

/** The DaemonSet /status endpoint: spec and labels stay as stored. */
export const daemonSetStatusStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepSpecAndLabels(obj, old);
  },
};
