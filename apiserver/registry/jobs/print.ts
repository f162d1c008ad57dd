/** `kubectl get jobs` columns (printers.go printJob, kube 1.32). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { humanDuration } from '../printing/human-duration.ts';
import { numberField, objectField, objectItems, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import { containerCells, formatLabelSelector } from '../printing/format-labels.ts';
import type { PrintColumn } from '../types.ts';

function hasCondition(obj: KubeObject, type: string): boolean {
  return objectItems(objectField(obj, 'status'), 'conditions').some((c) => c['type'] === type && c['status'] === 'True');
}

/** printJob's status ladder: finished states first, then deletion, then the transient ones. */
export function jobStatusCell(obj: KubeObject): string {
  if (hasCondition(obj, 'Complete')) return 'Complete';
  if (hasCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(obj, 'Suspended')) return 'Suspended';
  if (hasCondition(obj, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(obj, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** `succeeded/completions`; without completions, `n/1`, or `n/1 of p` when parallel. */
export function jobCompletionsCell(obj: KubeObject): string {
  const spec = objectField(obj, 'spec');
  const succeeded = numberField(objectField(obj, 'status'), 'succeeded') ?? 0;
  const completions = numberField(spec, 'completions');
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = numberField(spec, 'parallelism') ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** Completion minus start time, or time since start while running; "" before it started. */
export function jobDurationCell(obj: KubeObject, now: Date): string {
  const status = objectField(obj, 'status');
  const start = Date.parse(stringField(status, 'startTime') ?? '');
  if (Number.isNaN(start)) return '';
  const completion = Date.parse(stringField(status, 'completionTime') ?? '');
  return humanDuration((Number.isNaN(completion) ? now.getTime() : completion) - start);
}

function templateContainers(obj: KubeObject) {
  return containerCells(objectItems(objectField(objectField(objectField(obj, 'spec'), 'template'), 'spec'), 'containers'));
}

export const jobPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Status', 'Status of the job.', jobStatusCell),
  stringColumn('Completions', 'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.', jobCompletionsCell),
  stringColumn('Duration', 'Time required to complete the job.', jobDurationCell),
  ageColumn,
  stringColumn('Containers', 'Names of each container in the template.', (o) => templateContainers(o).names, 1),
  stringColumn('Images', 'Images referenced by each container in the template.', (o) => templateContainers(o).images, 1),
  stringColumn('Selector', 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', (o) => formatLabelSelector(objectField(o, 'spec')?.['selector']), 1),
];
