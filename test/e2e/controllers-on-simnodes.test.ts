/**
 * The control plane end to end, as `pier up` runs it: the real controller
 * manager (every controller, one process-wide informer factory), the
 * scheduler and simulated nodes, with kubectl driving. A Deployment scales on
 * simulated nodes, survives the loss of a node within grace + toleration, and
 * is deleted with everything it owns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadKubeconfig, type ClusterAccess } from '../../client/kubeconfig.ts';
import { RestClient } from '../../client/rest/rest-client.ts';
import { runControllerManager, type RunningControllerManager } from '../../controllers/main.ts';
import { runSimNodes, type RunningSimNodes } from '../../agent/simulated/simnodes.ts';
import { runScheduler, type RunningScheduler } from '../../scheduler/main.ts';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';
import { RolloutWatcher } from '../controllers/support/rollout-invariants.ts';
import { labelSelectorFromMetav1 } from '../../client/labels/selector.ts';

const graceMs = 3000;
const tolerationSeconds = 2;

let c: TestCluster;
let access: ClusterAccess;
let client: RestClient;
let manager: RunningControllerManager;
let scheduler: RunningScheduler;
let steady: RunningSimNodes;
let victim: RunningSimNodes | undefined;
const errors: unknown[] = [];

before(async () => {
  c = await startTestCluster();
  access = loadKubeconfig(c.kubeconfigPath);
  client = new RestClient(access);
  steady = await runSimNodes(access, { count: 3, namePrefix: 'steady', leaseRenewIntervalMs: 500 });
  victim = await runSimNodes(access, { count: 1, namePrefix: 'victim', leaseRenewIntervalMs: 500 });
  scheduler = runScheduler(access, { leaderElect: false, onError: (e) => errors.push(e) });
  manager = runControllerManager(access, {
    leaderElect: true,
    nodeMonitorGracePeriodMs: graceMs,
    defaultUnreachableTolerationSeconds: tolerationSeconds,
    onError: (e) => errors.push(e),
  });
});
after(async () => {
  await manager?.stop();
  await scheduler?.stop();
  await victim?.stop();
  await steady?.stop();
  client?.close();
  await c?.stop();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: { cpu: 100m, memory: 64Mi }
`;

interface PodLite {
  metadata: { name?: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string };
}

async function webPods(): Promise<PodLite[]> {
  const list = await client.list<any>({ group: '', version: 'v1', plural: 'pods', namespace: 'default' }, { labelSelector: 'app=web' });
  return list.items as PodLite[];
}

async function availableReplicas(want: number): Promise<void> {
  await waitFor(`web with ${want} available replicas`, async () => {
    const d = await client.get<any>({ group: 'apps', version: 'v1', plural: 'deployments', namespace: 'default', name: 'web' });
    const pods = (await webPods()).filter((p) => !p.metadata.deletionTimestamp);
    return d.status?.availableReplicas === want && d.status?.replicas === want && pods.length === want && pods.every((p) => p.status?.phase === 'Running')
      ? true
      : undefined;
  });
}

describe('controllers, scheduler and simulated nodes together', () => {
  it('runs a Deployment to Running pods spread over the nodes, and kubectl rollout status agrees', async () => {
    const applied = await c.kubectl(['apply', '-f', '-'], { stdin: deployment(6) });
    assert.equal(applied.code, 0, applied.stderr);
    const status = await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /successfully rolled out/);
    await availableReplicas(6);
    const nodes = new Set((await webPods()).map((p) => p.spec.nodeName));
    assert.ok(nodes.size >= 3, `pods on ${[...nodes].join(', ')}`);
  });

  it('scales up and down through kubectl', async () => {
    assert.equal((await c.kubectl(['scale', 'deployment/web', '--replicas=10'])).code, 0);
    await availableReplicas(10);
    assert.equal((await c.kubectl(['scale', 'deployment/web', '--replicas=4'])).code, 0);
    await availableReplicas(4);
  });

  it('rolls out a new image within maxSurge and maxUnavailable at every step, rolls back, pauses and resumes', async () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } };
    assert.equal((await c.kubectl(['patch', 'deployment/web', '--type=merge', '-p', JSON.stringify({ spec: { replicas: 6, strategy } })])).code, 0);
    await availableReplicas(6);
    const watcher = new RolloutWatcher(client, 'default', labelSelectorFromMetav1({ matchLabels: { app: 'web' } }));
    await watcher.start();
    try {
      assert.equal((await c.kubectl(['set', 'image', 'deployment/web', 'web=nginx:1.28'])).code, 0);
      const status = await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
      assert.equal(status.code, 0, status.stderr);
      await availableReplicas(6);
    } finally {
      await watcher.stop();
    }
    assert.ok(watcher.samples.length > 10, `only ${watcher.samples.length} samples`);
    const over = watcher.samples.filter((x) => x.total > 6 + 2);
    const under = watcher.samples.filter((x) => x.available < 6 - 1);
    assert.deepEqual(over.map((x) => x.cause), [], 'more than replicas + maxSurge pods');
    assert.deepEqual(under.map((x) => x.cause), [], 'fewer than replicas - maxUnavailable available');
    assert.ok(watcher.samples.some((x) => x.total > 6), 'the surge was never used');

    const undo = await c.kubectl(['rollout', 'undo', 'deployment/web']);
    assert.equal(undo.code, 0, undo.stderr);
    assert.equal((await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'])).code, 0);
    const images = async () => new Set((await client.list<any>({ group: '', version: 'v1', plural: 'pods', namespace: 'default' }, { labelSelector: 'app=web' })).items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => p.spec.containers[0].image));
    await waitFor('pods back on nginx:1.27', async () => ((await images()).size === 1 && (await images()).has('nginx:1.27') ? true : undefined));
    const history = await c.kubectl(['rollout', 'history', 'deployment/web']);
    assert.match(history.stdout, /^2\s/m);
    assert.match(history.stdout, /^3\s/m);

    assert.equal((await c.kubectl(['rollout', 'pause', 'deployment/web'])).code, 0);
    assert.equal((await c.kubectl(['set', 'image', 'deployment/web', 'web=nginx:1.29'])).code, 0);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual([...(await images())], ['nginx:1.27'], 'a paused deployment rolled out');
    assert.equal((await c.kubectl(['rollout', 'resume', 'deployment/web'])).code, 0);
    assert.equal((await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'])).code, 0);
    await waitFor('pods on nginx:1.29', async () => ((await images()).size === 1 && (await images()).has('nginx:1.29') ? true : undefined));
    assert.equal((await c.kubectl(['scale', 'deployment/web', '--replicas=4'])).code, 0);
    await availableReplicas(4);
  });

  it('recreates the pods of a lost node elsewhere within grace + toleration', async () => {
    // Put pods on the victim for sure: cordon the others while scaling up.
    for (const n of ['steady-0', 'steady-1', 'steady-2']) assert.equal((await c.kubectl(['cordon', n])).code, 0);
    assert.equal((await c.kubectl(['scale', 'deployment/web', '--replicas=6'])).code, 0);
    await availableReplicas(6);
    for (const n of ['steady-0', 'steady-1', 'steady-2']) assert.equal((await c.kubectl(['uncordon', n])).code, 0);
    const onVictim = (await webPods()).filter((p) => p.spec.nodeName === 'victim-0').map((p) => p.metadata.name);
    assert.ok(onVictim.length >= 2, `only ${onVictim.length} pods on the victim`);

    const lost = Date.now();
    await victim!.stop();
    victim = undefined;
    const node = await waitFor('victim-0 Ready=Unknown with the unreachable taint', async () => {
      const n = await client.get<any>({ group: '', version: 'v1', plural: 'nodes', name: 'victim-0' });
      const ready = n.status.conditions.find((x: any) => x.type === 'Ready');
      const tainted = (n.spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
      return ready?.status === 'Unknown' && tainted ? n : undefined;
    });
    assert.ok(node);
    const unknownAfter = Date.now() - lost;
    await waitFor('the victim pods replaced on the other nodes', async () => {
      const pods = await webPods();
      const live = pods.filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName !== 'victim-0' && p.status?.phase === 'Running');
      return live.length === 6 ? true : undefined;
    });
    const recovered = Date.now() - lost;
    // Lease renew interval + grace + monitor period + toleration, with room for a loaded machine.
    assert.ok(recovered < graceMs + tolerationSeconds * 1000 + 20_000, `took ${recovered} ms`);
    assert.ok(unknownAfter >= graceMs - 1000, `node marked unknown after ${unknownAfter} ms, before the grace period`);
    process.stdout.write(`# node lost: Ready=Unknown after ${unknownAfter} ms, 6 pods running elsewhere after ${recovered} ms (grace ${graceMs} ms, toleration ${tolerationSeconds} s)\n`);
  });

  it('deletes the Deployment with its ReplicaSets and Pods', async () => {
    const res = await c.kubectl(['delete', 'deployment', 'web']);
    assert.equal(res.code, 0, res.stderr);
    await waitFor('ReplicaSets and pods gone', async () => {
      const rs = await client.list({ group: 'apps', version: 'v1', plural: 'replicasets', namespace: 'default' });
      const pods = (await webPods()).filter((p) => p.spec.nodeName !== 'victim-0');
      return rs.items.length === 0 && pods.length === 0 ? true : undefined;
    });
  });

  it('reported no controller or scheduler errors', () => {
    const real = errors.filter((e) => !/409|Conflict|the object has been modified/i.test(String(e)));
    assert.deepEqual(real.map(String), []);
  });
});
