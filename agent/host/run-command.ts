/**
 * Runs the host tools the agent drives (iproute2, nsenter, mount, nft) and
 * folds their stderr into the error, as go-runc's runOrError does.
 */
import { execFile } from 'node:child_process';

/** A host command that exited non-zero (or could not start). */
export class CommandError extends Error {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly stderr: string;

  constructor(command: string, exitCode: number | undefined, stderr: string, cause?: unknown) {
    super(`${command}: ${stderr.trim() || (exitCode === undefined ? 'failed to start' : `exit status ${exitCode}`)}`, { cause });
    this.name = 'CommandError';
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface RunCommandOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs `file args…` and resolves with its output whatever the exit status. */
export function execCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
        timeout: options.timeoutMs ?? 60_000,
        ...(options.env ? { env: options.env } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: ENOENT, EACCES, a timeout kill or an abort.
          const why = error.killed ? `killed (${error.signal ?? 'timeout'})` : error.message;
          reject(new CommandError(formatCommand(file, args), undefined, `${stderr}${stderr ? '\n' : ''}${why}`, error));
          return;
        }
        resolve({ stdout, stderr, exitCode: error ? (error.code as number) : 0 });
      },
    );
    // A plugin that exits before reading stdin makes the write fail with
    // EPIPE; its exit status tells the real story.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs `file args…` and returns stdout; a non-zero exit throws CommandError. */
export async function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<string> {
  const out = await execCommand(file, args, options);
  if (out.exitCode !== 0) throw new CommandError(formatCommand(file, args), out.exitCode, out.stderr);
  return out.stdout;
}

function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ');
}
