/**
 * Runs a pier component (`pier scheduler`, `pier simnodes`, ...) as its own
 * process for benchmarks, the way users run it, and stops it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PierProcess {
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

const cliMain = new URL('../../cli/main.ts', import.meta.url).pathname;

/** Starts `pier ...args` and resolves once its output matches `ready`. */
export async function startPierProcess(args: readonly string[], ready: RegExp, timeoutMs = 120_000): Promise<PierProcess> {
  // BENCH_PROFILE_DIR=DIR writes a V8 CPU profile per component (open in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, cliMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`pier ${args[0]} exited ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pier ${args[0]} not ready within ${timeoutMs / 1000}s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid!,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
