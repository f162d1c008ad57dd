/** `pier agent`: the node agent (kubelet, container runtime, pod network) on this host. */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { CliError, usageError } from './cli-error.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { onShutdownSignal } from './signals.ts';
import { clusterAccessFor } from './cluster-access.ts';

export const agentCommand: CommandSpec = {
  command: 'pier agent',
  summary: 'run the node agent (kubelet and container runtime) on this host',
  description:
    'Registers this host as a Node, renews its Lease in kube-node-lease and runs the pods bound to it\n' +
    'as containers (runc or crun under conmon, CNI bridge networking), reporting their status as the\n' +
    'kubelet does. Serves container logs, exec and port-forward on --port. Must run as root. Stopping\n' +
    'the agent leaves the containers running; the next agent over the same --root-dir adopts them.',
  flags: [
    { name: 'kubeconfig', value: 'FILE', help: 'kubeconfig with the API server address and credentials (required)' },
    { name: 'node-name', value: 'NAME', help: 'name of the Node', defaultText: 'the host name' },
    { name: 'root-dir', value: 'DIR', help: 'where containers, images, volumes and logs live', defaultText: '/var/lib/pier/agent' },
    { name: 'pod-cidr', value: 'CIDR', help: "this node's pod address range", defaultText: "the Node's spec.podCIDR, else 10.88.0.0/24" },
    { name: 'runtime', value: 'runc|crun', help: 'OCI runtime', defaultText: 'runc' },
    { name: 'allow-privileged', help: 'allow privileged containers' },
    { name: 'node-ip', value: 'IP', help: "the Node's InternalIP", defaultText: 'the primary IPv4 address' },
    { name: 'port', value: 'PORT', help: 'port of the logs/exec/port-forward server', defaultText: '10250' },
  ],
};

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ipv4Cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export async function runAgentCommand(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(agentCommand, argv);
  if (flags.help) {
    process.stdout.write(helpText(agentCommand));
    return;
  }
  const command = agentCommand.command;
  const kubeconfig = resolve(flags.required('kubeconfig'));
  const nodeName = flags.string('node-name') ?? hostname().toLowerCase();
  if (!dns1123Subdomain.test(nodeName) || nodeName.length > 253) {
    throw usageError(command, `--node-name must be a lowercase DNS subdomain (letters, digits, '-' and '.'), got "${nodeName}"`);
  }
  const rootDir = resolve(flags.string('root-dir') ?? '/var/lib/pier/agent');
  const podCidr = flags.string('pod-cidr');
  if (podCidr !== undefined) {
    const m = ipv4Cidr.exec(podCidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 30) {
      throw usageError(command, `--pod-cidr must be an IPv4 CIDR such as 10.88.0.0/24, got "${podCidr}"`);
    }
  }
  const runtime = flags.string('runtime') ?? 'runc';
  if (runtime !== 'runc' && runtime !== 'crun') throw usageError(command, `--runtime must be runc or crun, got "${runtime}"`);
  const nodeIP = flags.string('node-ip');
  if (nodeIP !== undefined && isIP(nodeIP) !== 4) throw usageError(command, `--node-ip must be an IPv4 address, got "${nodeIP}"`);
  const port = flags.port('port', 10250, true);
  if (process.getuid?.() !== 0) throw new CliError(`${command}: must run as root (it creates containers, mounts and network namespaces)`);
  const access = clusterAccessFor(command, kubeconfig);
  const { runAgent } = await import('../agent/main.ts');
  let agent;
  try {
    agent = await runAgent(access, {
      nodeName,
      rootDir,
      runtime,
      allowPrivileged: flags.has('allow-privileged'),
      port,
      // A node of a cluster: routes to the other nodes' pods, the Service proxy and cluster DNS.
      clusterNetworking: {},
      ...(podCidr !== undefined ? { podCidr } : {}),
      ...(nodeIP !== undefined ? { nodeIP } : {}),
      onError: (err) => process.stderr.write(`${command}: ${err instanceof Error ? err.message : String(err)}\n`),
    });
  } catch (err) {
    throw new CliError(`${command}: ${(err as Error).message}`);
  }
  process.stdout.write(
    `${command}: node ${agent.nodeName} (pod CIDR ${agent.podCidr}) registered with ${access.server}; serving on port ${agent.port}\n`,
  );
  onShutdownSignal(
    async () => {
      await agent.stop();
    },
    () => process.exit(1),
  );
}
