/**
 * Reads a container's CRI log file the way kubelet's kuberuntime/logs
 * ReadLogs does: one record per line, `<RFC3339Nano> <stdout|stderr> <P|F>
 * <content>`; P records are parts of a line continued by the next record.
 * Options mirror v1.PodLogOptions: tailLines, sinceSeconds/sinceTime,
 * timestamps (printed in RFC3339Nano with nine fractional digits, as
 * kubelet's RFC3339NanoFixed), limitBytes, and follow, which keeps reading
 * as the file grows until the container stops running or the client leaves.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export interface ContainerLogOptions {
  follow: boolean;
  tailLines?: number;
  /** Only lines logged at or after this time. */
  since?: Date;
  timestamps: boolean;
  limitBytes?: number;
}

/** One logical line: its first record's timestamp and the joined content (with its newline if complete). */
interface LogLine {
  timestamp: string;
  time: number;
  content: Buffer;
}

const recordPattern = /^(\S+) (stdout|stderr) (P|F) ?/;
const timestampPattern = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/** RFC3339Nano with exactly nine fractional digits, keeping the record's zone. */
export function fixedNanoTimestamp(timestamp: string): string {
  const m = timestampPattern.exec(timestamp);
  if (!m) return timestamp;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

/** Assembles records into lines; a trailing run of P records stays pending until its F record arrives. */
export class CriLogDecoder {
  private pending: { timestamp: string; parts: Buffer[] } | undefined;

  /** `record` is one line of the file without its newline. */
  decode(record: Buffer): LogLine | undefined {
    const head = recordPattern.exec(record.subarray(0, 128).toString('latin1'));
    if (!head) return undefined;
    const content = record.subarray(head[0].length);
    const timestamp = this.pending?.timestamp ?? head[1]!;
    const parts = [...(this.pending?.parts ?? []), content];
    if (head[3] === 'P') {
      this.pending = { timestamp, parts };
      return undefined;
    }
    this.pending = undefined;
    return { timestamp, time: Date.parse(timestamp), content: Buffer.concat([...parts, Buffer.from('\n')]) };
  }
}

function format(line: LogLine, timestamps: boolean): Buffer {
  return timestamps ? Buffer.concat([Buffer.from(`${fixedNanoTimestamp(line.timestamp)} `), line.content]) : line.content;
}

/** Splits a buffer into complete records; returns the bytes consumed. */
function splitRecords(buf: Buffer): { records: Buffer[]; consumed: number } {
  const records: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    records.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  return { records, consumed: start };
}

async function readFrom(file: FileHandle, position: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = Buffer.alloc(256 * 1024);
    const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
  return Buffer.concat(chunks);
}

function write(out: Writable, data: Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  if (out.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

export interface FollowControl {
  /** Whether the container still runs; following stops once it does not and the file has no more lines. */
  running(): Promise<boolean>;
  signal: AbortSignal;
  /** How often to look for new lines; kubelet uses fsnotify, polling keeps this portable. */
  pollMs?: number;
}

/** Writes the log to `out` (without ending it). */
export async function writeContainerLogs(path: string, options: ContainerLogOptions, out: Writable, follow: FollowControl): Promise<void> {
  const file = await open(path, 'r');
  try {
    let budget = options.limitBytes ?? Infinity;
    const emit = async (lines: LogLine[]) => {
      for (const line of lines) {
        if (budget <= 0) return;
        if (options.since && !(line.time >= options.since.getTime())) continue;
        let data = format(line, options.timestamps);
        if (data.length > budget) data = data.subarray(0, budget);
        budget -= data.length;
        await write(out, data);
      }
    };
    const decoder = new CriLogDecoder();
    const decodeAll = (records: Buffer[]) => records.map((r) => decoder.decode(r)).filter((l): l is LogLine => l !== undefined);

    const initial = await readFrom(file, 0);
    const { records, consumed } = splitRecords(initial);
    let position = consumed;
    let lines = decodeAll(records);
    if (options.tailLines !== undefined) lines = options.tailLines <= 0 ? [] : lines.slice(-options.tailLines);
    await emit(lines);
    if (!options.follow) return;

    const pollMs = follow.pollMs ?? 100;
    while (!follow.signal.aborted && budget > 0 && !out.destroyed) {
      const more = await readFrom(file, position);
      const split = splitRecords(more);
      if (split.consumed > 0) {
        position += split.consumed;
        await emit(decodeAll(split.records));
        continue;
      }
      // Check after an empty read, so lines written just before the container stopped are not lost.
      if (!(await follow.running())) {
        const last = splitRecords(await readFrom(file, position));
        if (last.consumed > 0) await emit(decodeAll(last.records));
        return;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          follow.signal.removeEventListener('abort', onAbort);
          resolve();
        }, pollMs);
        follow.signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  } finally {
    await file.close();
  }
}
