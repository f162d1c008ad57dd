/**
 * A thin typed wrapper over an OCI runtime binary (runc, or crun, which takes
 * the same flags), shaped as go-runc: pure argv builders per subcommand, one
 * runner that folds stderr into the error.
 */
import { execFile } from 'node:child_process';

/** `runc state` output (the OCI runtime-spec State). */
export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  created?: string;
}

export class RuncExitError extends Error {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(argv: string[], exitCode: number | null, stderr: string) {
    super(`${argv.join(' ')}: exit ${exitCode}: ${stderr.trim()}`);
    this.name = 'RuncExitError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface ExecArgsOptions {
  tty?: boolean;
  pidFile?: string;
  env?: string[];
  cwd?: string;
  user?: string;
}

/** runc's global flags go before the subcommand. */
export function globalArgs(root: string): string[] {
  return ['--root', root];
}

export function startArgs(id: string): string[] {
  return ['start', id];
}

export function stateArgs(id: string): string[] {
  return ['state', id];
}

export function killArgs(id: string, signal: string, all = false): string[] {
  return ['kill', ...(all ? ['--all'] : []), id, signal];
}

export function deleteArgs(id: string, force: boolean): string[] {
  return ['delete', ...(force ? ['--force'] : []), id];
}

export function execArgs(id: string, cmd: string[], opts: ExecArgsOptions = {}): string[] {
  const args = ['exec'];
  if (opts.tty) args.push('--tty');
  if (opts.pidFile) args.push('--pid-file', opts.pidFile);
  if (opts.cwd) args.push('--cwd', opts.cwd);
  if (opts.user) args.push('--user', opts.user);
  for (const e of opts.env ?? []) args.push('--env', e);
  // runc stops parsing its flags at the container ID (SkipArgReorder), so the
  // command's own flags pass through; a `--` would be taken as the command.
  args.push(id, ...cmd);
  return args;
}

/** kubelet's --runtime-request-timeout default: 2m. */
export const defaultRuntimeRequestTimeoutMs = 120_000;

export class Runc {
  binary: string;
  readonly root: string;
  readonly requestTimeoutMs: number;

  constructor(binary: string, root: string, requestTimeoutMs = defaultRuntimeRequestTimeoutMs) {
    this.binary = binary;
    this.root = root;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /** The full argv (after the binary) for a subcommand's args. */
  argv(args: string[]): string[] {
    return [...globalArgs(this.root), ...args];
  }

  /**
   * Runs one subcommand. A runc stuck on a process that will not die (D state,
   * a frozen cgroup) is SIGKILLed after the runtime request timeout, so no
   * caller waits on it forever, as kubelet's --runtime-request-timeout.
   */
  run(args: string[]): Promise<string> {
    const argv = this.argv(args);
    return new Promise((resolve, reject) => {
      execFile(this.binary, argv, { maxBuffer: 16 << 20, timeout: this.requestTimeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === 'number' ? err.code : null;
          const why = err.killed ? `no answer within ${this.requestTimeoutMs} ms, killed` : err.message;
          reject(new RuncExitError([this.binary, ...argv], code, String(stderr) || why));
        } else resolve(String(stdout));
      });
    });
  }

  /** undefined when the runtime does not know the container. */
  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.run(stateArgs(id))) as RuncState;
    } catch (err) {
      if (err instanceof RuncExitError && /does not exist|not exist|No such file/i.test(err.stderr)) return undefined;
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    await this.run(startArgs(id));
  }

  /** Resolves false when the container is already gone or stopped. */
  async kill(id: string, signal: string, all = false): Promise<boolean> {
    try {
      await this.run(killArgs(id, signal, all));
      return true;
    } catch (err) {
      if (err instanceof RuncExitError && /does not exist|not running|process already finished|no such process/i.test(err.stderr)) {
        return false;
      }
      throw err;
    }
  }

  /** Succeeds when the container is already gone. */
  async delete(id: string, force: boolean): Promise<void> {
    try {
      await this.run(deleteArgs(id, force));
    } catch (err) {
      if (err instanceof RuncExitError && /does not exist/i.test(err.stderr)) return;
      throw err;
    }
  }

  async list(): Promise<RuncState[]> {
    const out = await this.run(['list', '--format', 'json']);
    const parsed = JSON.parse(out.trim() || 'null') as RuncState[] | null;
    return parsed ?? [];
  }
}
