/** `pier scheduler`: places pending pods on nodes, talking to the API server only. */
import { resolve } from 'node:path';
import { usageError } from './cli-error.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { onShutdownSignal } from './signals.ts';
import { clusterAccessFor } from './cluster-access.ts';

export const schedulerCommand: CommandSpec = {
  command: 'pier scheduler',
  summary: 'run the scheduler against an API server',
  description:
    'Watches pods and nodes through the API server and binds each pending pod to a node that fits\n' +
    '(filters and scores as kube-scheduler). With leader election on (the default), several schedulers\n' +
    'may run; one places pods and another takes over within the lease duration (15 s) if it dies.',
  flags: [
    { name: 'kubeconfig', value: 'FILE', help: 'kubeconfig with the API server address and credentials (required)' },
    { name: 'leader-elect', value: 'true|false', help: 'elect a leader on the kube-system/pier-scheduler Lease', defaultText: 'true' },
  ],
};

export async function runSchedulerCommand(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(schedulerCommand, argv);
  if (flags.help) {
    process.stdout.write(helpText(schedulerCommand));
    return;
  }
  const command = schedulerCommand.command;
  const kubeconfig = resolve(flags.required('kubeconfig'));
  const leaderElect = flags.string('leader-elect') ?? 'true';
  if (leaderElect !== 'true' && leaderElect !== 'false') throw usageError(command, `--leader-elect must be true or false, got "${leaderElect}"`);
  const access = clusterAccessFor(command, kubeconfig);
  const { runScheduler } = await import('../scheduler/main.ts');
  const scheduler = runScheduler(access, { leaderElect: leaderElect === 'true' });
  process.stdout.write(`${command}: scheduling against ${access.server}${leaderElect === 'true' ? ' (leader election on kube-system/pier-scheduler)' : ''}\n`);
  onShutdownSignal(
    async () => {
      await scheduler.stop();
    },
    () => process.exit(1),
  );
}
