/**
 * `pier token create` and `pier join` from "another host" (a namespace the
 * test makes itself): CA discovery checked against --ca-cert-hash, a node
 * credential of the node's own approved by `pier up`, and the API server
 * accepting new tokens without a restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenFile } from '../../apiserver/authn/token-file.ts';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { cliMain, runPier } from '../cli/run-pier.ts';
import { eventually, startMultiNodeCluster, type MultiNodeCluster } from './multi-node-support.ts';

let c: MultiNodeCluster;
let teardown: Array<() => Promise<void> | void> = [];

before(async () => {
  c = await startMultiNodeCluster({ after: (fn) => void teardown.push(fn) }, 1);
}, { timeout: 600_000 });

after(async () => {
  for (const fn of teardown.reverse()) await fn();
  teardown = [];
}, { timeout: 180_000 });

function joinInNamespace(netnsPath: string, args: string[]) {
  const child = spawn('nsenter', [`--net=${netnsPath}`, '--', process.execPath, cliMain, 'join', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  teardown.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  });
  return { child, output: () => out, exited };
}

test('pier up prints a join command; pier token create adds a token the running server accepts', { timeout: 120_000 }, async () => {
  assert.match(c.pier.stdout(), /join other hosts with: pier join --server https:\/\/\S+ --token [a-z0-9]{6}\.[a-z0-9]{16} --ca-cert-hash sha256:[0-9a-f]{64}/);
  const server = `https://${c.namespaces.hostAddress}:${new URL(loadKubeconfig(c.kubeconfig).server).port}`;
  const res = await runPier(['token', 'create', '--data-dir', c.dataDir, '--print-join-command', '--server', server], c.home);
  assert.equal(res.code, 0, res.stderr);
  const m = /^pier join --server (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --ca-cert-hash (sha256:[0-9a-f]{64})\n$/.exec(res.stdout);
  assert.ok(m, res.stdout);
  const token = m[2]!;
  assert.ok(readTokenFile(join(c.dataDir, 'tokens.csv')).some((e) => e.token === token && e.user.username === `system:bootstrap:${token.slice(0, 6)}`));
  // Without a restart: the API server reloads its token file.
  await eventually('the new token accepted', async () => {
    const r = await c.kubectl(['--token', token, '--server', server, 'get', '--raw', '/api'], { allowFailure: true });
    return r.code === 0;
  }, 10_000);
});

test('pier join with a wrong CA hash refuses the server', { timeout: 120_000 }, async () => {
  const node = await c.namespaces.add(3);
  const server = `https://${c.namespaces.hostAddress}:${new URL(loadKubeconfig(c.kubeconfig).server).port}`;
  const res = await runPier(['token', 'create', '--data-dir', c.dataDir], c.home);
  const j = joinInNamespace(node.netnsPath, [
    '--server', server, '--token', res.stdout.trim(), '--ca-cert-hash', `sha256:${'0'.repeat(64)}`,
    '--node-name', node.name, '--node-ip', node.address, '--root-dir', join(c.dataDir, 'nodes', node.name),
  ]);
  assert.equal(await j.exited, 1);
  assert.match(j.output(), /^pier join: the cluster CA's hash is sha256:[0-9a-f]{64}, not sha256:0{64}: refusing to trust /m);
  assert.ok(!existsSync(join(c.dataDir, 'nodes', node.name, 'kubeconfig')), 'no credential written');
});

test('pier join on another host gets its own credential and a Ready node with a pod CIDR', { timeout: 300_000 }, async () => {
  const node = c.namespaces.node(3);
  const server = `https://${c.namespaces.hostAddress}:${new URL(loadKubeconfig(c.kubeconfig).server).port}`;
  const created = await runPier(['token', 'create', '--data-dir', c.dataDir, '--print-join-command', '--server', server], c.home);
  const args = created.stdout.trim().split(/\s+/).slice(2);
  const rootDir = join(c.dataDir, 'nodes', node.name);
  const joinToken = args[args.indexOf('--token') + 1]!;
  const j = joinInNamespace(node.netnsPath, [...args, '--node-name', node.name, '--node-ip', node.address, '--root-dir', rootDir, '--cgroup-parent', `/${node.name}.slice`]);
  await eventually('pier join to report the node joined', async () => {
    if (j.child.exitCode !== null) throw new Error(`pier join exited: ${j.output()}`);
    return /joined https:/.test(j.output());
  }, 180_000);
  const own = loadKubeconfig(join(rootDir, 'kubeconfig'));
  assert.notEqual(own.token, joinToken, 'the node does not keep using the join token');
  const entry = readTokenFile(join(c.dataDir, 'tokens.csv')).find((e) => e.token === own.token);
  assert.deepEqual(entry?.user, { username: `system:node:${node.name}`, uid: `node-${node.name}`, groups: ['system:nodes'] });
  assert.ok(readFileSync(join(rootDir, 'kubeconfig'), 'utf8').includes('certificate-authority-data'));
  const requests = await c.kubectl(['get', 'secrets', '-n', 'kube-system', '-l', 'pier.dev/node-token-request=true', '-o', 'name']);
  assert.equal(requests.stdout.trim(), '', 'the approved request is deleted');
  await eventually(`${node.name} Ready with a pod CIDR`, async () => {
    const { stdout } = await c.kubectl(['get', 'node', node.name, '-o', 'json']);
    const n = JSON.parse(stdout);
    return n.spec.podCIDR && (n.status.conditions as any[]).some((x) => x.type === 'Ready' && x.status === 'True');
  }, 120_000);
});
