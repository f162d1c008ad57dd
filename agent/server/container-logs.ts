/**
 * Serves a container's CRI log file the way kubelet's kuberuntime/logs
 * ReadLogs does (the format and the follow loop are agent/runtime/cri-log.ts).
 * Options mirror v1.PodLogOptions: tailLines, sinceSeconds/sinceTime,
 * timestamps (printed in RFC3339Nano with nine fractional digits, as
 * kubelet's RFC3339NanoFixed), limitBytes, and follow, which keeps reading
 * as the file grows until the container stops running or the client leaves.
 */
import type { Writable } from 'node:stream';
import { writeWithBackpressure } from '../io/write-with-backpressure.ts';
import { readCriLog, type CriLogLine, type FollowControl } from '../runtime/cri-log.ts';

export type { FollowControl } from '../runtime/cri-log.ts';

export interface ContainerLogOptions {
  follow: boolean;
  tailLines?: number;
  /** Only lines logged at or after this time. */
  since?: Date;
  timestamps: boolean;
  limitBytes?: number;
}

const timestampPattern = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/** RFC3339Nano with exactly nine fractional digits, keeping the record's zone. */
export function fixedNanoTimestamp(timestamp: string): string {
  const m = timestampPattern.exec(timestamp);
  if (!m) return timestamp;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

function format(line: CriLogLine, timestamps: boolean): Buffer {
  return timestamps ? Buffer.concat([Buffer.from(`${fixedNanoTimestamp(line.timestamp)} `), line.content]) : line.content;
}

/** Writes the log to `out` (without ending it). */
export async function writeContainerLogs(path: string, options: ContainerLogOptions, out: Writable, follow: FollowControl): Promise<void> {
  let budget = options.limitBytes ?? Infinity;
  await readCriLog(path, options.follow ? { follow } : {}, async (lines, initial) => {
    if (initial && options.tailLines !== undefined) lines = options.tailLines <= 0 ? [] : lines.slice(-options.tailLines);
    for (const line of lines) {
      if (budget <= 0) break;
      if (options.since && !(line.time >= options.since.getTime())) continue;
      let data = format(line, options.timestamps);
      if (data.length > budget) data = data.subarray(0, budget);
      budget -= data.length;
      await writeWithBackpressure(out, data);
    }
    return budget > 0 && !out.destroyed;
  });
}
