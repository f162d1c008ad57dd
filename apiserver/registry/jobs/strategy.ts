/**
 * Job rules (pkg/registry/batch/job/strategy.go, pkg/apis/batch/v1/defaults.go
 * SetDefaults_Job, pkg/apis/batch/validation ValidateJob/ValidateJobUpdate).
 *
 * Unless `manualSelector` is true the API server owns the selector: on create
 * it stamps the template with the job's name and UID under both the legacy
 * and the `batch.kubernetes.io/` keys and selects on the UID, so a Job's pods
 * can never be adopted by another Job of the same name.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { labelSelectorMatches } from '../kinds/label-selector.ts';
import { defaultPodTemplate } from '../kinds/pod-spec-defaults.ts';
import { bumpGeneration, keepSpec, keepStatus } from '../kinds/update-carryover.ts';
import { type JsonObject, ensureObjectField, isObject, isUnset, numberField, objectField, objectItems, setDefault } from '../kinds/unstructured.ts';
import type { FieldSelectors, Strategy } from '../types.ts';
import { validateLabelSelector } from '../validation/label-selector.ts';
import { immutableFieldError } from '../validation/object-meta.ts';
import { validatePodTemplateSpec } from '../validation/pod-template.ts';
import { supportedValues } from '../validation/zod-issues.ts';
import type { Job, JobSpec } from './schema.ts';

/** batch.LegacyJobNameLabel / JobNameLabel / LegacyControllerUidLabel / ControllerUidLabel. */
export const legacyJobNameLabel = 'job-name';
export const jobNameLabel = 'batch.kubernetes.io/job-name';
export const legacyControllerUidLabel = 'controller-uid';
export const controllerUidLabel = 'batch.kubernetes.io/controller-uid';

/** maxParallelismForIndexedJob. */
const maxParallelismForIndexedJob = 100000;
const maxInt32 = 2147483647;

function specOf(obj: KubeObject): JobSpec {
  return (obj as unknown as Job).spec;
}

/** SetDefaults_Job's "job labels default to the template's" (it also runs when a Job is read back, after the selector labels exist). */
function defaultJobLabels(obj: KubeObject): void {
  const labels = objectField(objectField(objectField(obj, 'spec'), 'template'), 'metadata')?.['labels'];
  if (!isObject(labels) || Object.keys(labels).length === 0) return;
  if (obj.metadata.labels && Object.keys(obj.metadata.labels).length > 0) return;
  obj.metadata.labels = { ...(labels as Record<string, string>) };
}

