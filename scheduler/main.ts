/**
 * Runs the scheduler as a component: a REST client from cluster access, leader
 * election on the `kube-system/pier-scheduler` Lease (so a second scheduler
 * stands by), and the scheduling loop while this one leads. Used by
 * `pier scheduler` and, in-process, by `pier up`.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ClusterAccess } from '../client/kubeconfig.ts';
import { LeaderElector } from '../client/leaderelection/leader-elector.ts';
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
  const stop = new AbortController();
  const onError = flags.onError ?? ((err: unknown) => process.stderr.write(`scheduler: ${err instanceof Error ? err.message : String(err)}\n`));
  let loops: Promise<void>[] = [];
  const lead = (signal: AbortSignal) => {
    // A fresh scheduler per term: its caches start from a list, as after a restart.
    loops.push(new Scheduler({ client, onError }).run(signal).catch(onError));
  };
  let election: Promise<void>;
  if (flags.leaderElect) {
    const elector = new LeaderElector({
      client,
      namespace: 'kube-system',
      name: flags.leaseName ?? 'pier-scheduler',
      identity: `${hostname()}_${randomUUID()}`,
      onStartedLeading: lead,
      onStoppedLeading: () => undefined,
    });
    election = elector.run(stop.signal);
  } else {
    lead(stop.signal);
    election = Promise.resolve();
  }
  return {
    async stop() {
      stop.abort();
      await election;
      await Promise.all(loops);
      loops = [];
      client.close();
    },
  };
}
