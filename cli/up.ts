/**
 * `pier up`: a whole cluster in one command. Starts etcd, makes the PKI and
 * admin token if absent, runs the API server in-process, writes
 * `<data-dir>/kubeconfig` once `/readyz` answers, and stops everything on
 * SIGINT/SIGTERM. With `--nodes N` (issue 6) the extra nodes are network
 * namespaces on this machine (cli/node-namespace.ts), each running
 * `pier join` with a credential of its own; it also publishes
 * kube-public/cluster-info and approves node credentials for `pier join`
 * from other hosts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { bootstrapTokenEntry, bootstrappersGroup, newBootstrapToken, nodeTokenEntry } from '../apiserver/authn/bootstrap-token.ts';
import { NodeTokenApprover } from '../apiserver/authn/node-token-requests.ts';
import { addTokenFileEntries, ensureAdminTokenFile, readTokenFile, type TokenFileEntry } from '../apiserver/authn/token-file.ts';
import type { ClusterAccess } from '../client/kubeconfig.ts';
import { isAlreadyExists } from '../client/rest/api-error.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import type { RunningApiServer } from '../apiserver/main.ts';
import type { RunningAgent } from '../agent/main.ts';
import type { RunningControllerManager } from '../controllers/main.ts';
import type { RunningScheduler } from '../scheduler/main.ts';
import { ensurePki } from '../client/pki/pki-dir.ts';
import { writeKubeconfig } from '../client/kubeconfig.ts';
import { CliError, usageError } from './cli-error.ts';
import { ComponentGroup, type Component } from './component.ts';
import { dataDirLayout, defaultDataDir } from './data-dir.ts';
import { EtcdProcess, findEtcdBinary } from './etcd-process.ts';
import { localServingNames } from './local-addresses.ts';
import { controllerManagerCommand, controllerTimingFlags } from './controller-manager.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { defaultNodePrefix, defaultNodeSubnet, NodeNamespaces, type NodeNamespace } from './node-namespace.ts';
import { joinCommandLine } from './token.ts';
import { portFree } from './ports.ts';
import { onShutdownSignal } from './signals.ts';
import { waitReady } from './wait-ready.ts';

export const upCommand: CommandSpec = {
  command: 'pier up',
  summary: 'run a cluster (etcd, API server, scheduler, controllers, node agents)',
  description:
    'Starts etcd, the API server, the scheduler, the controller manager and a node agent for this host,\n' +
    'creating the CA, serving certificate and admin token on first use, and writes DIR/kubeconfig.\n' +
    'Runs until interrupted (Ctrl-C or SIGTERM), then stops them all; containers keep running, as\n' +
    'they do when a kubelet stops, and are reconciled when pier up starts again.\n' +
    'With --nodes N, nodes beyond this host are network namespaces (PREFIX-node-2, ...) on a host\n' +
    'bridge in --node-subnet, each running pier join; image tarballs in DIR/images are imported by\n' +
    'every node. Prints a pier join command for adding other hosts.',
  flags: [
    { name: 'data-dir', value: 'DIR', help: 'where etcd data, PKI, tokens and the kubeconfig live', defaultText: '$XDG_DATA_HOME/pier or ~/.local/share/pier' },
    { name: 'port', value: 'PORT', help: 'API server port', defaultText: '6443' },
    { name: 'service-cluster-ip-range', value: 'CIDR', help: 'IPv4 range Service ClusterIPs are allocated from', defaultText: '10.96.0.0/12' },
    { name: 'agent', value: 'true|false', help: 'run a node agent on this host (needs root, runc and the CNI plugins)', defaultText: 'true' },
    { name: 'nodes', value: 'N', help: 'nodes in all; those beyond this host run in network namespaces', defaultText: '1' },
    { name: 'node-subnet', value: 'CIDR', help: 'host bridge subnet for the namespace nodes (.1 is this host)', defaultText: defaultNodeSubnet },
    { name: 'node-prefix', value: 'NAME', help: 'names the namespace nodes (NAME-node-2, ...), bridge and veths', defaultText: defaultNodePrefix },
    ...controllerManagerCommand.flags.filter((f) => f.name === 'node-monitor-grace-period' || f.name === 'default-unreachable-toleration-seconds'),
  ],
};

/** The API server listens on every IPv4 interface, as kube-apiserver's default --bind-address. */
const bindAddress = '0.0.0.0';

