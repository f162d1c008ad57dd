/**
 * The controller manager as a component (kube-controller-manager): one REST
 * client and one shared informer factory for every controller, leader election
 * on the kube-system/pier-controller-manager Lease, and each enabled controller
 * running with its workers while this process leads. Used by
 * `pier controller-manager` and, in-process, by `pier up`.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { SharedInformerFactory } from '../client/cache/informer-factory.ts';
import type { ClusterAccess } from '../client/kubeconfig.ts';
import { LeaderElector } from '../client/leaderelection/leader-elector.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { newControllerContext, type Controller, type ControllerContext } from './controller-context.ts';
import { controllerDescriptors, type ControllerManagerOptions } from './controller-descriptors.ts';

export interface ControllerManagerFlags extends ControllerManagerOptions {
  leaderElect: boolean;
  /** Lease name in kube-system. */
  leaseName?: string;
  /** Controller names to run; default all. */
  controllers?: readonly string[];
  onError?: (err: unknown) => void;
}

export interface RunningControllerManager {
  stop(): Promise<void>;
}

/** Every controller this build knows, in start order. */
export function knownControllers(): string[] {
  return controllerDescriptors.map((d) => d.name);
}

export function runControllerManager(access: ClusterAccess, flags: ControllerManagerFlags): RunningControllerManager {
  const enabled = new Set(flags.controllers ?? knownControllers());
  for (const name of enabled) if (!knownControllers().includes(name)) throw new Error(`unknown controller "${name}" (known: ${knownControllers().join(', ')})`);
  const client = new RestClient({ ...access, userAgent: 'pier-controller-manager' });
  const stop = new AbortController();
  const onError = flags.onError ?? ((err: unknown) => process.stderr.write(`controller-manager: ${err instanceof Error ? err.message : String(err)}\n`));
  let terms: Promise<void>[] = [];

  const lead = (signal: AbortSignal) => {
    // A fresh informer factory per term: caches start from a list, as after a restart.
    const informers = new SharedInformerFactory(client, { onError });
    const ctx: ControllerContext = newControllerContext(client, informers, onError);
    const controllers: Array<{ controller: Controller; workers: number }> = controllerDescriptors
      .filter((d) => enabled.has(d.name))
      .map((d) => ({ controller: d.create(ctx, flags), workers: d.workers }));
    informers.start(signal);
    terms.push(
      (async () => {
        if (!(await informers.waitForCacheSync(signal))) return;
        await Promise.all(controllers.map(({ controller, workers }) => controller.run(signal, workers).catch(onError)));
        await informers.shutdown();
      })(),
    );
  };

  let election: Promise<void>;
  if (flags.leaderElect) {
    const elector = new LeaderElector({
      client,
      namespace: 'kube-system',
      name: flags.leaseName ?? 'pier-controller-manager',
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
      client.close();
    },
  };
}
