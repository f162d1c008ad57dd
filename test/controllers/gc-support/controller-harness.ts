/**
 * Runs controllers the way the controller manager will: one REST client, one
 * shared informer factory started after the controllers are constructed,
 * against a real etcd + API server (startTestCluster).
 */
import { SharedInformerFactory } from '../../../client/cache/informer-factory.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { type Controller, type ControllerContext, newControllerContext } from '../../../controllers/controller-context.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';

export interface ControllerHarness {
  cluster: TestCluster;
  client: RestClient;
  ctx: ControllerContext;
  /** Errors controllers reported through ctx.onError. */
  errors: unknown[];
  /** Starts the factory and runs the controllers (construct them with `ctx` first). */
  start(controllers: Controller[], workers?: number): void;
  stop(): Promise<void>;
}

export async function startControllerHarness(): Promise<ControllerHarness> {
  const cluster = await startTestCluster();
  const client = new RestClient({ ...loadKubeconfig(cluster.kubeconfigPath), userAgent: 'pier-controller-test' });
  const errors: unknown[] = [];
  const onError = (err: unknown) => {
    errors.push(err);
    if (process.env.PIER_TEST_VERBOSE) console.warn('controller error:', err);
  };
  const informers = new SharedInformerFactory(client, { onError });
  const ctx = newControllerContext(client, informers, onError);
  const abort = new AbortController();
  const running: Array<Promise<void>> = [];
  return {
    cluster,
    client,
    ctx,
    errors,
    start(controllers, workers = 2) {
      informers.start(abort.signal);
      for (const c of controllers) running.push(c.run(abort.signal, workers).catch((err) => void errors.push(err)));
    },
    async stop() {
      abort.abort();
      await Promise.all(running);
      await informers.shutdown();
      client.close();
      await cluster.stop();
    },
  };
}

export { waitFor, holdsFor } from '../../support/wait-for.ts';
