import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readTokenFile } from '../../apiserver/authn/token-file.ts';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { freePort } from '../../cli/ports.ts';
import { etcdBinary, etcdPidsFor, kubectl, requireBinary, runKubectl, runPier, startPier, tempDir } from './run-pier.ts';

/** Starts `pier up`, waits for the kubeconfig line, and returns the process. */
async function up(home: string, dataDir: string, port: number) {
  const pier = startPier(['up', '--data-dir', dataDir, '--port', String(port), '--agent', 'false'], home);
  await pier.waitForOutput(/Press Ctrl-C to stop\.\n/, 90_000);
  return pier;
}

async function stopWithSigterm(pier: ReturnType<typeof startPier>, dataDir: string): Promise<void> {
  pier.child.kill('SIGTERM');
  const { code, signal } = await pier.exited;
  assert.equal(signal, null, `pier up died of ${signal}; stderr: ${pier.stderr()}`);
  assert.equal(code, 0, `pier up exit code; stderr: ${pier.stderr()}`);
  assert.deepEqual(etcdPidsFor(join(dataDir, 'etcd')), [], 'no etcd left running on the data dir');
}

test('pier up serves kubectl, writes the kubeconfig, and SIGTERM stops etcd too; a restart reuses the CA', { timeout: 240_000 }, async (t) => {
  etcdBinary();
  requireBinary(kubectl, 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)');
  const home = tempDir(t);
  const dataDir = join(home, 'data');
  const port = await freePort('0.0.0.0');
  const pier = await up(home, dataDir, port);
  t.after(() => void pier.child.kill('SIGKILL'));

  const kubeconfigPath = join(dataDir, 'kubeconfig');
  assert.match(pier.stdout(), new RegExp(`export KUBECONFIG=${kubeconfigPath}\\n`));
  assert.match(pier.stdout(), /kubectl get ns/);
  assert.match(pier.stdout(), /etcd serving on http:\/\/127\.0\.0\.1:\d+/);
  assert.equal(statSync(kubeconfigPath).mode & 0o777, 0o600);
  const access = loadKubeconfig(kubeconfigPath);
  assert.equal(access.server, `https://127.0.0.1:${port}`);
  assert.equal(access.caPem, readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8'));
  const admin = readTokenFile(join(dataDir, 'tokens.csv')).find((e) => e.user.username === 'admin');
  assert.equal(access.token, admin?.token);
  assert.equal(etcdPidsFor(join(dataDir, 'etcd')).length, 1, 'etcd runs on the data dir');

  const readyz = await runKubectl(home, ['--kubeconfig', kubeconfigPath, 'get', '--raw', '/readyz']);
  assert.equal(readyz.code, 0, readyz.stderr);
  assert.equal(readyz.stdout.trim(), 'ok');
  // /api needs the token: proves kubectl's bearer token from the kubeconfig is accepted.
  const api = await runKubectl(home, ['--kubeconfig', kubeconfigPath, 'get', '--raw', '/api']);
  assert.equal(api.code, 0, api.stderr);
  assert.equal(JSON.parse(api.stdout).kind, 'APIVersions');
  // The scheduler runs too: it takes the kube-system/pier-scheduler Lease.
  let holder = '';
  for (let i = 0; i < 100 && !holder; i++) {
    const lease = await runKubectl(home, ['--kubeconfig', kubeconfigPath, '-n', 'kube-system', 'get', 'lease', 'pier-scheduler', '-o', 'jsonpath={.spec.holderIdentity}']);
    holder = lease.code === 0 ? lease.stdout.trim() : '';
    if (!holder) await new Promise((r) => setTimeout(r, 100));
  }
  assert.notEqual(holder, '', 'the scheduler holds its Lease');

  await stopWithSigterm(pier, dataDir);

  // Same data dir again: same CA (old kubeconfigs stay valid), same etcd data.
  const caBefore = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const again = await up(home, dataDir, port);
  t.after(() => void again.child.kill('SIGKILL'));
  assert.equal(readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8'), caBefore);
  const readyzAgain = await runKubectl(home, ['--kubeconfig', kubeconfigPath, 'get', '--raw', '/readyz']);
  assert.equal(readyzAgain.code, 0, readyzAgain.stderr);
  await stopWithSigterm(again, dataDir);
});

test('pier up with a bad flag exits 2 with one line', async (t) => {
  const home = tempDir(t);
  const res = await runPier(['up', '--foo'], home);
  assert.equal(res.code, 2);
  assert.equal(res.stderr, 'pier up: unknown flag --foo (see pier up --help)\n');
  assert.equal(res.stdout, '');
  const missing = await runPier(['up', '--port'], home);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'pier up: flag --port needs a value (see pier up --help)\n');
});

test('pier up on a taken port fails with one line before starting anything', async (t) => {
  etcdBinary();
  const home = tempDir(t);
  const dataDir = join(home, 'data');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const res = await runPier(['up', '--data-dir', dataDir, '--port', String(port)], home);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, `pier up: port ${port} is already in use: pass --port PORT\n`);
  assert.equal(existsSync(join(dataDir, 'etcd')), false, 'etcd was not started');
});

test('pier up without etcd says how to install it', async (t) => {
  const home = tempDir(t);
  const res = await runPier(['up', '--data-dir', join(home, 'data'), '--port', String(await freePort('0.0.0.0'))], home, { PATH: '/nonexistent' });
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'pier up: etcd not found in PATH: install it with "apt-get install etcd-server" (or set ETCD_BIN)\n');
});

test('pier up --help shows the defaults', async (t) => {
  const res = await runPier(['up', '--help'], tempDir(t));
  assert.equal(res.code, 0);
  assert.match(res.stdout, /--data-dir DIR +.*\(default \$XDG_DATA_HOME\/pier or ~\/\.local\/share\/pier\)/);
  assert.match(res.stdout, /--port PORT +.*\(default 6443\)/);
});

test('pier up exits 1 with one line when etcd dies under it, and stops the API server', { timeout: 120_000 }, async (t) => {
  etcdBinary();
  const home = tempDir(t);
  const dataDir = join(home, 'data');
  const port = await freePort('0.0.0.0');
  const pier = await up(home, dataDir, port);
  t.after(() => void pier.child.kill('SIGKILL'));
  const [etcdPid] = etcdPidsFor(join(dataDir, 'etcd'));
  assert.ok(etcdPid);
  process.kill(etcdPid, 'SIGKILL');
  const { code } = await pier.exited;
  assert.equal(code, 1);
  // Components still running may log their lost watches first (as kube components warn); pier up's own verdict is one line, the last.
  const lines = pier.stderr().split('\n').filter(Boolean);
  assert.match(lines.at(-1) ?? '', /^pier up: etcd failed: etcd exited with signal SIGKILL \(see .*etcd\.log\)$/);
  assert.equal(lines.filter((l) => l.startsWith('pier up:')).length, 1, pier.stderr());
  assert.ok(await portIsFree(port), 'the API server port was released');
});

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}
