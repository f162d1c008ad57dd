/**
 * Completion indexes of Indexed Jobs (job controller indexed_job_utils.go):
 * the index each pod carries, the set of succeeded indexes written as
 * `status.completedIndexes` ("1,3-5,7"), and which indexes still need a pod.
 */
import type { Pod } from '../controller-utils/workload-objects.ts';
import { jobCompletionIndexAnnotation } from './job-types.ts';

/** getCompletionIndex: the pod's index, or -1 when missing or malformed. */
export function completionIndexOf(pod: Pod): number {
  const raw = pod.metadata.annotations?.[jobCompletionIndexAnnotation] ?? pod.metadata.labels?.[jobCompletionIndexAnnotation];
  if (raw === undefined || !/^\d+$/.test(raw)) return -1;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : -1;
}

/** parseIndexesFromString: indexes ≥ completions and garbage are dropped. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let i = from; i <= to && i < completions; i++) out.add(i);
  }
  return out;
}

/** orderedIntervals.String: ascending, consecutive runs of 2+ as `a-b`. */
export function formatIndexes(indexes: ReadonlySet<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** firstPendingIndexes: the lowest `count` indexes that neither succeeded nor have a pod running. */
export function firstPendingIndexes(succeeded: ReadonlySet<number>, activePods: readonly Pod[], count: number, completions: number): number[] {
  const taken = new Set<number>(succeeded);
  for (const p of activePods) taken.add(completionIndexOf(p));
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}

/** podGenerateNameWithIndex: `<job>-<index>-`, the job name cut so the prefix fits a 63-char name with its 5-char suffix. */
export function generateNameWithIndex(jobName: string, index: number): string {
  const appendix = `-${index}-`;
  const max = 63 - 5;
  const base = jobName.length + appendix.length > max ? jobName.slice(0, max - appendix.length) : jobName;
  return `${base}${appendix}`;
}
