/**
 * A control plane for the Endpoints, EndpointSlice and node IPAM controller
 * tests: real etcd and API server, one shared informer factory, the
 * controllers under test, and helpers that play the node agent by writing
 * pod status (podIP, Ready) through pods/status.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { metaNow } from '../../client/api/meta-time.ts';
import { SharedInformerFactory } from '../../client/cache/informer-factory.ts';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { RestClient } from '../../client/rest/rest-client.ts';
import { newControllerContext, type Controller, type ControllerContext } from '../../controllers/controller-context.ts';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';

export interface EndpointHarness {
  c: TestCluster;
  client: RestClient;
  errors: unknown[];
  namespace(prefix: string): Promise<string>;
  /** Starts controllers built from a fresh context; returns a stop function for just them. */
  startControllers(build: (ctx: ControllerContext) => Controller[]): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

let seq = 0;

export async function startEndpointHarness(): Promise<EndpointHarness> {
  const c = await startTestCluster();
  const access = loadKubeconfig(c.kubeconfigPath);
  const client = new RestClient(access);
  const errors: unknown[] = [];
  const running: Array<() => Promise<void>> = [];
  return {
    c,
    client,
    errors,
    async namespace(prefix) {
      const name = `${prefix}-${process.pid}-${++seq}`;
      await client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
      return name;
    },
    async startControllers(build) {
      const controllerClient = new RestClient({ ...access, userAgent: 'pier-controller-manager' });
      const onError = (err: unknown) => errors.push(err);
      const informers = new SharedInformerFactory(controllerClient, { onError });
      const ctx = newControllerContext(controllerClient, informers, onError);
      const controllers = build(ctx);
      const abort = new AbortController();
      informers.start(abort.signal);
      const runs = controllers.map((ctrl) => ctrl.run(abort.signal, 2));
      if (!(await informers.waitForCacheSync(AbortSignal.timeout(30_000)))) throw new Error('informers did not sync within 30 s');
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          abort.abort();
          await Promise.all(runs);
          await informers.shutdown();
          controllerClient.close();
        })());
      running.push(stop);
      return stop;
    },
    async stop() {
      for (const stop of running) await stop();
      client.close();
      await c.stop();
    },
  };
}

export const podsPath = (namespace: string, name?: string) => ({ group: '', version: 'v1', plural: 'pods', namespace, ...(name ? { name } : {}) });
export const nodesPath = (name?: string) => ({ group: '', version: 'v1', plural: 'nodes', ...(name ? { name } : {}) });
export const servicesPath = (namespace: string, name?: string) => ({ group: '', version: 'v1', plural: 'services', namespace, ...(name ? { name } : {}) });
export const endpointsPath = (namespace: string, name?: string) => ({ group: '', version: 'v1', plural: 'endpoints', namespace, ...(name ? { name } : {}) });
export const slicesPath = (namespace: string) => ({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace });

export interface PodOptions {
  labels?: Record<string, string>;
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
}

export function pod(name: string, opts: PodOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: opts.labels ?? {} },
    spec: {
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.hostname ? { hostname: opts.hostname } : {}),
      ...(opts.subdomain ? { subdomain: opts.subdomain } : {}),
      containers: [{ name: 'c', image: 'nginx:1.27', ...(opts.ports ? { ports: opts.ports } : {}) }],
    },
  };
}

/** What the node agent would report through pods/status: Running with an IP, Ready or not. */
export async function setPodStatus(client: RestClient, namespace: string, name: string, ip: string | undefined, ready: boolean): Promise<void> {
  const now = metaNow();
  await client.patch({ ...podsPath(namespace, name), subresource: 'status' }, 'merge', {
    status: {
      phase: 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
      ],
    },
  });
}


export function errorText(errors: unknown[]): string {
  return errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n');
}

export { waitFor } from '../support/wait-for.ts';
