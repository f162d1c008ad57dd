/**
 * The slice of batch/v1 Job the Job controller reads and writes. Field names
 * are the API's own; everything the server may omit is optional.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import type { Metav1LabelSelector } from '../../client/labels/selector.ts';
import type { PodTemplateSpec } from '../controller-utils/workload-objects.ts';

export type JobConditionType = 'Suspended' | 'Complete' | 'Failed' | 'FailureTarget' | 'SuccessCriteriaMet' | string;

export interface JobCondition {
  type: JobConditionType;
  status: 'True' | 'False' | 'Unknown' | string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}

export interface UncountedTerminatedPods {
  succeeded?: string[];
  failed?: string[];
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: UncountedTerminatedPods;
}

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  activeDeadlineSeconds?: number | null;
  backoffLimit?: number;
  selector?: Metav1LabelSelector;
  manualSelector?: boolean;
  template: PodTemplateSpec;
  suspend?: boolean;
  completionMode?: 'NonIndexed' | 'Indexed' | string;
  podReplacementPolicy?: 'TerminatingOrFailed' | 'Failed' | string;
  podFailurePolicy?: unknown;
  managedBy?: string;
}

export interface Job extends KubeObject {
  spec: JobSpec;
  status?: JobStatus;
}

export const jobsResource = { group: 'batch', version: 'v1', plural: 'jobs' } as const;
export const jobKind = { apiVersion: 'batch/v1', kind: 'Job' } as const;

/** batch.JobTrackingFinalizer: kept on every pod until the controller has counted it. */
export const jobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
/** batch.JobCompletionIndexAnnotation (also the label with PodIndexLabel). */
export const jobCompletionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
/** The env var Indexed Job containers read their index from. */
export const jobCompletionIndexEnvName = 'JOB_COMPLETION_INDEX';
/** The spec.managedBy value that means "this controller". */
export const jobControllerName = 'kubernetes.io/job-controller';
