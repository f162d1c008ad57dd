/**
 * Runs the scheduler as a component: a REST client from cluster access, leader
 * election on the `kube-system/pier-scheduler` Lease (so a second scheduler
 * stands by), and the scheduling loop while this one leads. Used by
 * `pier scheduler` and, in-process, by `pier up`.
 */
import type { ClusterAccess } from '../client/kubeconfig.ts';
import { runWhileLeading } from '../client/leaderelection/run-while-leading.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { Scheduler } from './scheduler.ts';

export interface SchedulerFlags {
  leaderElect: boolean;
  /** Lease name in kube-system. */
  leaseName?: string;
  onError?: (err: unknown) => void;
}

export interface RunningScheduler {
  stop(): Promise<void>;
}

export function runScheduler(access: ClusterAccess, flags: SchedulerFlags): RunningScheduler {
  const client = new RestClient(access);
  const onError = flags.onError ?? ((err: unknown) => process.stderr.write(`scheduler: ${err instanceof Error ? err.message : String(err)}\n`));
  const leading = runWhileLeading({
    client,
    leaderElect: flags.leaderElect,
    leaseName: flags.leaseName ?? 'pier-scheduler',
    // A fresh scheduler per term: its caches start from a list, as after a restart.
    lead: (signal) => new Scheduler({ client, onError }).run(signal).catch(onError),
  });
  return {
    async stop() {
      await leading.stop();
      client.close();
    },
  };
}
