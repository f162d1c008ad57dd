/** `pier controller-manager`: runs the controllers (ReplicaSet, Deployment, GC, ...) against an API server. */
import { resolve } from 'node:path';
import { usageError } from './cli-error.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { onShutdownSignal } from './signals.ts';
import { clusterAccessFor } from './cluster-access.ts';

export const controllerManagerCommand: CommandSpec = {
  command: 'pier controller-manager',
  summary: 'run the controllers (replicasets, deployments, garbage collection, nodes, ...)',
  description:
    'Watches the cluster through the API server and drives it toward what its objects ask for.\n' +
    'With leader election on (the default), several managers may run; one acts and another takes\n' +
    'over within the lease duration (15 s) if it dies.',
  flags: [
    { name: 'kubeconfig', value: 'FILE', help: 'kubeconfig with the API server address and credentials (required)' },
    { name: 'leader-elect', value: 'true|false', help: 'elect a leader on the kube-system/pier-controller-manager Lease', defaultText: 'true' },
    { name: 'controllers', value: 'NAMES', help: 'comma-separated controllers to run', defaultText: 'all' },
    { name: 'node-monitor-grace-period', value: 'DURATION', help: 'how long a node may go without renewing its Lease before it is Ready=Unknown', defaultText: '40s' },
    {
      name: 'default-unreachable-toleration-seconds',
      value: 'N',
      help: 'tolerationSeconds for pods without a toleration of unreachable/not-ready nodes',
      defaultText: '300',
    },
    { name: 'terminated-pod-gc-threshold', value: 'N', help: 'terminated pods kept before the oldest are deleted; 0 keeps all', defaultText: '12500' },
  ],
};

/** Parses the flags `pier up` shares with `pier controller-manager`. */
export function controllerTimingFlags(flags: ReturnType<typeof parseFlags>): { nodeMonitorGracePeriodMs: number; defaultUnreachableTolerationSeconds: number } {
  return {
    nodeMonitorGracePeriodMs: flags.duration('node-monitor-grace-period', 40_000),
    defaultUnreachableTolerationSeconds: flags.integer('default-unreachable-toleration-seconds', 300, 0, 86_400 * 365),
  };
}

export async function runControllerManagerCommand(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(controllerManagerCommand, argv);
  if (flags.help) {
    process.stdout.write(helpText(controllerManagerCommand));
    return;
  }
  const command = controllerManagerCommand.command;
  const kubeconfig = resolve(flags.required('kubeconfig'));
  const leaderElect = flags.string('leader-elect') ?? 'true';
  if (leaderElect !== 'true' && leaderElect !== 'false') throw usageError(command, `--leader-elect must be true or false, got "${leaderElect}"`);
  const timing = controllerTimingFlags(flags);
  const terminatedPodGcThreshold = flags.integer('terminated-pod-gc-threshold', 12_500, 0);
  const { knownControllers, runControllerManager } = await import('../controllers/main.ts');
  const requested = flags.list('controllers');
  const controllers = requested === undefined || (requested.length === 1 && requested[0] === '*') ? knownControllers() : requested;
  const unknown = controllers.filter((c) => !knownControllers().includes(c));
  if (unknown.length > 0) throw usageError(command, `unknown controller "${unknown[0]}" (known: ${knownControllers().join(', ')})`);
  const access = clusterAccessFor(command, kubeconfig);
  const manager = runControllerManager(access, { leaderElect: leaderElect === 'true', controllers, ...timing, terminatedPodGcThreshold });
  process.stdout.write(
    `${command}: running ${controllers.join(', ') || 'no controllers'} against ${access.server}${leaderElect === 'true' ? ' (leader election on kube-system/pier-controller-manager)' : ''}\n`,
  );
  onShutdownSignal(
    async () => {
      await manager.stop();
    },
    () => process.exit(1),
  );
}
