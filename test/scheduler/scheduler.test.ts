/**
 * The scheduler loop against a real API server: pods are bound to nodes that
 * fit, capacity is never double-booked, a pod that fits nowhere is reported the
 * Kubernetes way, and it is placed once a node that fits joins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { RestClient } from '../../client/rest/rest-client.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';

let c: TestCluster;
let client: RestClient;
const stop = new AbortController();
let running: Promise<void>;

before(async () => {
  c = await startTestCluster();
  client = new RestClient(loadKubeconfig(c.kubeconfigPath));
  const scheduler = new Scheduler({ client, onError: () => undefined });
  running = scheduler.run(stop.signal);
});
after(async () => {
  stop.abort();
  await running;
  client?.close();
  await c?.stop();
});

const node = (name: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { capacity: { cpu, memory: '8Gi', pods: '110' }, allocatable: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (name: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] },
});

async function addNode(name: string, cpu: string): Promise<void> {
  const body = node(name, cpu);
  const created = await c.server.api('POST', '/api/v1/nodes', body);
  assert.equal(created.statusCode, 201, created.text);
  // Status is written through /status, as an agent does.
  const status = await c.server.api('PUT', `/api/v1/nodes/${name}/status`, { ...created.json, status: body.status });
  assert.equal(status.statusCode, 200, status.text);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const nodeOf = async (name: string) => (await c.server.api('GET', `/api/v1/namespaces/default/pods/${name}`)).json.spec.nodeName as string | undefined;

describe('Scheduler', () => {
  it('binds pods within capacity and never double-books a node', async () => {
    await addNode('n1', '1');
    await addNode('n2', '1');
    for (let i = 0; i < 4; i++) assert.equal((await c.server.api('POST', '/api/v1/namespaces/default/pods', pod(`half-${i}`, '500m'))).statusCode, 201);
    const placed = await Promise.all([0, 1, 2, 3].map((i) => waitFor(`half-${i} bound`, () => nodeOf(`half-${i}`))));
    assert.deepEqual(placed.filter((n) => n === 'n1').length, 2);
    assert.deepEqual(placed.filter((n) => n === 'n2').length, 2);
  });

  it('reports a pod that fits nowhere, then places it when a node that fits joins', async () => {
    await c.server.api('POST', '/api/v1/namespaces/default/pods', pod('big', '2'));
    const condition = await waitFor('PodScheduled=False', async () => {
      const p = (await c.server.api('GET', '/api/v1/namespaces/default/pods/big')).json;
      return p.status?.conditions?.find((x: { type: string; status: string }) => x.type === 'PodScheduled' && x.status === 'False');
    });
    assert.equal(condition.reason, 'Unschedulable');
    assert.equal(condition.message, '0/2 nodes are available: 2 Insufficient cpu.');
    const event = await waitFor('a FailedScheduling event', async () => {
      const events = await c.server.api('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dbig,reason%3DFailedScheduling');
      return events.json.items[0];
    });
    assert.equal(event.type, 'Warning');
    const described = await c.kubectl(['describe', 'pod', 'big']);
    assert.match(described.stdout, /Warning\s+FailedScheduling\s+.*0\/2 nodes are available: 2 Insufficient cpu\./);
    await addNode('n3', '4');
    assert.equal(await waitFor('big bound', () => nodeOf('big')), 'n3');
  });
});
