/**
 * Runs the pier CLI as a child process (Node 24 via process.execPath, a
 * private HOME) and the prerequisites its tests need.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const cliMain = join(repoRoot, 'cli', 'main.ts');
export const kubectl = '/usr/bin/kubectl';

/** Fails (never skips) with one line when a binary the test needs is missing. */
export function requireBinary(path: string, install: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    assert.fail(`${path} not found: ${install}`);
  }
}

export function etcdBinary(): string {
  const fromEnv = process.env.ETCD_BIN;
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      accessSync(join(dir, 'etcd'), constants.X_OK);
      return join(dir, 'etcd');
    } catch {
      // keep looking
    }
  }
  assert.fail('etcd not found in PATH: apt-get install etcd-server (or set ETCD_BIN)');
}

export function tempDir(t: { after(fn: () => void): void }, prefix = 'pier-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface PierProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout so far once it matches `pattern`; rejects if the process exits first or on timeout. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node cli/main.ts ...args` with HOME set to `home`. */
export function startPier(args: readonly string[], home: string, env: NodeJS.ProcessEnv = {}): PierProcess {
  const child = spawn(process.execPath, [cliMain, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...(process.env.ETCD_BIN ? { ETCD_BIN: process.env.ETCD_BIN } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}; stdout: ${out} stderr: ${err}`)), timeoutMs);
        const check = () => {
          if (pattern.test(out)) done(undefined);
        };
        const onExit = () => setImmediate(() => done(new Error(`pier exited before printing ${pattern}; stdout: ${out} stderr: ${err}`)));
        function done(e: Error | undefined) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('exit', onExit);
          if (e && !pattern.test(out)) rej(e);
          else res(out);
        }
        child.stdout!.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/** Runs pier to completion. */
export async function runPier(args: readonly string[], home: string, env: NodeJS.ProcessEnv = {}) {
  const p = startPier(args, home, env);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Runs /usr/bin/kubectl with a private HOME (it caches /version under ~/.kube/cache). */
export async function runKubectl(home: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(kubectl, [...args], { env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** PIDs of etcd processes whose command line names `dataDir`. */
export function etcdPidsFor(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (/(^|\/)etcd$/.test(argv[0] ?? '') && argv.includes(dataDir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