/** SetDefaults_Job (feature gates as in 1.32: JobPodReplacementPolicy on). */
export function defaultJob(obj: KubeObject): void {
  const spec = objectField(obj, 'spec');
  if (!spec) return;
  if (isUnset(spec['completions']) && isUnset(spec['parallelism'])) {
    spec['completions'] = 1;
    spec['parallelism'] = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', isUnset(spec['backoffLimitPerIndex']) ? 6 : maxInt32);
  defaultJobLabels(obj);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  const podFailurePolicy = objectField(spec, 'podFailurePolicy');
  for (const rule of objectItems(podFailurePolicy, 'rules')) {
    for (const pattern of objectItems(rule, 'onPodConditions')) setDefault(pattern, 'status', 'True');
  }
  setDefault(spec, 'podReplacementPolicy', podFailurePolicy ? 'Failed' : 'TerminatingOrFailed');
  setDefault(spec, 'manualSelector', false);
  defaultPodTemplate(spec);
}

/** generateSelector: labels a user already set are left alone (validation then reports them). */
export function generateJobSelector(obj: KubeObject): void {
  const spec = objectField(obj, 'spec');
  const template = spec && ensureObjectField(spec, 'template');
  const metadata = template && ensureObjectField(template, 'metadata');
  const labels = metadata && ensureObjectField(metadata, 'labels');
  if (!spec || !labels) return;
  const name = obj.metadata.name ?? '';
  const uid = obj.metadata.uid ?? '';
  for (const [key, value] of [
    // Sorted, as Go's encoding/json writes map keys.
    [controllerUidLabel, uid],
    [jobNameLabel, name],
    [legacyControllerUidLabel, uid],
    [legacyJobNameLabel, name],
  ] as const) {
    if (!Object.hasOwn(labels, key)) labels[key] = value;
  }
  const selector = ensureObjectField(spec, 'selector');
  const matchLabels = selector && ensureObjectField(selector, 'matchLabels');
  if (matchLabels && !Object.hasOwn(matchLabels, controllerUidLabel)) matchLabels[controllerUidLabel] = uid;
}

/** ValidateHasLabel. */
function validateHasLabel(labels: Readonly<Record<string, string>>, key: string, expected: string): FieldError[] {
  const path = `spec.template.metadata.labels[${key}]`;
  if (!Object.hasOwn(labels, key)) return [{ type: 'Required', path, detail: key }];
  if (labels[key] !== expected) return [{ type: 'Invalid', path, value: labels, detail: `must be '${expected}'` }];
  return [];
}

/** validateGeneratedSelector: the template carries the generated labels and the selector picks this Job's UID. */
function validateGeneratedSelector(obj: KubeObject, spec: JobSpec): FieldError[] {
  if (spec.manualSelector === true) return [];
  const labels = spec.template.metadata?.labels;
  if (!labels) return [{ type: 'Required', path: 'spec.template.metadata.labels' }];
  const uid = obj.metadata.uid ?? '';
  const name = obj.metadata.name ?? '';
  const errs = [
    ...validateHasLabel(labels, controllerUidLabel, uid),
    ...validateHasLabel(labels, jobNameLabel, name),
    ...validateHasLabel(labels, legacyControllerUidLabel, uid),
    ...validateHasLabel(labels, legacyJobNameLabel, name),
  ];
  if (spec.selector && !labelSelectorMatches(spec.selector, { [controllerUidLabel]: uid, [legacyControllerUidLabel]: uid })) {
    errs.push({ type: 'Invalid', path: 'spec.selector', value: spec.selector, detail: '`selector` not auto-generated' });
  }
  return errs;
}

/** ValidateJobSpec plus the pod template rules of ValidateJob. */
export function validateJobSpec(spec: JobSpec, path = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.completionMode === 'Indexed') {
    if (spec.completions === undefined || spec.completions === null) {
      errs.push({ type: 'Required', path: `${path}.completions`, detail: 'when completion mode is Indexed' });
    }
    if (typeof spec.parallelism === 'number' && spec.parallelism > maxParallelismForIndexedJob) {
      errs.push({ type: 'Invalid', path: `${path}.parallelism`, value: spec.parallelism, detail: `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed` });
    }
  }
  const selector = spec.selector;
  if (!selector) errs.push({ type: 'Required', path: `${path}.selector` });
  else {
    errs.push(...validateLabelSelector(selector, `${path}.selector`));
    // Whether generated or manual, the selector must match the pods the Job creates.
    if (!labelSelectorMatches(selector, spec.template.metadata?.labels)) {
      errs.push({ type: 'Invalid', path: `${path}.template.metadata.labels`, value: spec.template.metadata?.labels ?? {}, detail: '`selector` does not match template `labels`' });
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const restartPolicy = spec.template.spec.restartPolicy ?? '';
  if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push({ type: 'NotSupported', path: `${path}.template.spec.restartPolicy`, value: restartPolicy, detail: supportedValues(['OnFailure', 'Never']) });
  }
  return errs;
}

/**
 * validatePodTemplateUpdate: the template is immutable, except that a
 * suspended Job that never started may change its scheduling directives
 * (JobMutableNodeSchedulingDirectives, GA) and its template labels and annotations.
 */
function validateTemplateUpdate(spec: JobSpec, oldSpec: JobSpec, old: KubeObject): FieldError[] {
  const template = spec.template as JsonObject;
  let oldTemplate = oldSpec.template as JsonObject;
  const neverStarted = isUnset(objectField(old, 'status')?.['startTime']);
  if (oldSpec.suspend === true && neverStarted) {
    const relaxed = structuredClone(oldTemplate);
    const relaxedSpec = objectField(relaxed, 'spec');
    const newSpec = objectField(template, 'spec');
    for (const field of ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates'] as const) {
      if (relaxedSpec && newSpec) copyField(relaxedSpec, newSpec, field);
    }
    const relaxedMeta = objectField(relaxed, 'metadata');
    const newMeta = objectField(template, 'metadata');
    if (relaxedMeta && newMeta) for (const field of ['labels', 'annotations'] as const) copyField(relaxedMeta, newMeta, field);
    oldTemplate = relaxed;
  }
  return isDeepStrictEqual(template, oldTemplate) ? [] : [immutableFieldError('spec.template', template)];
}

function copyField(into: JsonObject, from: JsonObject, field: string): void {
  if (from[field] === undefined) delete into[field];
  else into[field] = structuredClone(from[field]);
}

function immutable(path: string, value: unknown, old: unknown): FieldError[] {
  return isDeepStrictEqual(value ?? null, old ?? null) ? [] : [immutableFieldError(path, value ?? null)];
}

/** ValidateJobSpecUpdate. */
export function validateJobSpecUpdate(spec: JobSpec, oldSpec: JobSpec, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((spec.completions ?? null) !== (oldSpec.completions ?? null)) {
    // Elastic Indexed Jobs may scale completions together with parallelism.
    if (spec.completionMode !== 'Indexed') errs.push(immutableFieldError('spec.completions', spec.completions ?? null));
    else if (spec.completions !== spec.parallelism) {
      errs.push({ type: 'Invalid', path: 'spec.completions', value: spec.completions ?? null, detail: 'can only be modified in tandem with spec.parallelism' });
    }
  }
  errs.push(...immutable('spec.selector', spec.selector, oldSpec.selector));
  errs.push(...validateTemplateUpdate(spec, oldSpec, old));
  errs.push(...immutable('spec.completionMode', spec.completionMode, oldSpec.completionMode));
  errs.push(...immutable('spec.podFailurePolicy', spec.podFailurePolicy, oldSpec.podFailurePolicy));
  errs.push(...immutable('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex, oldSpec.backoffLimitPerIndex));
  errs.push(...immutable('spec.managedBy', spec.managedBy, oldSpec.managedBy));
  errs.push(...immutable('spec.successPolicy', spec.successPolicy, oldSpec.successPolicy));
  return errs;
}

export const jobStrategy: Strategy = {
  defaults: defaultJob,
  prepareForCreate(obj) {
    obj['status'] = {};
    obj.metadata.generation = 1;
    if (objectField(obj, 'spec')?.['manualSelector'] !== true) generateJobSelector(obj);
    defaultJobLabels(obj);
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    bumpGeneration(obj, old, !isDeepStrictEqual(obj['spec'], old['spec']));
  },
  validate(obj) {
    const spec = specOf(obj);
    return [...validateJobSpec(spec), ...validateGeneratedSelector(obj, spec)];
  },
  validateUpdate(obj, old) {
    return validateJobSpecUpdate(specOf(obj), specOf(old), old);
  },
};

/** The Job /status endpoint (jobStatusStrategy): spec stays as stored. */
export const jobStatusStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepSpec(obj, old);
  },
};

/** job.JobToSelectableFields. */
export const jobFieldSelectors: FieldSelectors = {
  'status.successful': (obj) => String(numberField(objectField(obj, 'status'), 'succeeded') ?? 0),
};
