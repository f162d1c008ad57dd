import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePki } from '../../client/pki/pki-dir.ts';
import { EtcdProcess } from '../../cli/etcd-process.ts';
import { freePort } from '../../cli/ports.ts';
import { etcdBinary, kubectl, requireBinary, runKubectl, runPier, startPier, tempDir } from './run-pier.ts';

async function startEtcd(t: { after(fn: () => Promise<void> | void): void }, dir: string): Promise<EtcdProcess> {
  mkdirSync(dir, { recursive: true });
  const etcd = new EtcdProcess({ binary: etcdBinary(), dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log') });
  await etcd.start((err) => assert.fail(err));
  t.after(() => etcd.stop());
  return etcd;
}

test('pier apiserver serves HTTPS from its data dir and writes a kubeconfig kubectl can use', { timeout: 120_000 }, async (t) => {
  requireBinary(kubectl, 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)');
  const home = tempDir(t);
  const etcd = await startEtcd(t, join(home, 'etcd'));
  const dataDir = join(home, 'data');
  const port = await freePort('0.0.0.0');
  const pier = startPier(['apiserver', '--etcd-servers', etcd.endpoint, '--port', String(port), '--data-dir', dataDir], home);
  t.after(() => void pier.child.kill('SIGKILL'));
  await pier.waitForOutput(/kubeconfig written to /, 60_000);
  assert.match(pier.stdout(), new RegExp(`serving on https://127\\.0\\.0\\.1:${port} \\(etcd ${etcd.endpoint}\\)`));
  for (const f of ['pki/ca.crt', 'pki/apiserver.crt', 'tokens.csv', 'kubeconfig']) assert.ok(existsSync(join(dataDir, f)), f);

  const res = await runKubectl(home, ['--kubeconfig', join(dataDir, 'kubeconfig'), 'get', '--raw', '/readyz']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'ok');

  pier.child.kill('SIGTERM');
  assert.deepEqual(await pier.exited, { code: 0, signal: null });
});

test('pier apiserver takes --tls-cert-file/--tls-private-key-file and --token-auth-file', { timeout: 120_000 }, async (t) => {
  requireBinary(kubectl, 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)');
  const home = tempDir(t);
  const etcd = await startEtcd(t, join(home, 'etcd'));
  const pki = ensurePki(join(home, 'own-pki'));
  const tokens = join(home, 'tokens.csv');
  writeFileSync(tokens, 'secret-token,alice,alice-uid,"system:masters"\n');
  const port = await freePort('0.0.0.0');
  const dataDir = join(home, 'unused-data');
  const pier = startPier(
    ['apiserver', '--etcd-servers', etcd.endpoint, '--port', String(port), '--bind-address', '127.0.0.1', '--data-dir', dataDir,
      '--tls-cert-file', pki.servingCertFile, '--tls-private-key-file', pki.servingKeyFile, '--token-auth-file', tokens],
    home,
  );
  t.after(() => void pier.child.kill('SIGKILL'));
  await pier.waitForOutput(/serving on /, 60_000);
  assert.doesNotMatch(pier.stdout(), /kubeconfig written/, 'no kubeconfig when pier owns neither the CA nor the token file');
  assert.equal(existsSync(join(dataDir, 'pki')), false);

  const kubeconfig = join(home, 'kubeconfig');
  const { writeKubeconfig } = await import('../../client/kubeconfig.ts');
  writeKubeconfig(kubeconfig, { server: `https://localhost:${port}`, caPem: pki.ca.certPem, token: 'secret-token' });
  const ok = await runKubectl(home, ['--kubeconfig', kubeconfig, 'get', '--raw', '/api']);
  assert.equal(ok.code, 0, ok.stderr);
  writeKubeconfig(kubeconfig, { server: `https://localhost:${port}`, caPem: pki.ca.certPem, token: 'wrong-token' });
  const denied = await runKubectl(home, ['--kubeconfig', kubeconfig, 'get', '--raw', '/api']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Unauthorized|must be logged in/);

  pier.child.kill('SIGINT');
  assert.deepEqual(await pier.exited, { code: 0, signal: null });
});

test('pier apiserver gives up on an unreachable etcd with one line', { timeout: 60_000 }, async (t) => {
  const home = tempDir(t);
  const deadPort = await freePort();
  const res = await runPier(['apiserver', '--etcd-servers', `http://127.0.0.1:${deadPort}`, '--port', String(await freePort('0.0.0.0')), '--data-dir', join(home, 'd')], home);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, new RegExp(`^pier apiserver: etcd is not reachable at http://127\\.0\\.0\\.1:${deadPort} after \\d+s \\(.*ECONNREFUSED\\)\\n$`));
});

test('pier apiserver flag mistakes exit 2 with one line', async (t) => {
  const home = tempDir(t);
  const cases: [string[], string][] = [
    [[], 'pier apiserver: missing required flag --etcd-servers (see pier apiserver --help)'],
    [['--etcd-servers', 'localhost:2379'], 'pier apiserver: --etcd-servers: "localhost:2379" is not a URL like http://127.0.0.1:2379 (see pier apiserver --help)'],
    [['--etcd-servers', 'http://x', '--tls-cert-file', 'a'], 'pier apiserver: --tls-cert-file and --tls-private-key-file go together (see pier apiserver --help)'],
    [['--etcd', 'http://x'], 'pier apiserver: unknown flag --etcd (see pier apiserver --help)'],
  ];
  for (const [args, line] of cases) {
    const res = await runPier(['apiserver', ...args], home);
    assert.equal(res.code, 2, args.join(' '));
    assert.equal(res.stderr, `${line}\n`);
  }
});
