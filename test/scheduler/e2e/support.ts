/**
 * The fixture for the scheduler's end-to-end tests: a real etcd and API server
 * per test file with a Scheduler running in-process against it, builders that
 * create Nodes (status through /status, as an agent writes it) and Pods
 * (without nodeName, so the scheduler must bind them), and polling waits.
 *
 * The scheduler sees every node in the cluster, so exact assertions need a
 * cluster whose nodes all belong to the running test: `fresh()` deletes every
 * node and pod and waits until the scheduler's cache and queue are empty.
 */
import assert from 'node:assert/strict';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import type { Affinity, Node, Pod, PodCondition, ResourceList, Taint, Toleration } from '../../../scheduler/framework/types.ts';
import { Scheduler } from '../../../scheduler/scheduler.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';

/** One cluster with one in-process scheduler, shared by the tests of a file. */
export interface SchedulerE2E {
  c: TestCluster;
  client: RestClient;
  scheduler: Scheduler;
  /** Everything the scheduler reported through onError. */
  errors: unknown[];
  /** Deletes every node and pod, waits until the scheduler forgot them, and creates namespace `ns`. */
  fresh(ns: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSchedulerE2E(): Promise<SchedulerE2E> {
  const c = await startTestCluster();
  const client = new RestClient(loadKubeconfig(c.kubeconfigPath));
  const errors: unknown[] = [];
  const scheduler = new Scheduler({ client, onError: (err) => errors.push(err) });
  const abort = new AbortController();
  const running = scheduler.run(abort.signal);
  let failed: unknown;
  running.catch((err: unknown) => (failed = err));
  return {
    c,
    client,
    scheduler,
    errors,
    async fresh(ns) {
      if (failed !== undefined) throw new Error(`the scheduler loop died: ${String(failed)}`);
      await deleteEverything(c);
      await waitFor('the scheduler to forget the previous test', async () => {
        const q = scheduler.queue.lengths;
        return scheduler.cache.nodeCount === 0 && q.active + q.backoff + q.unschedulable === 0 ? true : undefined;
      });
      await createNamespace(c, ns);
    },
    async stop() {
      abort.abort();
      await running.catch(() => undefined);
      client.close();
      await c.stop();
    },
  };
}

export async function deleteEverything(c: TestCluster): Promise<void> {
  const nodes = await c.server.api('GET', '/api/v1/nodes');
  assert.equal(nodes.statusCode, 200, nodes.text);
  const pods = await c.server.api('GET', '/api/v1/pods');
  assert.equal(pods.statusCode, 200, pods.text);
  await Promise.all([
    ...(pods.json.items as Pod[]).map((p) => deletePod(c, p.metadata.namespace!, p.metadata.name!)),
    ...(nodes.json.items as Node[]).map(async (n) => {
      const r = await c.server.api('DELETE', `/api/v1/nodes/${n.metadata.name}`);
      assert.ok(r.statusCode === 200 || r.statusCode === 404, r.text);
    }),
  ]);
}

export async function createNamespace(c: TestCluster, name: string): Promise<void> {
  const r = await c.server.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  assert.ok(r.statusCode === 201 || r.statusCode === 409, r.text);
}

/** Polls `probe` every 50 ms until it returns something other than undefined. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

export function nodeObject(name: string, o: NodeOptions = {}): Node {
  const allocatable: ResourceList = {
    cpu: o.cpu ?? '4',
    memory: o.memory ?? '8Gi',
    pods: o.pods ?? '110',
    'ephemeral-storage': o.ephemeralStorage ?? '100Gi',
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** POSTs the node, then writes its status through /status as an agent does. */
export async function createNode(c: TestCluster, name: string, o: NodeOptions = {}): Promise<Node> {
  const body = nodeObject(name, o);
  const created = await c.server.api('POST', '/api/v1/nodes', body);
  assert.equal(created.statusCode, 201, created.text);
  const status = await c.server.api('PUT', `/api/v1/nodes/${name}/status`, { ...created.json, status: body.status });
  assert.equal(status.statusCode, 200, status.text);
  return status.json as Node;
}

export async function patchNode(c: TestCluster, name: string, patch: unknown): Promise<Node> {
  const r = await c.server.api('PATCH', `/api/v1/nodes/${name}`, patch, { 'content-type': 'application/merge-patch+json' });
  assert.equal(r.statusCode, 200, r.text);
  return r.json as Node;
}

export interface PodOptions {
  cpu?: string;
  memory?: string;
  ephemeralStorage?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  hostPorts?: { port: number; protocol?: 'TCP' | 'UDP' }[];
  /** A controller ownerReference to a ReplicaSet with this uid. */
  ownerUID?: string;
  schedulerName?: string;
}

export function podObject(namespace: string, name: string, o: PodOptions = {}): Pod {
  const requests: ResourceList = {};
  if (o.cpu !== undefined) requests['cpu'] = o.cpu;
  if (o.memory !== undefined) requests['memory'] = o.memory;
  if (o.ephemeralStorage !== undefined) requests['ephemeral-storage'] = o.ephemeralStorage;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      ...(o.ownerUID
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${o.ownerUID}`, uid: o.ownerUID, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
          ...(o.hostPorts ? { ports: o.hostPorts.map((p) => ({ containerPort: p.port, hostPort: p.port, protocol: p.protocol ?? 'TCP' })) } : {}),
        },
      ],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.schedulerName ? { schedulerName: o.schedulerName } : {}),
    },
  };
}

export async function createPod(c: TestCluster, namespace: string, name: string, o: PodOptions = {}): Promise<Pod> {
  const r = await c.server.api('POST', `/api/v1/namespaces/${namespace}/pods`, podObject(namespace, name, o));
  assert.equal(r.statusCode, 201, r.text);
  return r.json as Pod;
}

export async function getPod(c: TestCluster, namespace: string, name: string): Promise<Pod> {
  const r = await c.server.api('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
  assert.equal(r.statusCode, 200, r.text);
  return r.json as Pod;
}

export async function listPods(c: TestCluster, namespace: string): Promise<Pod[]> {
  const r = await c.server.api('GET', `/api/v1/namespaces/${namespace}/pods`);
  assert.equal(r.statusCode, 200, r.text);
  return r.json.items as Pod[];
}

/** Deletes at once (grace period 0): a bound pod would otherwise wait for a kubelet that is not there. */
export async function deletePod(c: TestCluster, namespace: string, name: string): Promise<void> {
  const r = await c.server.api('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}?gracePeriodSeconds=0`);
  assert.ok(r.statusCode === 200 || r.statusCode === 404, r.text);
}

export function podScheduledCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
}

/** The node the scheduler bound the pod to. */
export function waitForNodeName(c: TestCluster, namespace: string, name: string, ms = 15_000): Promise<string> {
  return waitFor(`${namespace}/${name} to be bound`, async () => (await getPod(c, namespace, name)).spec.nodeName || undefined, ms);
}

/** The PodScheduled=False condition once the scheduler gave up on its first attempt; fails if the pod gets bound. */
export function waitForUnschedulable(c: TestCluster, namespace: string, name: string, ms = 15_000): Promise<PodCondition> {
  return waitFor(`${namespace}/${name} to be reported unschedulable`, async () => {
    const pod = await getPod(c, namespace, name);
    assert.equal(pod.spec.nodeName, undefined, `${namespace}/${name} was bound to ${pod.spec.nodeName}, expected it to fit nowhere`);
    const cond = podScheduledCondition(pod);
    return cond?.status === 'False' ? cond : undefined;
  }, ms);
}

/** Creates a pod and returns the node it was bound to. */
export async function schedule(c: TestCluster, namespace: string, name: string, o: PodOptions = {}): Promise<string> {
  await createPod(c, namespace, name, o);
  return waitForNodeName(c, namespace, name);
}

/** Creates a pod that must fit nowhere and returns the scheduler's message. */
export async function scheduleUnschedulable(c: TestCluster, namespace: string, name: string, o: PodOptions = {}): Promise<string> {
  await createPod(c, namespace, name, o);
  const cond = await waitForUnschedulable(c, namespace, name);
  assert.equal(cond.reason, 'Unschedulable');
  return cond.message ?? '';
}