export async function runUp(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(upCommand, argv);
  if (flags.help) {
    process.stdout.write(helpText(upCommand));
    return;
  }
  const fail = (message: string) => new CliError(`pier up: ${message}`);
  const layout = dataDirLayout(resolve(flags.string('data-dir') ?? defaultDataDir()));
  const port = flags.port('port', 6443);
  const controllerTiming = controllerTimingFlags(flags);
  const serviceClusterIpRange = flags.string('service-cluster-ip-range');
  const withAgent = flags.string('agent') ?? 'true';
  if (withAgent !== 'true' && withAgent !== 'false') throw usageError(upCommand.command, `--agent must be true or false, got "${withAgent}"`);
  if (withAgent === 'true' && process.getuid?.() !== 0) throw fail('the node agent needs root to run containers: run as root, or pass --agent false for a control plane only');
  const nodeCount = flags.integer('nodes', 1, 1, 50);
  // Node 1 is this host when it runs an agent; every other node is a namespace, numbered from 2.
  const namespaceCount = withAgent === 'true' ? nodeCount - 1 : nodeCount > 1 || flags.has('nodes') ? nodeCount : 0;
  let nodeNamespaces: NodeNamespaces | undefined;
  if (namespaceCount > 0) {
    if (process.getuid?.() !== 0) throw fail('namespace nodes need root (network namespaces, containers): run as root');
    try {
      nodeNamespaces = new NodeNamespaces({ prefix: flags.string('node-prefix') ?? defaultNodePrefix, subnet: flags.string('node-subnet') ?? defaultNodeSubnet });
    } catch (err) {
      throw usageError(upCommand.command, (err as Error).message);
    }
  }
  const namespaceNodes: NodeNamespace[] = nodeNamespaces ? Array.from({ length: namespaceCount }, (_, i) => nodeNamespaces!.node(i + 2)) : [];
  const imagesDir = join(layout.dir, 'images');

  let etcdBinary: string;
  try {
    etcdBinary = findEtcdBinary();
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (!(await portFree(port, bindAddress))) throw fail(`port ${port} is already in use: pass --port PORT`);

  mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  let adminToken: string;
  let caPem: string;
  let nodeTokensFound: Map<string, string>;
  const servingNames = () => [...localServingNames(), ...(nodeNamespaces ? [nodeNamespaces.hostAddress] : [])];
  try {
    adminToken = ensureAdminTokenFile(layout.tokenAuthFile);
    // Other machines will reach this server by host name or address (pier join), so they go in the certificate too.
    caPem = ensurePki(layout.pkiDir, servingNames()).ca.certPem;
  } catch (err) {
    throw fail((err as Error).message);
  }
  let joinToken: string;
  const nodeTokens = new Map<string, string>();
  try {
    ({ joinToken, nodeTokens: nodeTokensFound } = ensureClusterTokens(layout.tokenAuthFile, namespaceNodes.map((n) => n.name)));
    for (const [k, v] of nodeTokensFound) nodeTokens.set(k, v);
  } catch (err) {
    throw fail((err as Error).message);
  }

  const etcd = new EtcdProcess({ binary: etcdBinary, dataDir: layout.etcdDataDir, logFile: layout.etcdLog });
  let apiserver: RunningApiServer | undefined;
  let scheduler: RunningScheduler | undefined;
  let stopping = false;
  /**
   * In-process components' warnings, held back a moment: when etcd or the API server dies the components
   * notice first, and pier up's own line should be the one that says why. Dropped once pier up is stopping.
   */
  const componentLog = (component: string) => (err: unknown) => {
    const line = `${component}: ${err instanceof Error ? err.message : String(err)}\n`;
    setTimeout(() => {
      if (!stopping) process.stderr.write(line);
    }, 1000).unref();
  };
  let controllerManager: RunningControllerManager | undefined;
  let agent: RunningAgent | undefined;
  const components: Component[] = [
    { name: 'etcd', start: (onCrash) => etcd.start(onCrash), stop: () => etcd.stop() },
    {
      name: 'apiserver',
      start: async () => {
        // Loaded here, not at the top, so `pier --help` and flag errors stay fast.
        const { runApiServer } = await import('../apiserver/main.ts');
        apiserver = await runApiServer({
          etcdServers: [etcd.endpoint],
          port,
          bindAddress,
          tokenAuthFile: layout.tokenAuthFile,
          pkiDir: layout.pkiDir,
          extraSans: servingNames(),
          ...(serviceClusterIpRange !== undefined ? { serviceClusterIpRange } : {}),
        });
      },
      stop: async () => apiserver?.stop(),
    },
    {
      name: 'scheduler',
      start: async () => {
        const server = `https://127.0.0.1:${apiserver!.port}`;
        await waitReady(`${server}/readyz`, caPem);
        const { runScheduler } = await import('../scheduler/main.ts');
        scheduler = runScheduler({ server, caPem, token: adminToken }, { leaderElect: true, onError: componentLog('scheduler') });
      },
      stop: async () => scheduler?.stop(),
    },
    {
      name: 'controller-manager',
      start: async () => {
        const server = `https://127.0.0.1:${apiserver!.port}`;
        const { runControllerManager } = await import('../controllers/main.ts');
        controllerManager = runControllerManager({ server, caPem, token: adminToken }, { leaderElect: true, onError: componentLog('controller-manager'), ...controllerTiming });
      },
      stop: async () => controllerManager?.stop(),
    },
  ];
  const abortBackground = new AbortController();
  components.push({
    name: 'node-bootstrap',
    start: async () => {
      const access = { server: `https://127.0.0.1:${apiserver!.port}`, caPem, token: adminToken };
      await publishClusterInfo(access, advertisedServer(apiserver!.port, nodeNamespaces));
      const client = new RestClient({ ...access, userAgent: 'pier-up/node-token-approver' });
      const approver = new NodeTokenApprover({
        client,
        tokenAuthFile: layout.tokenAuthFile,
        onApproved: (node) => process.stdout.write(`pier up: node ${node} joined with its own credential\n`),
        onError: (err) => process.stderr.write(`pier up: node token approver: ${(err as Error).message}\n`),
      });
      void approver.run(abortBackground.signal).finally(() => client.close());
    },
    stop: async () => abortBackground.abort(),
  });
  if (nodeNamespaces) {
    const namespaces = nodeNamespaces;
    components.push({
      name: 'node-namespaces',
      start: async () => {
        await namespaces.ensureBridge();
        for (const node of namespaceNodes) await namespaces.add(node.index);
      },
      // Left in place, as the containers are: their pods' network lives in them.
      stop: async () => undefined,
    });
  }
  if (withAgent === 'true') {
    components.push({
      name: 'agent',
      start: async () => {
        const server = `https://127.0.0.1:${apiserver!.port}`;
        const { runAgent } = await import('../agent/main.ts');
        // Any free port for logs/exec/port-forward: the Node reports it, and the API server reads it from there.
        agent = await runAgent(
          { server, caPem, token: adminToken },
          {
            rootDir: layout.agentRootDir,
            port: 0,
            imagesDir,
            clusterNetworking: {},
            onError: componentLog('agent'),
            // The namespace nodes route to this one over the node bridge.
            ...(nodeNamespaces ? { nodeIP: nodeNamespaces.hostAddress } : {}),
          },
        );
      },
      // Stopping the agent leaves containers running, as stopping a kubelet does.
      stop: async () => agent?.stop(),
    });
  }
  if (nodeNamespaces) {
    const namespaces = nodeNamespaces;
    for (const node of namespaceNodes) {
      const child = new NamespaceNodeAgent({
        node,
        server: `https://${namespaces.hostAddress}:${port}`,
        token: nodeTokens.get(node.name)!,
        caFile: join(layout.pkiDir, 'ca.crt'),
        rootDir: join(layout.dir, 'nodes', node.name),
        logFile: join(layout.dir, 'nodes', `${node.name}.log`),
        imagesDir,
        cgroupParent: `/${node.name}.slice`,
      });
      components.push({ name: `node ${node.name}`, start: () => child.start(), stop: () => child.stop() });
    }
  }
  const group = new ComponentGroup(components);
  const say = (line: string) => process.stdout.write(`${line}\n`);

  onShutdownSignal(
    async (signal) => {
      stopping = true;
      say(`pier up: ${signal}, stopping`);
      await group.stop();
    },
    () => etcd.kill(),
  );

  try {
    await group.start((name, err) => {
      stopping = true;
      process.stderr.write(`pier up: ${name} failed: ${err.message}\n`);
      void group.stop().finally(() => process.exit(1));
    });
    say(`pier up: etcd serving on ${etcd.endpoint} (data ${layout.etcdDataDir}, log ${layout.etcdLog})`);
    const server = `https://127.0.0.1:${apiserver!.port}`;
    await waitReady(`${server}/readyz`, caPem);
    writeKubeconfig(layout.kubeconfig, { server, caPem, token: adminToken });
    say(`pier up: API server serving on ${server}`);
    if (agent) say(`pier up: node ${agent.nodeName} (pods ${agent.podCidr}) runs containers, root dir ${layout.agentRootDir}`);
    for (const node of namespaceNodes) say(`pier up: node ${node.name} at ${node.address} (netns ${node.name}), log ${join(layout.dir, 'nodes', `${node.name}.log`)}`);
    say(`pier up: join other hosts with: ${joinCommandLine(advertisedServer(apiserver!.port, undefined), joinToken, caPem)}`);
    say(`pier up: kubeconfig written to ${layout.kubeconfig}`);
    say('');
    say(`  export KUBECONFIG=${layout.kubeconfig}`);
    say('  kubectl get ns');
    say('');
    say('Press Ctrl-C to stop.');
  } catch (err) {
    await group.stop().catch(() => undefined);
    if (err instanceof CliError) throw err;
    throw fail((err as Error).message);
  }
  // Returns with the servers still running: a signal or a crash ends the process.
}

/** The address other hosts dial: this host's first IPv4 address (the node bridge's for namespace nodes). */
function advertisedServer(port: number, namespaces: NodeNamespaces | undefined): string {
  const address = namespaces?.hostAddress ?? localServingNames().find((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)) ?? '127.0.0.1';
  return `https://${address}:${port}`;
}

/**
 * The join token `pier up` prints and each namespace node's own credential,
 * reused from the token file when present so restarts keep them.
 */
function ensureClusterTokens(tokenAuthFile: string, nodeNames: readonly string[]): { joinToken: string; nodeTokens: Map<string, string> } {
  const entries = readTokenFile(tokenAuthFile);
  const added: TokenFileEntry[] = [];
  let joinToken = entries.find((e) => e.user.groups.includes(bootstrappersGroup))?.token;
  if (!joinToken) {
    joinToken = newBootstrapToken();
    added.push(bootstrapTokenEntry(joinToken));
  }
  const nodeTokens = new Map<string, string>();
  for (const name of nodeNames) {
    let token = entries.find((e) => e.user.username === `system:node:${name}`)?.token;
    if (!token) {
      const entry = nodeTokenEntry(name);
      added.push(entry);
      token = entry.token;
    }
    nodeTokens.set(name, token);
  }
  if (added.length > 0) addTokenFileEntries(tokenAuthFile, added);
  return { joinToken, nodeTokens };
}

/** kube-public/cluster-info, as kubeadm publishes it: a kubeconfig with the server and CA, no credentials. */
async function publishClusterInfo(access: ClusterAccess, server: string): Promise<void> {
  const client = new RestClient({ ...access, userAgent: 'pier-up' });
  try {
    const nsPath = { group: '', version: 'v1', plural: 'namespaces' };
    try {
      await client.create(nsPath, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-public' } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const kubeconfig = toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: '', cluster: { server, 'certificate-authority-data': Buffer.from(access.caPem).toString('base64') } }],
      contexts: [],
      users: [],
    });
    const path = { group: '', version: 'v1', plural: 'configmaps', namespace: 'kube-public' };
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig } };
    try {
      await client.create(path, body);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await client.patch({ ...path, name: 'cluster-info' }, 'merge', { data: body.data });
    }
  } finally {
    client.close();
  }
}

