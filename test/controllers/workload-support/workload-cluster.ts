/**
 * A cluster for the Job and DaemonSet controller tests: real etcd and API
 * server (startTestCluster), the in-process Scheduler, simulated nodes
 * playing the kubelets (runSimNodes), and the controllers under test on a
 * shared informer factory.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { SharedInformerFactory } from '../../../client/cache/informer-factory.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import type { ClusterAccess } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { runSimNodes, type RunningSimNodes } from '../../../agent/simulated/simnodes.ts';
import { newControllerContext, type ControllerContext } from '../../../controllers/controller-context.ts';
import { DaemonSetController } from '../../../controllers/daemon/daemonset-controller.ts';
import { JobController, type JobControllerOptions } from '../../../controllers/job/job-controller.ts';
import { Scheduler } from '../../../scheduler/scheduler.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';

export interface WorkloadCluster {
  c: TestCluster;
  access: ClusterAccess;
  /** Client for test requests (not the controllers'). */
  client: RestClient;
  ctx: ControllerContext;
  jobs?: JobController;
  daemonSets?: DaemonSetController;
  nodes: RunningSimNodes;
  /** Errors the controllers and simulated nodes reported. */
  errors: unknown[];
  namespace(prefix: string): Promise<string>;
  /** More simulated nodes, stopped with the cluster. */
  addNodes(namePrefix: string, count: number): Promise<RunningSimNodes>;
  stop(): Promise<void>;
}

export interface WorkloadClusterOptions {
  jobs?: JobControllerOptions | false;
  daemonSets?: boolean;
  nodeCount: number;
  nodePrefix: string;
}

let seq = 0;

export async function startWorkloadCluster(options: WorkloadClusterOptions): Promise<WorkloadCluster> {
  const c = await startTestCluster();
  const stop = new AbortController();
  const cleanups: Array<() => Promise<void>> = [];
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  try {
    const access = loadKubeconfig(c.kubeconfigPath);
    const client = new RestClient(access);
    cleanups.push(async () => client.close());
    const schedulerClient = new RestClient({ ...access, userAgent: 'pier-scheduler' });
    cleanups.push(async () => schedulerClient.close());
    const scheduling = new Scheduler({ client: schedulerClient, onError: () => undefined }).run(stop.signal);
    cleanups.push(() => scheduling);
    const nodes = await runSimNodes(access, { count: options.nodeCount, namePrefix: options.nodePrefix, leaseRenewIntervalMs: 5_000, onError });
    const simRuns: RunningSimNodes[] = [nodes];
    const controllerClient = new RestClient({ ...access, userAgent: 'pier-controller-manager' });
    const informers = new SharedInformerFactory(controllerClient, { onError });
    const ctx = newControllerContext(controllerClient, informers, onError);
    const jobs = options.jobs === false || options.jobs === undefined ? undefined : new JobController(ctx, options.jobs);
    const daemonSets = options.daemonSets ? new DaemonSetController(ctx) : undefined;
    informers.start(stop.signal);
    const runs = [jobs?.run(stop.signal, 5), daemonSets?.run(stop.signal, 2)];
    if (!(await informers.waitForCacheSync(AbortSignal.timeout(30_000)))) throw new Error('controller informers did not sync within 30 s');
    return {
      c,
      access,
      client,
      ctx,
      ...(jobs ? { jobs } : {}),
      ...(daemonSets ? { daemonSets } : {}),
      nodes,
      errors,
      async namespace(prefix) {
        const name = `${prefix}-${process.pid}-${++seq}`;
        await client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
        return name;
      },
      async addNodes(namePrefix, count) {
        const more = await runSimNodes(access, { count, namePrefix, leaseRenewIntervalMs: 5_000, onError });
        simRuns.push(more);
        return more;
      },
      async stop() {
        stop.abort();
        await Promise.all(runs);
        await informers.shutdown();
        controllerClient.close();
        for (const s of simRuns) await s.stop().catch(() => undefined);
        for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
        await c.stop();
      },
    };
  } catch (err) {
    stop.abort();
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    await c.stop();
    throw err;
  }
}

export { waitFor } from '../../support/wait-for.ts';
