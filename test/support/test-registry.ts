/**
 * A real OCI registry for tests: Debian's docker-registry (distribution 2.8)
 * on 127.0.0.1:<free port>, storage and config in a temp dir, images pushed
 * into it with skopeo from an OCI layout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSkopeo } from './busybox-image.ts';

export const registryBinary = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  dir: string;
  /** Pushes `oci:<layoutDir>:<tag>` (an index with all its manifests) to `<host>/<repository>:<pushTag ?? tag>`. */
  push(layoutDir: string, tag: string, repository: string, pushTag?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${stderr().trim().split('\n').slice(-3).join('; ')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer ${url} within ${deadlineMs} ms`);
}

export async function startTestRegistry(): Promise<TestRegistry> {
  if (!existsSync(registryBinary)) throw new Error('apt-get install docker-registry');
  const dir = await mkdtemp(join(tmpdir(), 'pier-registry-'));
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    await writeFile(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log:',
        '  level: error',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'storage')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        '',
      ].join('\n'),
    );
    const proc = spawn(registryBinary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4096);
    });
    await waitReady(`http://${host}/v2/`, proc, () => stderr, 60_000);
    return {
      host,
      dir,
      async push(layoutDir, tag, repository, pushTag) {
        await runSkopeo(['copy', '--insecure-policy', '--quiet', '--all', '--dest-tls-verify=false', `oci:${layoutDir}:${tag}`, `docker://${host}/${repository}:${pushTag ?? tag}`]);
      },
      async stop() {
        if (proc.exitCode === null) {
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