interface NamespaceNodeAgentOptions {
  node: NodeNamespace;
  server: string;
  token: string;
  caFile: string;
  rootDir: string;
  logFile: string;
  imagesDir: string;
  cgroupParent: string;
}

/**
 * A namespace node's agent: `pier join` run inside the node's network
 * namespace (nsenter --net only, so mounts and cgroups stay the host's),
 * logging to a file. Its death is reported, not fatal: losing a node is
 * something a cluster lives through.
 */
class NamespaceNodeAgent {
  readonly #o: NamespaceNodeAgentOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;

  constructor(options: NamespaceNodeAgentOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const o = this.#o;
    mkdirSync(o.rootDir, { recursive: true, mode: 0o700 });
    const log = openSync(o.logFile, 'a');
    // The log is appended across restarts: only what this run writes counts.
    const offset = statSync(o.logFile).size;
    const args = [
      `--net=${o.node.netnsPath}`, '--', process.execPath, join(import.meta.dirname, 'main.ts'), 'join',
      '--server', o.server, '--token', o.token, '--ca-cert', o.caFile,
      '--node-name', o.node.name, '--node-ip', o.node.address, '--root-dir', o.rootDir,
      '--cgroup-parent', o.cgroupParent, '--images-dir', o.imagesDir,
    ];
    const child = spawn('nsenter', args, { stdio: ['ignore', log, log], env: process.env });
    closeSync(log);
    this.#child = child;
    this.#exited = new Promise((resolveExit) => child.once('exit', (code, signal) => {
      this.#child = undefined;
      process.stderr.write(`pier up: node ${o.node.name} agent exited (${signal ?? `code ${code}`}); see ${o.logFile}\n`);
      resolveExit();
    }));
    const deadline = Date.now() + 180_000;
    const joined = new RegExp(`node ${o.node.name} .*joined`);
    for (;;) {
      const text = readFileSync(o.logFile, 'utf8');
      if (joined.test(text.slice(offset))) return;
      if (!this.#child) throw new Error(`node ${o.node.name} did not join: ${text.trim().split('\n').slice(-3).join(' | ')}`);
      if (Date.now() > deadline) throw new Error(`node ${o.node.name} did not join within 180 s (see ${o.logFile})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const killed = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(killed);
  }
}
