/**
 * The delay before a Job replaces failed pods (job controller backoff_utils.go
 * backoffStore): each Job remembers how many pods failed since its last
 * success and when the latest one finished; the next pod waits
 * base·2^(failures−1), capped, counted from that failure.
 */
import type { Pod } from '../controller-utils/workload-objects.ts';

/** DefaultJobPodFailureBackOff. */
export const defaultPodFailureBackoffMs = 10_000;
/** MaxJobPodFailureBackOff (10 min since 1.26; before that MaxJobBackOff was 6 min). */
export const maxPodFailureBackoffMs = 10 * 60_000;

export interface BackoffRecord {
  key: string;
  failuresAfterLastSuccess: number;
  /** ms since the epoch; undefined when there was no failure since the last success. */
  lastFailureTime: number | undefined;
}

/** When the pod finished: its containers' latest finishedAt, else its deletion, else now (getFinishedTime). */
export function podFinishedTime(pod: Pod, nowMs: number = Date.now()): number {
  let latest = 0;
  for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const state = s['state'] as { terminated?: { finishedAt?: string } } | undefined;
    const t = Date.parse(state?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(t)) latest = Math.max(latest, t);
  }
  if (latest > 0) return latest;
  const deleted = Date.parse(pod.metadata.deletionTimestamp ?? '');
  return Number.isNaN(deleted) ? nowMs : deleted;
}

export class PodFailureBackoffStore {
  readonly #records = new Map<string, BackoffRecord>();

  /** newBackoffRecord: the record as it would be once `newSucceeded` and `newFailed` are counted. */
  newRecord(key: string, newSucceeded: readonly Pod[], newFailed: readonly Pod[], nowMs: number = Date.now()): BackoffRecord {
    const old = this.#records.get(key);
    const record: BackoffRecord = { key, failuresAfterLastSuccess: old?.failuresAfterLastSuccess ?? 0, lastFailureTime: old?.lastFailureTime };
    const failedTimes = newFailed.map((p) => podFinishedTime(p, nowMs)).sort((a, b) => a - b);
    if (newSucceeded.length === 0) {
      if (failedTimes.length === 0) return record;
      record.failuresAfterLastSuccess += failedTimes.length;
      record.lastFailureTime = failedTimes[failedTimes.length - 1];
      return record;
    }
    const lastSuccess = Math.max(...newSucceeded.map((p) => podFinishedTime(p, nowMs)));
    record.failuresAfterLastSuccess = 0;
    record.lastFailureTime = undefined;
    for (let i = failedTimes.length - 1; i >= 0; i--) {
      const t = failedTimes[i]!;
      if (t <= lastSuccess) break;
      record.lastFailureTime ??= t;
      record.failuresAfterLastSuccess++;
    }
    return record;
  }

  update(record: BackoffRecord): void {
    this.#records.set(record.key, record);
  }

  remove(key: string): void {
    this.#records.delete(key);
  }
}

/** getRemainingTime: ms until the next pod may be created (0 = now). */
export function remainingBackoffMs(record: BackoffRecord, baseMs: number, maxMs: number, nowMs: number = Date.now()): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  let backoff = baseMs;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    backoff *= 2;
    if (backoff >= maxMs) {
      backoff = maxMs;
      break;
    }
  }
  const elapsed = nowMs - record.lastFailureTime;
  return backoff < elapsed ? 0 : backoff - elapsed;
}
