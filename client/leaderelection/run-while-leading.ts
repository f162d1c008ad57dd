/**
 * How a component runs its work only while it leads (kube-scheduler's and
 * kube-controller-manager's `leaderElectAndRun`): `lead(signal)` starts a
 * term and returns the promise of its work; with election off, one term runs
 * until stop. Stopping waits for the election loop and every term.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { RestClient } from '../rest/rest-client.ts';
import { LeaderElector } from './leader-elector.ts';

export interface RunWhileLeadingOptions {
  client: RestClient;
  /** Elect on the kube-system/<leaseName> Lease; false runs one term at once. */
  leaderElect: boolean;
  leaseName: string;
  /** Starts a term; the work should end when `signal` aborts. */
  lead(signal: AbortSignal): Promise<void>;
}

export interface Leading {
  stop(): Promise<void>;
}

export function runWhileLeading(options: RunWhileLeadingOptions): Leading {
  const stop = new AbortController();
  let terms: Promise<void>[] = [];
  const lead = (signal: AbortSignal) => void terms.push(options.lead(signal));
  let election: Promise<void>;
  if (options.leaderElect) {
    const elector = new LeaderElector({
      client: options.client,
      namespace: 'kube-system',
      name: options.leaseName,
      // As client-go's default identity: the host plus a unique suffix, so two processes on one host differ.
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
      await Promise.all(terms);
      terms = [];
    },
  };
}
