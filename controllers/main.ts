/**
 * The controller manager as a component (kube-controller-manager): one REST
 * client and one shared informer factory for every controller, leader election
 * on the kube-system/pier-controller-manager Lease, and each enabled controller
 * running with its workers while this process leads. Used by
 * `pier controller-manager` and, in-process, by `pier up`.
 */
import { SharedInformerFactory } from '../client/cache/informer-factory.ts';
import type { ClusterAccess } from '../client/kubeconfig.ts';
import { runWhileLeading } from '../client/leaderelection/run-while-leading.ts';
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
  const onError = flags.onError ?? ((err: unknown) => process.stderr.write(`controller-manager: ${err instanceof Error ? err.message : String(err)}\n`));
  const leading = runWhileLeading({
    client,
    leaderElect: flags.leaderElect,
    leaseName: flags.leaseName ?? 'pier-controller-manager',
    async lead(signal) {
      // A fresh informer factory per term: caches start from a list, as after a restart.
      const informers = new SharedInformerFactory(client, { onError });
      const ctx: ControllerContext = newControllerContext(client, informers, onError);
      const controllers: Array<{ controller: Controller; workers: number }> = controllerDescriptors
        .filter((d) => enabled.has(d.name))
        .map((d) => ({ controller: d.create(ctx, flags), workers: d.workers }));
      informers.start(signal);
      if (!(await informers.waitForCacheSync(signal))) return;
      await Promise.all(controllers.map(({ controller, workers }) => controller.run(signal, workers).catch(onError)));
      await informers.shutdown();
    },
  });
  return {
    async stop() {
      await leading.stop();
      client.close();
    },
  };
}
