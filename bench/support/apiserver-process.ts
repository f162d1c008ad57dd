/**
 * Runs `pier apiserver` as its own process for benchmarks, so the load
 * generator and the server do not share an event loop.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../../client/kubeconfig.ts';

export interface ApiServerProcess {
  url: string;
  /** The admin kubeconfig the server wrote (removed by stop). */
  kubeconfigPath: string;
  caPem: string;
  token: string;
  pid: number;
  stop(): Promise<void>;
}

const cliMain = new URL('../../cli/main.ts', import.meta.url).pathname;

export async function startApiServerProcess(etcdEndpoint: string): Promise<ApiServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-'));
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR] : [];
  const child = spawn(process.execPath, [...profile, cliMain, 'apiserver', '--etcd-servers', etcdEndpoint, '--port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const kubeconfig = join(dir, 'kubeconfig');
  const deadline = Date.now() + 30_000;
  while (!existsSync(kubeconfig)) {
    if (child.exitCode !== null) throw new Error(`pier apiserver exited ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pier apiserver did not write ${kubeconfig} within 30s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const access = loadKubeconfig(kubeconfig);
  return {
    url: access.server,
    kubeconfigPath: kubeconfig,
    caPem: access.caPem,
    token: access.token,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
