/** `pier simnodes`: registers N simulated nodes and plays their kubelets (no containers run). */
import { resolve } from 'node:path';
import { parseQuantity } from '../client/api/quantity.ts';
import { CliError, usageError } from './cli-error.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { onShutdownSignal } from './signals.ts';
import { clusterAccessFor } from './cluster-access.ts';

export const simnodesCommand: CommandSpec = {
  command: 'pier simnodes',
  summary: 'run many simulated nodes (kwok-style) against an API server',
  description:
    'Registers nodes P-0 … P-(N-1) with the given capacity, renews their Leases in kube-node-lease,\n' +
    'reports pods bound to them as Running and Ready, and completes their graceful deletion, as a\n' +
    'kubelet would, but runs no containers. Pods with restartPolicy Never/OnFailure and the annotation\n' +
    'simnodes.pier.dev/exit-code finish with that code after simnodes.pier.dev/run-seconds.',
  flags: [
    { name: 'kubeconfig', value: 'FILE', help: 'kubeconfig with the API server address and credentials (required)' },
    { name: 'count', value: 'N', help: 'number of nodes (required)' },
    { name: 'name-prefix', value: 'P', help: 'node name prefix', defaultText: 'sim' },
    { name: 'start-index', value: 'I', help: 'index of the first node, to split nodes over processes', defaultText: '0' },
    { name: 'cpu', value: 'QUANTITY', help: 'cpu capacity of each node', defaultText: '32' },
    { name: 'memory', value: 'QUANTITY', help: 'memory capacity of each node', defaultText: '256Gi' },
    { name: 'pods', value: 'N', help: 'pod capacity of each node', defaultText: '110' },
    { name: 'ephemeral-storage', value: 'QUANTITY', help: 'ephemeral-storage capacity of each node', defaultText: '100Gi' },
    { name: 'lease-renew-interval', value: 'DURATION', help: 'how often each node renews its Lease', defaultText: '10s' },
    { name: 'max-in-flight', value: 'N', help: 'API requests in flight at once', defaultText: '64' },
  ],
};

const dns1123Prefix = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export async function runSimNodesCommand(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(simnodesCommand, argv);
  if (flags.help) {
    process.stdout.write(helpText(simnodesCommand));
    return;
  }
  const command = simnodesCommand.command;
  const kubeconfig = resolve(flags.required('kubeconfig'));
  flags.required('count');
  const count = flags.integer('count', 0, 1, 100_000);
  const namePrefix = flags.string('name-prefix') ?? 'sim';
  if (!dns1123Prefix.test(namePrefix) || namePrefix.length > 200) {
    throw usageError(command, `--name-prefix must be lowercase letters, digits and '-', starting and ending with a letter or digit, got "${namePrefix}"`);
  }
  const quantity = (name: string, fallback: string) => {
    const text = flags.string(name) ?? fallback;
    try {
      parseQuantity(text);
    } catch {
      throw usageError(command, `--${name} must be a quantity such as 4, 500m or 8Gi, got "${text}"`);
    }
    return text;
  };
  const capacity = {
    cpu: quantity('cpu', '32'),
    memory: quantity('memory', '256Gi'),
    pods: String(flags.integer('pods', 110, 1, 100_000)),
    ephemeralStorage: quantity('ephemeral-storage', '100Gi'),
  };
  const startIndex = flags.integer('start-index', 0, 0, 1_000_000);
  const leaseRenewIntervalMs = flags.duration('lease-renew-interval', 10_000);
  if (leaseRenewIntervalMs < 100) throw usageError(command, '--lease-renew-interval must be at least 100ms');
  const maxInFlight = flags.integer('max-in-flight', 64, 1, 4096);
  const access = clusterAccessFor(command, kubeconfig);
  const { runSimNodes } = await import('../agent/simulated/simnodes.ts');
  const started = Date.now();
  let nodes;
  try {
    nodes = await runSimNodes(access, { count, namePrefix, startIndex, capacity, leaseRenewIntervalMs, maxInFlight });
  } catch (err) {
    throw new CliError(`${command}: registering nodes: ${(err as Error).message}`);
  }
  const last = startIndex + count - 1;
  process.stdout.write(
    `${command}: ${count} node(s) ${namePrefix}-${startIndex}${count > 1 ? ` … ${namePrefix}-${last}` : ''} ready against ${access.server} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  onShutdownSignal(
    async () => {
      await nodes.stop();
    },
    () => process.exit(1),
  );
}
