/**
 * Job conditions as the job controller writes them (job_controller.go
 * newCondition, ensureJobConditionStatus, util.IsJobFinished). Since 1.31 a
 * finishing Job first gets an interim condition (SuccessCriteriaMet or
 * FailureTarget) and only once no pod is left running or uncounted the
 * terminal one (Complete or Failed), with the same reason and message.
 */
import { metaNow } from '../../client/api/meta-time.ts';
import type { Job, JobCondition } from './job-types.ts';

export const reasonBackoffLimitExceeded = 'BackoffLimitExceeded';
export const messageBackoffLimitExceeded = 'Job has reached the specified backoff limit';
export const reasonDeadlineExceeded = 'DeadlineExceeded';
export const messageDeadlineExceeded = 'Job was active longer than specified deadline';
export const reasonCompletionsReached = 'CompletionsReached';
export const messageCompletionsReached = 'Reached expected number of succeeded pods';

export function newJobCondition(type: string, status: string, reason: string, message: string, nowMs: number = Date.now()): JobCondition {
  const now = metaNow(new Date(nowMs));
  return { type, status, lastProbeTime: now, lastTransitionTime: now, reason, message };
}

export function findJobCondition(conditions: readonly JobCondition[] | undefined, type: string): JobCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

function isTrue(job: Job, type: string): boolean {
  return findJobCondition(job.status?.conditions, type)?.status === 'True';
}

/** util.IsJobFinished: Complete or Failed is True. */
export function isJobFinished(job: Job): boolean {
  return isTrue(job, 'Complete') || isTrue(job, 'Failed');
}

/**
 * ensureJobConditionStatus: replaces the condition of that type when its
 * status, reason or message differ; appends one only when not False (going
 * from nothing to False says nothing). Returns whether anything changed.
 */
export function ensureJobConditionStatus(conditions: JobCondition[], type: string, status: string, reason: string, message: string, nowMs: number = Date.now()): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = conditions[i]!;
    if (c.status === status && (c.reason ?? '') === reason && (c.message ?? '') === message) return false;
    conditions[i] = newJobCondition(type, status, reason, message, nowMs);
    return true;
  }
  if (status === 'False') return false;
  conditions.push(newJobCondition(type, status, reason, message, nowMs));
  return true;
}
