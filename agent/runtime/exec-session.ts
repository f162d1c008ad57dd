/**
 * Streaming exec over `runc exec`. Without a tty the process's pipes are the
 * streams. With a tty, runc wants its own stdin to be a terminal (it copies
 * between that and the container's pty, which it receives over a console
 * socket internally) and Node can neither allocate a pty nor receive the pty
 * master over SCM_RIGHTS. So the agent runs runc under util-linux `script`,
 * which gives runc a pty whose other side is our pipes; resizing that outer
 * pty (`stty -F`) makes the kernel send runc SIGWINCH, and runc copies the new
 * size to the container's terminal.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, readlink, stat } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { ExecStreams } from '../cri/api.ts';

export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function exitCodeOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 255)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[signal] ?? 1;
}

async function waitForFile(path: string, deadlineMs: number, alive: () => boolean): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end && alive()) {
    if (await stat(path).then(() => true, () => false)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function killByPidFile(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export interface ExecSessionOptions {
  runtimeBinary: string;
  /** runc argv after the binary (global flags + `exec …`), with `--pid-file pidFile`. */
  runcArgv: string[];
  pidFile: string;
  tty: boolean;
  stdin: boolean;
}

export function startExecSession(o: ExecSessionOptions): ExecStreams {
  if (!o.tty) {
    const child = spawn(o.runtimeBinary, o.runcArgv, { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const stdin = child.stdin ?? new PassThrough().resume();
    return {
      stdin,
      stdout: child.stdout!,
      stderr: child.stderr!,
      resize: async () => {},
      exitCode: exitCodeOf(child),
      close: () => void killByPidFile(o.pidFile),
    };
  }

  const command = `stty raw -echo; exec ${[o.runtimeBinary, ...o.runcArgv].map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let alive = true;
  child.once('exit', () => (alive = false));
  // Input sent before runc puts the outer pty in raw mode would be echoed
  // back, so hold it until the exec'd process exists.
  const stdin = new PassThrough();
  void waitForFile(o.pidFile, 30000, () => alive).then(() => {
    if (!o.stdin) return;
    stdin.pipe(child.stdin);
  });
  if (!o.stdin) stdin.resume();
  child.stdin.on('error', () => {});
  const stderr = new PassThrough();
  child.stderr.pipe(stderr);

  const outerPty = async (): Promise<string | undefined> => {
    // script's child is the `sh -c` that execs runc; runc's stdin is the outer pty.
    const children = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/);
    for (const c of children) {
      if (!c) continue;
      const link = await readlink(`/proc/${c}/fd/0`).catch(() => '');
      if (link.startsWith('/dev/pts/')) return link;
    }
    return undefined;
  };

  return {
    stdin,
    stdout: child.stdout,
    stderr,
    resize: async (width: number, height: number) => {
      await waitForFile(o.pidFile, 30000, () => alive);
      const pty = await outerPty();
      if (!pty) return;
      await new Promise<void>((resolve, reject) =>
        execFile('stty', ['-F', pty, 'rows', String(height), 'cols', String(width)], (err) => (err ? reject(err) : resolve())),
      );
    },
    exitCode: exitCodeOf(child),
    close: () => void killByPidFile(o.pidFile),
  };
}
