/**
 * ValidatePodTemplateSpec and ValidatePodTemplateSpecForReplicaSet: the
 * template of a Deployment or ReplicaSet, which its selector must match.
 */
import type { FieldError } from '../../errors/status-error.ts';
import { isEmptyLabelSelector, type LabelSelector, labelSelectorMatches } from '../kinds/label-selector.ts';
import type { PodTemplateSpec } from '../kinds/pod-template.ts';
import { validateLabelSelector } from './label-selector.ts';
import { supportedValues } from './zod-issues.ts';
import { validateAnnotations, validateLabels } from './object-meta.ts';
import { validatePodSpec } from './pod-spec.ts';

export function validatePodTemplateSpec(template: PodTemplateSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabels(template.metadata?.labels, `${path}.metadata.labels`));
  errs.push(...validateAnnotations(template.metadata?.annotations, `${path}.metadata.annotations`));
  errs.push(...validatePodSpec(template.spec, `${path}.spec`));
  return errs;
}

/** Selector rules shared by Deployment and ReplicaSet specs (ValidateDeploymentSpec / ValidateReplicaSetSpec). */
export function validateReplicatedTemplate(
  selector: LabelSelector | null | undefined,
  template: PodTemplateSpec,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector) {
    errs.push({ type: 'Required', path: `${path}.selector` });
  } else {
    errs.push(...validateLabelSelector(selector, `${path}.selector`));
    // Kubernetes says "deployment" for ReplicaSets too.
    if (isEmptyLabelSelector(selector)) {
      errs.push({ type: 'Invalid', path: `${path}.selector`, value: selector, detail: 'empty selector is invalid for deployment' });
    }
  }
  const tpl = `${path}.template`;
  if (selector && !isEmptyLabelSelector(selector) && !labelSelectorMatches(selector, template.metadata?.labels)) {
    errs.push({
      type: 'Invalid',
      path: `${tpl}.metadata.labels`,
      value: template.metadata?.labels ?? {},
      detail: '`selector` does not match template `labels`',
    });
  }
  errs.push(...validatePodTemplateSpec(template, tpl));
  if (template.spec.restartPolicy && template.spec.restartPolicy !== 'Always') {
    errs.push({ type: 'NotSupported', path: `${tpl}.spec.restartPolicy`, value: template.spec.restartPolicy, detail: supportedValues(['Always']) });
  }
  if (template.spec.activeDeadlineSeconds !== undefined && template.spec.activeDeadlineSeconds !== null) {
    errs.push({ type: 'Forbidden', path: `${tpl}.spec.activeDeadlineSeconds`, detail: 'activeDeadlineSeconds in ReplicaSet is not Supported' });
  }
  return errs;
}
