/**
 * An etcd server run as a child process for `pier up`: a single member on
 * loopback, with its data under the pier data directory and its output in a
 * log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from './ports.ts';

/** The install hint every "etcd missing" message carries. */
const installHint = 'install it with "apt-get install etcd-server" (or set ETCD_BIN)';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `$ETCD_BIN`, else `etcd` on PATH; throws one line saying how to install it. */
export function findEtcdBinary(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.ETCD_BIN;
  if (explicit) {
    if (!executable(explicit)) throw new Error(`ETCD_BIN=${explicit} is not an executable file: ${installHint}`);
    return explicit;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'etcd'))) return join(dir, 'etcd');
  }
  throw new Error(`etcd not found in PATH: ${installHint}`);
}

export interface EtcdProcessOptions {
  binary: string;
  dataDir: string;
  logFile: string;
  /** How long `start` waits for `/health`; default 30 s. */
  startTimeoutSeconds?: number;
}

/**
 * Why etcd stopped, from its log: the last fatal/error entry (etcd logs JSON
 * with zap; "msg" and "error" are the readable part), else the last line.
 */
function lastLogError(logFile: string): string {
  let lines: string[];
  try {
    lines = readFileSync(logFile, 'utf8').trim().split('\n');
  } catch {
    return '';
  }
  for (const line of [...lines].reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (entry.level === 'fatal' || entry.level === 'panic' || entry.level === 'error') return [entry.msg, entry.error].filter(Boolean).join(': ');
    } catch {
      // not JSON: capnslog or a Go panic trace
    }
  }
  return lines.at(-1) ?? '';
}

/** One etcd child process on free loopback ports; `endpoint` is its client URL once started. */
export class EtcdProcess {
  /** Client URL, set once `start` has picked ports. */
  endpoint = '';
  private readonly options: EtcdProcessOptions;
  private child: ChildProcess | undefined;
  /** Resolves with how etcd ended: `code 1`, `signal SIGKILL`, or a spawn error. */
  private exited: Promise<string> | undefined;
  private stopping = false;

  constructor(options: EtcdProcessOptions) {
    this.options = options;
  }

  /**
   * Starts etcd and resolves once `/health` says true. `onCrash` is called
   * if etcd exits later without `stop` having been called.
   */
  async start(onCrash: (err: Error) => void): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
    // Free ports are probed then released, so etcd may lose a race for one;
    // only that case is worth another try.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce(onCrash);
        return;
      } catch (err) {
        if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
      }
    }
  }

  private async startOnce(onCrash: (err: Error) => void): Promise<void> {
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const args = [
      '--name', 'pier',
      '--data-dir', this.options.dataDir,
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `pier=${peer}`,
      '--logger', 'zap',
      '--log-outputs', 'stderr',
    ];
    const log = openSync(this.options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.options.binary, args, { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.endpoint = client;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
      child.once('error', (err) => resolve(`error ${err.message}`));
    });
    const died = this.exited.then((how) => {
      // Killed by a signal, the log only says what etcd was doing, not why it ended.
      const why = how.startsWith('signal') ? '' : lastLogError(this.options.logFile);
      return new Error(`etcd exited with ${how}${why ? `: ${why}` : ''} (see ${this.options.logFile})`);
    });

    const deadline = Date.now() + (this.options.startTimeoutSeconds ?? 30) * 1000;
    let dead: Error | undefined;
    void died.then((err) => (dead = err));
    for (;;) {
      if (dead) throw dead;
      if (await this.healthy()) break;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`etcd did not become healthy within ${this.options.startTimeoutSeconds ?? 30}s (see ${this.options.logFile})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    void died.then((err) => {
      if (!this.stopping) onCrash(err);
    });
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: unknown };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  /** SIGTERM (etcd shuts down cleanly on it), then SIGKILL after `graceSeconds`. Idempotent. */
  async stop(graceSeconds = 10): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || !this.exited || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Immediate SIGKILL, for a second Ctrl-C. */
  kill(): void {
    this.stopping = true;
    this.child?.kill('SIGKILL');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}
