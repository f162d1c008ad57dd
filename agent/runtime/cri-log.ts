/**
 * The CRI container log as conmon writes it (`-l k8s-file:`): one record per
 * line, `<RFC3339Nano> <stdout|stderr> <P|F> <content>`, where P records are
 * parts of a line continued by the next record (as kubelet's
 * kuberuntime/logs parses it). Both `kubectl logs` (agent/server) and
 * attach, whose output is the log from its current end, read it through
 * {@link readCriLog}.
 */
import { open, type FileHandle } from 'node:fs/promises';

export type CriLogStream = 'stdout' | 'stderr';

/** One logical line: its first record's timestamp, its stream and the joined content (with its newline). */
export interface CriLogLine {
  timestamp: string;
  time: number;
  stream: CriLogStream;
  content: Buffer;
}

const recordPattern = /^(\S+) (stdout|stderr) (P|F) ?/;

/** Assembles records into lines; a trailing run of P records stays pending until its F record arrives. */
export class CriLogDecoder {
  private pending: { timestamp: string; parts: Buffer[] } | undefined;

  /** `record` is one line of the file without its newline. */
  decode(record: Buffer): CriLogLine | undefined {
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
    return { timestamp, time: Date.parse(timestamp), stream: head[2] as CriLogStream, content: Buffer.concat([...parts, Buffer.from('\n')]) };
  }
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


export interface FollowControl {
  /** Whether the container still runs; following stops once it does not and the file has no more lines. */
  running(): Promise<boolean>;
  signal: AbortSignal;
  /** How often to look for new lines; kubelet uses fsnotify, polling keeps this portable. */
  pollMs?: number;
}

export interface CriLogReadOptions {
  /** Skip what the file holds now and deliver only lines appended later (an attached terminal's view). */
  fromEnd?: boolean;
  /** Keep reading as the file grows, until the container stops, the signal aborts or `sink` says stop. */
  follow?: FollowControl;
}

/**
 * Delivers the log's lines to `sink`: first what the file holds (`initial`
 * true, in one batch, so a caller can tail it), then, when following, each
 * batch of new lines. `sink` returns false to stop reading.
 */
export async function readCriLog(
  path: string,
  options: CriLogReadOptions,
  sink: (lines: CriLogLine[], initial: boolean) => Promise<boolean>,
): Promise<void> {
  const file = await open(path, 'r');
  try {
    const decoder = new CriLogDecoder();
    const decodeAll = (records: Buffer[]) => records.map((r) => decoder.decode(r)).filter((l): l is CriLogLine => l !== undefined);

    let position: number;
    if (options.fromEnd) {
      position = (await file.stat()).size;
      if (!(await sink([], true))) return;
    } else {
      const { records, consumed } = splitRecords(await readFrom(file, 0));
      position = consumed;
      if (!(await sink(decodeAll(records), true))) return;
    }
    const follow = options.follow;
    if (!follow) return;

    const pollMs = follow.pollMs ?? 100;
    while (!follow.signal.aborted) {
      const split = splitRecords(await readFrom(file, position));
      if (split.consumed > 0) {
        position += split.consumed;
        if (!(await sink(decodeAll(split.records), false))) return;
        continue;
      }
      // Check after an empty read, so lines written just before the container stopped are not lost.
      if (!(await follow.running())) {
        const last = splitRecords(await readFrom(file, position));
        if (last.consumed > 0) await sink(decodeAll(last.records), false);
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
