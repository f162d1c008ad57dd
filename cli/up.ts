/**
 * `pier up`: a whole single-node cluster in one command. Starts etcd, makes
 * the PKI and admin token if absent, runs the API server in-process, writes
 * `<data-dir>/kubeconfig` once `/readyz` answers, and stops everything on
 * SIGINT/SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureAdminTokenFile } from '../apiserver/authn/token-file.ts';
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
import { portFree } from './ports.ts';
import { onShutdownSignal } from './signals.ts';
import { waitReady } from './wait-ready.ts';

export const upCommand: CommandSpec = {
  command: 'pier up',
  summary: 'run a single-node cluster (etcd, API server, scheduler, controllers, node agent)',
  description:
    'Starts etcd, the API server, the scheduler, the controller manager and a node agent for this host,\n' +
    'creating the CA, serving certificate and admin token on first use, and writes DIR/kubeconfig.\n' +
    'Runs until interrupted (Ctrl-C or SIGTERM), then stops them all; containers keep running, as\n' +
    'they do when a kubelet stops, and are reconciled when pier up starts again.',
  flags: [
    { name: 'data-dir', value: 'DIR', help: 'where etcd data, PKI, tokens and the kubeconfig live', defaultText: '$XDG_DATA_HOME/pier or ~/.local/share/pier' },
    { name: 'port', value: 'PORT', help: 'API server port', defaultText: '6443' },
    { name: 'service-cluster-ip-range', value: 'CIDR', help: 'IPv4 range Service ClusterIPs are allocated from', defaultText: '10.96.0.0/12' },
    { name: 'agent', value: 'true|false', help: 'run a node agent on this host (needs root, runc and the CNI plugins)', defaultText: 'true' },
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
  try {
    adminToken = ensureAdminTokenFile(layout.tokenAuthFile);
    // Other machines will reach this server by host name or address (pier join), so they go in the certificate too.
    caPem = ensurePki(layout.pkiDir, localServingNames()).ca.certPem;
  } catch (err) {
    throw fail((err as Error).message);
  }

  const etcd = new EtcdProcess({ binary: etcdBinary, dataDir: layout.etcdDataDir, logFile: layout.etcdLog });
  let apiserver: RunningApiServer | undefined;
  let scheduler: RunningScheduler | undefined;
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
          extraSans: localServingNames(),
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
        scheduler = runScheduler({ server, caPem, token: adminToken }, { leaderElect: true });
      },
      stop: async () => scheduler?.stop(),
    },
    {
      name: 'controller-manager',
      start: async () => {
        const server = `https://127.0.0.1:${apiserver!.port}`;
        const { runControllerManager } = await import('../controllers/main.ts');
        controllerManager = runControllerManager({ server, caPem, token: adminToken }, { leaderElect: true, ...controllerTiming });
      },
      stop: async () => controllerManager?.stop(),
    },
  ];
  if (withAgent === 'true') {
    components.push({
      name: 'agent',
      start: async () => {
        const server = `https://127.0.0.1:${apiserver!.port}`;
        const { runAgent } = await import('../agent/main.ts');
        // Any free port for logs/exec/port-forward: the Node reports it, and the API server reads it from there.
        agent = await runAgent({ server, caPem, token: adminToken }, { rootDir: layout.agentRootDir, port: 0 });
      },
      // Stopping the agent leaves containers running, as stopping a kubelet does.
      stop: async () => agent?.stop(),
    });
  }
  const group = new ComponentGroup(components);
  const say = (line: string) => process.stdout.write(`${line}\n`);

  onShutdownSignal(
    async (signal) => {
      say(`pier up: ${signal}, stopping`);
      await group.stop();
    },
    () => etcd.kill(),
  );

  try {
    await group.start((name, err) => {
      process.stderr.write(`pier up: ${name} failed: ${err.message}\n`);
      void group.stop().finally(() => process.exit(1));
    });
    say(`pier up: etcd serving on ${etcd.endpoint} (data ${layout.etcdDataDir}, log ${layout.etcdLog})`);
    const server = `https://127.0.0.1:${apiserver!.port}`;
    await waitReady(`${server}/readyz`, caPem);
    writeKubeconfig(layout.kubeconfig, { server, caPem, token: adminToken });
    say(`pier up: API server serving on ${server}`);
    if (agent) say(`pier up: node ${agent.nodeName} (pods ${agent.podCidr}) runs containers, root dir ${layout.agentRootDir}`);
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
