/**
 * The pods a Job creates (job_controller.go manageJob): the Job's template
 * plus the job-tracking finalizer, and for Indexed Jobs the completion index
 * as annotation, label, hostname and JOB_COMPLETION_INDEX env var.
 */
import type { PodTemplateSpec } from '../controller-utils/workload-objects.ts';
import { jobCompletionIndexAnnotation, jobCompletionIndexEnvName, jobTrackingFinalizer, type Job } from './job-types.ts';

interface Container {
  env?: Array<{ name: string; [field: string]: unknown }>;
  [field: string]: unknown;
}

/** addCompletionIndexEnvVariables: every container reads its index through the downward API. */
function addCompletionIndexEnv(spec: Record<string, unknown>): void {
  for (const field of ['initContainers', 'containers']) {
    const containers = spec[field];
    if (!Array.isArray(containers)) continue;
    for (const c of containers as Container[]) {
      const env = c.env ?? [];
      if (env.some((e) => e.name === jobCompletionIndexEnvName)) continue;
      env.push({ name: jobCompletionIndexEnvName, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${jobCompletionIndexAnnotation}']` } } });
      c.env = env;
    }
  }
}

/** The template shared by all of the Job's new pods. */
export function jobPodTemplate(job: Job): PodTemplateSpec {
  const template = structuredClone(job.spec.template);
  template.metadata ??= {};
  const finalizers = template.metadata.finalizers ?? [];
  if (!finalizers.includes(jobTrackingFinalizer)) finalizers.push(jobTrackingFinalizer);
  template.metadata.finalizers = finalizers;
  template.spec ??= {};
  if (job.spec.completionMode === 'Indexed') addCompletionIndexEnv(template.spec);
  return template;
}

/** The template of the pod for one completion index. */
export function templateForIndex(template: PodTemplateSpec, job: Job, index: number): PodTemplateSpec {
  const t = structuredClone(template);
  t.metadata ??= {};
  t.metadata.annotations = { ...t.metadata.annotations, [jobCompletionIndexAnnotation]: String(index) };
  t.metadata.labels = { ...t.metadata.labels, [jobCompletionIndexAnnotation]: String(index) };
  t.spec ??= {};
  if (!t.spec['hostname']) t.spec['hostname'] = `${job.metadata.name}-${index}`;
  return t;
}
