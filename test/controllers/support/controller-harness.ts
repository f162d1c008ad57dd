/**
 * A control plane with the workload controllers for tests: real etcd and API
 * server (startTestCluster), a shared informer factory, the ReplicaSet and/or
 * Deployment controllers, and PodReadiness standing in for the node agent.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { SharedInformerFactory } from '../../../client/cache/informer-factory.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { newControllerContext, type ControllerContext } from '../../../controllers/controller-context.ts';
import { DeploymentController } from '../../../controllers/deployment/deployment-controller.ts';
import { ReplicaSetController } from '../../../controllers/replicaset/replicaset-controller.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';
import { PodReadiness } from './pod-readiness.ts';

export interface ControllerHarness {
  c: TestCluster;
  /** Client for test requests (not the controllers'). */
  client: RestClient;
  ctx: ControllerContext;
  replicaSets?: ReplicaSetController;
  deployments?: DeploymentController;
  readiness: PodReadiness;
  /** Errors the controllers reported. */
  errors: unknown[];
  /** A fresh namespace, created in the API. */
  namespace(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  replicaSets?: boolean;
  deployments?: boolean;
  /** The controllers' client (default: a plain RestClient on the cluster). */
  controllerClient?: (access: ReturnType<typeof loadKubeconfig>) => RestClient;
  readinessDelayMs?: number;
}

let seq = 0;

export async function startControllerHarness(options: HarnessOptions = {}): Promise<ControllerHarness> {
  const c = await startTestCluster();
  const access = loadKubeconfig(c.kubeconfigPath);
  const client = new RestClient(access);
  const controllerClient = options.controllerClient?.(access) ?? new RestClient({ ...access, userAgent: 'pier-controller-manager' });
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  const informers = new SharedInformerFactory(controllerClient, { onError });
  const ctx = newControllerContext(controllerClient, informers, onError);
  const replicaSets = options.replicaSets !== false ? new ReplicaSetController(ctx) : undefined;
  const deployments = options.deployments ? new DeploymentController(ctx) : undefined;
  const readiness = new PodReadiness(client, { delayMs: options.readinessDelayMs ?? 100, onError });
  const stop = new AbortController();
  informers.start(stop.signal);
  const runs = [replicaSets?.run(stop.signal, 5), deployments?.run(stop.signal, 5)];
  await readiness.start();
  if (!(await informers.waitForCacheSync(AbortSignal.timeout(30_000)))) throw new Error('controller informers did not sync within 30 s');
  return {
    c,
    client,
    ctx,
    ...(replicaSets ? { replicaSets } : {}),
    ...(deployments ? { deployments } : {}),
    readiness,
    errors,
    async namespace(prefix) {
      const name = `${prefix}-${process.pid}-${++seq}`;
      await client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
      return name;
    },
    async stop() {
      stop.abort();
      await Promise.all(runs);
      await informers.shutdown();
      await readiness.stop();
      client.close();
      controllerClient.close();
      await c.stop();
    },
  };
}

export { waitFor } from '../../support/wait-for.ts';
