/**
 * Attach to a container's main process, as conmon offers it. Output does
 * not come from conmon's attach socket but from the container's CRI log,
 * followed from its current end (what a terminal attached now would see)
 * and split back into stdout and stderr; it ends once the container has
 * stopped and the log has no more lines. Input goes to conmon's attach
 * socket, which is SOCK_SEQPACKET: Node's net module cannot open that, so
 * `socat` connects to it and the session's stdin is piped into socat. conmon
 * also copies the container's output to every attach client, so socat's
 * stdout is read and dropped to keep conmon from ever meeting a full socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { ExecStreams } from '../cri/api.ts';
import { CriError } from '../cri/errors.ts';
import { writeWithBackpressure } from '../io/write-with-backpressure.ts';
import { readCriLog } from './cri-log.ts';

export interface AttachSessionOptions {
  containerId: string;
  logPath: string;
  /** With a tty the log holds the terminal, all as stdout. */
  tty: boolean;
  /** Deliver each stream; an unwanted one is drained here so it cannot stall the other. */
  stdout: boolean;
  stderr: boolean;
  /** Connect the session's stdin to the container's (the container must have been created with stdin). */
  stdin?: {
    socatBinary: string;
    /** conmon's socket directory link; socat runs there, as the absolute path may not fit in sun_path. */
    socketDir: string;
    /** The socket's path relative to `socketDir`. */
    socketPath: string;
  };
  /** Whether the container still runs (its log may still grow). */
  running(): Promise<boolean>;
  /** Sets the container's terminal size; absent without a tty. */
  resize?: (width: number, height: number) => Promise<void>;
  /** How long socat may take to connect. */
  connectTimeoutMs?: number;
  pollMs?: number;
}

/** socat at `-d -d` logs this once both ends are open. */
const socatConnected = 'starting data transfer loop';

/** Runs socat between its stdio and conmon's attach socket; resolves once it is connected. */
function connectAttachSocket(o: NonNullable<AttachSessionOptions['stdin']>, containerId: string, timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.socatBinary, ['-d', '-d', '-', `UNIX-CONNECT:${o.socketPath},type=5`], {
      cwd: o.socketDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let diag = '';
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new CriError('Unknown', `attach to ${containerId}: ${message}`));
    };
    const timer = setTimeout(() => fail(`conmon's attach socket did not accept within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) =>
      fail((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${o.socatBinary} is missing: apt-get install socat` : err.message),
    );
    child.once('exit', () => fail(`socat could not connect to conmon's attach socket: ${diag.trim().split('\n').slice(-1)[0] ?? ''}`));
    child.stdout.resume();
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (d: Buffer) => {
      if (settled) return;
      diag += d.toString('utf8');
      if (!diag.includes(socatConnected)) return;
      settled = true;
      clearTimeout(timer);
      child.stderr.resume();
      resolve(child);
    });
  });
}

/** Starts an attach session; rejects with a CriError when stdin cannot be connected. */
export async function startAttachSession(o: AttachSessionOptions): Promise<ExecStreams> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stop = new AbortController();

  // The log's end is taken before stdin connects, so no reply to the session's input is missed.
  let positioned!: () => void;
  const atEnd = new Promise<void>((resolve) => (positioned = resolve));
  const following = readCriLog(
    o.logPath,
    { fromEnd: true, follow: { running: () => o.running(), signal: stop.signal, ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}) } },
    async (lines, initial) => {
      if (initial) positioned();
      for (const line of lines) {
        const toStdout = o.tty || line.stream === 'stdout';
        if (toStdout ? !o.stdout : !o.stderr) continue;
        await writeWithBackpressure(toStdout ? stdout : stderr, line.content);
      }
      return !stop.signal.aborted;
    },
  );
  // A log that cannot be opened fails the session before it starts.
  await Promise.race([atEnd, following]).catch((err: unknown) => {
    throw new CriError('Unknown', `attach to ${o.containerId}: reading its log: ${(err as Error).message}`, { cause: err });
  });

  let socat: ChildProcess | undefined;
  try {
    if (o.stdin) socat = await connectAttachSocket(o.stdin, o.containerId, o.connectTimeoutMs ?? 30000);
  } catch (err) {
    stop.abort();
    await following.catch(() => undefined);
    throw err;
  }
  const disconnect = () => {
    if (socat && socat.exitCode === null && socat.signalCode === null) socat.kill('SIGKILL');
  };

  const exitCode = following.then(
    () => {
      disconnect();
      stdout.end();
      stderr.end();
      // An attach session has no exit code of its own; kubelet reports success when the streams end.
      return 0;
    },
    (err: unknown) => {
      disconnect();
      stdout.destroy();
      stderr.destroy();
      throw err;
    },
  );
  // The server may never ask (it can leave before the container stops); a failure must not go unhandled.
  void exitCode.catch(() => undefined);

  return {
    // Ending it ends socat's input; socat then shuts the socket down, and conmon closes the container's stdin unless told to leave it open.
    stdin: socat?.stdin ?? new PassThrough().resume(),
    stdout,
    stderr,
    resize: o.resize ?? (async () => {}),
    exitCode,
    close: () => {
      stop.abort();
      disconnect();
    },
  };
}
