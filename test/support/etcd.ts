/**
 * A throwaway etcd for tests (as apiserver's etcd3/testserver RunEtcd): the real
 * `etcd` binary on two free loopback ports, data in a fresh temp dir, killed
 * and removed by stop() — or by the process 'exit' hook if the test dies first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface TestEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}

const notFound = 'etcd not found: install it with "apt-get install etcd-server" (or set ETCD_BIN)';

function findBinary(): string {
  const candidates = process.env.ETCD_BIN
    ? [process.env.ETCD_BIN]
    : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'etcd')), '/usr/bin/etcd'];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(notFound);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Every etcd this process started, so an abnormal exit still kills them. */
/**
 * How long a test file may live once it started etcd. Files under `node --test` (which sets
 * NODE_TEST_CONTEXT) take a minute or two; benchmarks that borrow this helper are not limited.
 */
const testFileDeadlineSeconds = process.env.NODE_TEST_CONTEXT ? Number(process.env.PIER_TEST_FILE_DEADLINE_SECONDS ?? 900) : 10 * 365 * 86400;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

async function startOnce(binary: string): Promise<TestEtcd> {
  // tmpfs makes etcd's fsyncs nearly free; 3.4 has no --unsafe-no-fsync.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, 'pier-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    binary,
    [
      '--name', 'test',
      '--data-dir', join(dataDir, 'data'),
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `test=${peer}`,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval', '20',
      '--election-timeout', '200',
      '--logger', 'zap',
      '--log-level', 'error',
      '--experimental-watch-progress-notify-interval', '1s',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  installExitHook();
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
    child.once('error', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  // The 'exit' hook misses signals and crashes; a detached watchdog kills etcd once this process is gone.
  // It also ends a test file still alive after testFileDeadlineSeconds: a file stuck where no test timeout
  // can fire (a blocked event loop) then fails alone, and the suite still finishes with its summary.
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `end=$(($(date +%s) + ${testFileDeadlineSeconds})); while kill -0 ${process.pid} 2>/dev/null; do ` +
        `if [ "$(date +%s)" -ge "$end" ]; then kill -9 ${process.pid}; fi; sleep 1; done; ` +
        `kill -9 ${child.pid} 2>/dev/null; sleep 0.2; rm -rf '${dataDir}'`,
    ],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  watchdog.on('error', () => undefined);
  watchdog.unref();
  // Don't keep the test process alive just for etcd.
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  const stop = async (): Promise<void> => {
    if (!exited) {
      // Keep the event loop alive until the exit is observed.
      child.ref();
      child.kill('SIGKILL');
      await exitedPromise;
    }
    try {
      watchdog.kill('SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`etcd exited during startup: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (await healthy(endpoint)) return { endpoint, dataDir, pid: child.pid!, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`etcd did not become healthy within 30s: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Starts a fresh single-member etcd; retries with new ports if another process grabbed one. */
export async function startEtcd(): Promise<TestEtcd> {
  const binary = findBinary();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
