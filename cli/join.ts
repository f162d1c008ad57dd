/**
 * `pier join`: adds this host to a cluster as a node. With a join token
 * (from `pier up` or `pier token create`) it finds the cluster's CA in the
 * kube-public/cluster-info ConfigMap, checks it against --ca-cert-hash (the
 * SHA-256 of the CA's public key, as kubeadm's discovery does), obtains a
 * credential of the node's own (a node token request, approved by the
 * control plane), writes `<root-dir>/kubeconfig` with it, and runs the node
 * agent with multi-node networking. A restart over the same root dir reuses
 * that kubeconfig.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isBootstrapToken } from '../apiserver/authn/bootstrap-token.ts';
import { newToken } from '../apiserver/authn/token-file.ts';
import { nodeTokenRequest, nodeTokenRequestNamespace } from '../apiserver/authn/node-token-requests.ts';
import { loadKubeconfig, writeKubeconfig, type ClusterAccess } from '../client/kubeconfig.ts';
import { isAlreadyExists } from '../client/rest/api-error.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { CliError, usageError } from './cli-error.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { onShutdownSignal } from './signals.ts';

export const joinCommand: CommandSpec = {
  command: 'pier join',
  summary: 'add this host to a cluster as a node (node agent with its own credentials)',
  description:
    'Joins the cluster at --server with a join token, verifies the cluster CA against --ca-cert-hash,\n' +
    "obtains the node's own credential, writes ROOT-DIR/kubeconfig and runs the node agent (kubelet,\n" +
    'container runtime, routes to the other nodes, service proxy, cluster DNS). Must run as root.\n' +
    'Runs until interrupted; the containers keep running, and a later join over the same root dir\n' +
    'adopts them.',
  flags: [
    { name: 'server', value: 'URL', help: 'the API server, e.g. https://192.168.1.10:6443 (required)' },
    { name: 'token', value: 'TOKEN', help: 'join token (pier token create), or a credential made for this node (required)' },
    { name: 'ca-cert-hash', value: 'sha256:HEX', help: "the CA's public key hash printed with the token" },
    { name: 'ca-cert', value: 'FILE', help: 'the cluster CA certificate, instead of discovering it' },
    { name: 'unsafe-skip-ca-verification', help: 'trust whatever CA the server presents (no --ca-cert-hash)' },
    { name: 'node-name', value: 'NAME', help: 'name of the Node', defaultText: 'the host name' },
    { name: 'root-dir', value: 'DIR', help: 'where containers, images, volumes, logs and the credential live', defaultText: '/var/lib/pier/agent' },
    { name: 'node-ip', value: 'IP', help: "the Node's InternalIP (other nodes route pod traffic to it)", defaultText: 'the primary IPv4 address' },
    { name: 'port', value: 'PORT', help: 'port of the logs/exec/port-forward server', defaultText: '10250' },
    { name: 'cgroup-parent', value: 'PATH', help: "cgroupfs parent of the pods' cgroups", defaultText: '/pier.slice' },
    { name: 'images-dir', value: 'DIR', help: 'import every image tarball found here at start (air-gapped nodes)' },
    { name: 'cluster-cidr', value: 'CIDR', help: 'the pod network of the whole cluster (service proxy masquerading)', defaultText: '10.244.0.0/16' },
    { name: 'runtime', value: 'runc|crun', help: 'OCI runtime', defaultText: 'runc' },
  ],
};

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** kubeadm's --discovery-token-ca-cert-hash: `sha256:` + hex SHA-256 of the CA's SubjectPublicKeyInfo (DER). */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** GET over TLS without verifying the server (discovery only: the answer is checked against the CA hash). */
function insecureGet(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { rejectUnauthorized: false, agent: false, timeout: 10_000, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The CA from kube-public/cluster-info (a kubeconfig in `data.kubeconfig`, as kubeadm publishes it). */
export async function discoverClusterCa(server: string, token: string): Promise<string> {
  const url = `${server.replace(/\/+$/, '')}/api/v1/namespaces/kube-public/configmaps/cluster-info`;
  // A token created a moment ago reaches the API server within a second (it re-reads its token file).
  let { status, body } = await insecureGet(url, token);
  for (let i = 0; status === 401 && i < 10; i++) {
    await new Promise((r) => setTimeout(r, 500));
    ({ status, body } = await insecureGet(url, token));
  }
  if (status === 401) throw new Error(`the server rejected the join token (HTTP 401)`);
  if (status !== 200) throw new Error(`cannot read kube-public/cluster-info from ${server}: HTTP ${status}`);
  const configMap = JSON.parse(body) as { data?: { kubeconfig?: string } };
  const kubeconfig = parseYaml(configMap.data?.kubeconfig ?? '') as { clusters?: Array<{ cluster?: { 'certificate-authority-data'?: string } }> } | null;
  const caData = kubeconfig?.clusters?.[0]?.cluster?.['certificate-authority-data'];
  if (!caData) throw new Error('kube-public/cluster-info has no certificate-authority-data');
  return Buffer.from(caData, 'base64').toString('utf8');
}

/**
 * Files a node token request with the join token and waits until the
 * control plane approves it (the new token authenticates).
 */
export async function requestNodeCredential(server: string, caPem: string, joinToken: string, nodeName: string, timeoutMs = 60_000): Promise<string> {
  const token = newToken();
  const bootstrap = new RestClient({ server, caPem, token: joinToken, userAgent: `pier-join/${nodeName}` });
  try {
    const path = { group: '', version: 'v1', plural: 'secrets', namespace: nodeTokenRequestNamespace };
    const body = nodeTokenRequest(nodeName, token);
    try {
      await bootstrap.create(path, body);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // A request left by an earlier, interrupted join: replace it with ours.
      await bootstrap.delete({ ...path, name: body.metadata.name! });
      await bootstrap.create(path, body);
    }
  } finally {
    bootstrap.close();
  }
  const node = new RestClient({ server, caPem, token, userAgent: `pier-join/${nodeName}` });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await node.getAbsPath('/api');
        return token;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the control plane did not approve node ${nodeName}'s credential within ${timeoutMs / 1000}s (${(err as Error).message})`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    node.close();
  }
}

export async function runJoinCommand(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(joinCommand, argv);
  if (flags.help) {
    process.stdout.write(helpText(joinCommand));
    return;
  }
  const command = joinCommand.command;
  const server = flags.required('server').replace(/\/+$/, '');
  if (!/^https:\/\/[^/]+$/.test(server)) throw usageError(command, `--server must be an https:// URL such as https://192.168.1.10:6443, got "${server}"`);
  const joinToken = flags.required('token');
  const nodeName = flags.string('node-name') ?? hostname().toLowerCase();
  if (!dns1123Subdomain.test(nodeName) || nodeName.length > 253) throw usageError(command, `--node-name must be a lowercase DNS subdomain, got "${nodeName}"`);
  const rootDir = resolve(flags.string('root-dir') ?? '/var/lib/pier/agent');
  const nodeIP = flags.string('node-ip');
  if (nodeIP !== undefined && isIP(nodeIP) !== 4) throw usageError(command, `--node-ip must be an IPv4 address, got "${nodeIP}"`);
  const port = flags.port('port', 10250, true);
  const hash = flags.string('ca-cert-hash');
  if (hash !== undefined && !/^sha256:[0-9a-f]{64}$/.test(hash)) throw usageError(command, `--ca-cert-hash must be sha256: and 64 hex digits, got "${hash}"`);
  const caFile = flags.string('ca-cert');
  const skipCa = flags.has('unsafe-skip-ca-verification');
  const runtime = flags.string('runtime') ?? 'runc';
  if (runtime !== 'runc' && runtime !== 'crun') throw usageError(command, `--runtime must be runc or crun, got "${runtime}"`);
  const cgroupParent = flags.string('cgroup-parent');
  if (cgroupParent !== undefined && !cgroupParent.startsWith('/')) throw usageError(command, `--cgroup-parent must be an absolute cgroup path, got "${cgroupParent}"`);
  const imagesDir = flags.string('images-dir');
  const clusterCidr = flags.string('cluster-cidr') ?? '10.244.0.0/16';
  if (process.getuid?.() !== 0) throw new CliError(`${command}: must run as root (it creates containers, mounts and network namespaces)`);
  const fail = (message: string) => new CliError(`${command}: ${message}`);

  mkdirSync(rootDir, { recursive: true, mode: 0o700 });
  const kubeconfigPath = join(rootDir, 'kubeconfig');
  let access: ClusterAccess | undefined;
  if (existsSync(kubeconfigPath)) {
    try {
      const saved = loadKubeconfig(kubeconfigPath);
      if (saved.server === server) access = saved;
    } catch {
      // Unreadable: join again.
    }
  }
  if (!access) {
    let caPem: string;
    try {
      if (caFile !== undefined) caPem = readFileSync(resolve(caFile), 'utf8');
      else {
        if (hash === undefined && !skipCa) throw new Error('pass --ca-cert-hash sha256:... (printed with the token), --ca-cert FILE, or --unsafe-skip-ca-verification');
        caPem = await discoverClusterCa(server, joinToken);
      }
      const actual = caCertHash(caPem);
      if (hash !== undefined && actual !== hash) throw new Error(`the cluster CA's hash is ${actual}, not ${hash}: refusing to trust ${server}`);
    } catch (err) {
      throw fail((err as Error).message);
    }
    let token = joinToken;
    try {
      if (isBootstrapToken(joinToken)) token = await requestNodeCredential(server, caPem, joinToken, nodeName);
    } catch (err) {
      throw fail((err as Error).message);
    }
    access = { server, caPem, token };
    writeKubeconfig(kubeconfigPath, { ...access, userName: `system:node:${nodeName}` });
  }

  const { runAgent } = await import('../agent/main.ts');
  let agent;
  try {
    agent = await runAgent(access, {
      nodeName,
      rootDir,
      runtime,
      port,
      ...(nodeIP !== undefined ? { nodeIP } : {}),
      ...(cgroupParent !== undefined ? { cgroupParent } : {}),
      ...(imagesDir !== undefined ? { imagesDir: resolve(imagesDir) } : {}),
      clusterNetworking: { clusterCidr },
      onError: (err) => process.stderr.write(`${command}: ${err instanceof Error ? err.message : String(err)}\n`),
    });
  } catch (err) {
    throw fail((err as Error).message);
  }
  process.stdout.write(`${command}: node ${agent.nodeName} (pod CIDR ${agent.podCidr}) joined ${server}; serving on port ${agent.port}\n`);
  onShutdownSignal(
    async () => {
      await agent.stop();
    },
    () => process.exit(1),
  );
}
