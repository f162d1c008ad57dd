/**
 * `pier simnodes`: many simulated nodes in one process, in the spirit of kwok.
 * Registers N Nodes (or takes over existing ones of the same names), keeps
 * their Leases renewed, and plays the kubelet for the pods bound to them
 * (PodSimulator). All writes go through one concurrency limiter so thousands
 * of nodes cannot flood the API server.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { metaNow } from '../../client/api/meta-time.ts';
import type { ClusterAccess } from '../../client/kubeconfig.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import { ConcurrencyLimiter } from '../../client/rest/concurrency-limiter.ts';
import { RestClient } from '../../client/rest/rest-client.ts';
import { NodeLeaseRenewer } from './node-lease-renewer.ts';
import { PodSimulator } from './pod-simulator.ts';
import { defaultSimulatedCapacity, nodeConditions, simulatedNode, simulatedNodeIp, type SimulatedNodeCapacity } from './simulated-node.ts';

export interface SimNodesOptions {
  count: number;
  /** Nodes are named `${namePrefix}-0` … `${namePrefix}-${count - 1}`. Default `sim`. */
  namePrefix?: string;
  /** Index of the first node (to run several simnodes processes side by side). Default 0. */
  startIndex?: number;
  capacity?: SimulatedNodeCapacity;
  /** How often each node renews its Lease. Default 10 s (a quarter of the 40 s lease duration, as the kubelet). */
  leaseRenewIntervalMs?: number;
  /** Requests in flight at once. Default 64. */
  maxInFlight?: number;
  onError?: (err: unknown) => void;
}

export interface RunningSimNodes {
  readonly nodeNames: readonly string[];
  stop(): Promise<void>;
}

const nodesPath = { group: '', version: 'v1', plural: 'nodes' } as const;

export function simulatedNodeName(prefix: string, index: number): string {
  return `${prefix}-${index}`;
}

/** Registers the nodes and starts simulating them; resolves once every node and lease exists. */
export async function runSimNodes(access: ClusterAccess, options: SimNodesOptions): Promise<RunningSimNodes> {
  const prefix = options.namePrefix ?? 'sim';
  const start = options.startIndex ?? 0;
  const capacity = options.capacity ?? defaultSimulatedCapacity;
  const onError = options.onError ?? ((err: unknown) => process.stderr.write(`simnodes: ${err instanceof Error ? err.message : String(err)}\n`));
  const maxInFlight = options.maxInFlight ?? 64;
  const client = new RestClient({ ...access, maxSockets: maxInFlight + 8, userAgent: 'pier-simnodes' });
  const limiter = new ConcurrencyLimiter(maxInFlight);
  const stop = new AbortController();

  const nodes = new Map<string, { index: number; ip: string }>();
  for (let i = start; i < start + options.count; i++) nodes.set(simulatedNodeName(prefix, i), { index: i, ip: simulatedNodeIp(i) });
  const renewer = new NodeLeaseRenewer({ client, limiter, renewIntervalMs: options.leaseRenewIntervalMs ?? 10_000, onError });
  const pods = new PodSimulator({ client, limiter, nodes, workers: maxInFlight, onError });

  try {
    // Pods first: a pod bound the moment its node appears is seen by the informer's list or watch.
    const podsRunning = pods.run(stop.signal);
    await Promise.all(
      [...nodes].map(async ([name, { index }]) => {
        const node = await limiter.run(() => registerNode(client, simulatedNode(name, index, capacity)));
        renewer.add({ name, uid: node.metadata.uid! });
      }),
    );
    await renewer.renewAll();
    const renewing = renewer.run(stop.signal);
    await pods.informer.waitForCacheSync(stop.signal);
    return {
      nodeNames: [...nodes.keys()],
      async stop() {
        stop.abort();
        await Promise.all([podsRunning, renewing]);
        client.close();
      },
    };
  } catch (err) {
    stop.abort();
    client.close();
    throw err;
  }
}

/**
 * Creates the Node; if it exists (a restarted simnodes), reports it healthy
 * again through /status, as a kubelet re-registering does.
 */
async function registerNode(client: RestClient, node: KubeObject): Promise<KubeObject> {
  try {
    return await client.create(nodesPath, node);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 409) throw err;
  }
  const existing = await client.get({ ...nodesPath, name: node.metadata.name! });
  const status = { ...(existing as { status?: object }).status, conditions: nodeConditions(metaNow()) };
  return client.patch({ ...nodesPath, name: node.metadata.name!, subresource: 'status' }, 'merge', { status });
}
