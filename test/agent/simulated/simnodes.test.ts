/**
 * Simulated nodes against a real etcd and API server, with the real scheduler:
 * nodes register Ready with capacity and renewed Leases, bound pods turn
 * Running and Ready (as kubectl shows them), graceful deletion completes,
 * finishing pods end Succeeded/Failed, and a restarted simnodes takes its
 * nodes over without errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadKubeconfig, type ClusterAccess } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { runSimNodes, type RunningSimNodes } from '../../../agent/simulated/simnodes.ts';
import { simulatedExitCodeAnnotation, simulatedRunSecondsAnnotation } from '../../../agent/simulated/pod-simulator.ts';
import { Scheduler } from '../../../scheduler/scheduler.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';

let c: TestCluster;
let access: ClusterAccess;
let client: RestClient;
let sim: RunningSimNodes | undefined;
const stopScheduler = new AbortController();
let scheduling: Promise<void>;
const errors: unknown[] = [];

before(async () => {
  c = await startTestCluster();
  access = loadKubeconfig(c.kubeconfigPath);
  client = new RestClient(access);
  scheduling = new Scheduler({ client, onError: () => undefined }).run(stopScheduler.signal);
  sim = await runSimNodes(access, { count: 3, namePrefix: 'simtest', leaseRenewIntervalMs: 500, onError: (e) => errors.push(e) });
});
after(async () => {
  await sim?.stop();
  stopScheduler.abort();
  await scheduling;
  client?.close();
  await c?.stop();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pod = (name: string, extra: { annotations?: Record<string, string>; restartPolicy?: string } = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: {
    ...(extra.restartPolicy ? { restartPolicy: extra.restartPolicy } : {}),
    containers: [
      { name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' } } },
      { name: 'sidecar', image: 'nginx:1.27' },
    ],
  },
});

describe('pier simnodes', () => {
  it('registers Ready nodes with capacity, addresses and the kubelet version', async () => {
    const res = await c.kubectl(['get', 'nodes', '-l', 'pier.dev/simulated=true', '-o', 'wide', '--no-headers']);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines.length, 3, res.stdout);
    for (const [i, line] of lines.entries()) {
      assert.match(line, new RegExp(`^simtest-${i}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\.0-pier-sim\\s+172\\.16\\.0\\.${i}\\s`));
    }
    const node = await client.get<any>({ group: '', version: 'v1', plural: 'nodes', name: 'simtest-1' });
    assert.deepEqual(node.status.allocatable, { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' });
    assert.deepEqual(
      node.status.conditions.map((x: any) => `${x.type}=${x.status}`),
      ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True'],
    );
  });

  it('keeps a Lease per node renewed in kube-node-lease, owned by its Node', async () => {
    const path = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease', name: 'simtest-2' };
    const first = await client.get<any>(path);
    assert.equal(first.spec.holderIdentity, 'simtest-2');
    assert.equal(first.spec.leaseDurationSeconds, 40);
    assert.equal(first.metadata.ownerReferences[0].kind, 'Node');
    const renewed = await waitFor('a renewal', async () => {
      const now = await client.get<any>(path);
      return now.spec.renewTime !== first.spec.renewTime ? now : undefined;
    });
    assert.ok(Date.parse(renewed.spec.renewTime) > Date.parse(first.spec.renewTime));
    assert.match(renewed.spec.renewTime, /\.\d{6}Z$/);
  });

  it('reports a bound pod Running and Ready with its containers, as kubectl shows it', async () => {
    await client.create({ group: '', version: 'v1', plural: 'pods', namespace: 'default' }, pod('web') as any);
    const running = await waitFor('web Running', async () => {
      const p = await client.get<any>({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name: 'web' });
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.match(running.spec.nodeName, /^simtest-\d$/);
    assert.match(running.status.podIP, /^10\.128\.\d+\.\d+$/);
    assert.equal(running.status.hostIP, `172.16.0.${running.spec.nodeName.slice(-1)}`);
    assert.deepEqual(running.status.containerStatuses.map((s: any) => [s.name, s.ready, Object.keys(s.state)[0]]), [
      ['app', true, 'running'],
      ['sidecar', true, 'running'],
    ]);
    const res = await c.kubectl(['get', 'pod', 'web', '--no-headers']);
    assert.match(res.stdout, /^web\s+2\/2\s+Running\s+0\s+/);
  });

  it('completes graceful deletion, so kubectl delete returns once the pod is gone', async () => {
    await client.create({ group: '', version: 'v1', plural: 'pods', namespace: 'default' }, pod('doomed') as any);
    await waitFor('doomed Running', async () => {
      const p = await client.get<any>({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name: 'doomed' });
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const started = Date.now();
    const res = await c.kubectl(['delete', 'pod', 'doomed', '--timeout=20s']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(Date.now() - started < 20_000);
    const gone = await c.server.api('GET', '/api/v1/namespaces/default/pods/doomed');
    assert.equal(gone.statusCode, 404);
  });

  it('finishes pods that may complete, with the annotated exit code', async () => {
    await client.create({ group: '', version: 'v1', plural: 'pods', namespace: 'default' },
      pod('ok-job', { restartPolicy: 'Never', annotations: { [simulatedExitCodeAnnotation]: '0', [simulatedRunSecondsAnnotation]: '1' } }) as any);
    await client.create({ group: '', version: 'v1', plural: 'pods', namespace: 'default' },
      pod('bad-job', { restartPolicy: 'OnFailure', annotations: { [simulatedExitCodeAnnotation]: '3' } }) as any);
    const phaseOf = (name: string, want: string) =>
      waitFor(`${name} ${want}`, async () => {
        const p = await client.get<any>({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name });
        return p.status?.phase === want ? p : undefined;
      });
    const ok = await phaseOf('ok-job', 'Succeeded');
    assert.equal(ok.status.containerStatuses[0].state.terminated.reason, 'Completed');
    const bad = await phaseOf('bad-job', 'Failed');
    assert.equal(bad.status.containerStatuses[0].state.terminated.exitCode, 3);
    assert.equal(bad.status.containerStatuses[0].state.terminated.reason, 'Error');
    // A pod that restarts Always never finishes, annotation or not.
    await client.create({ group: '', version: 'v1', plural: 'pods', namespace: 'default' }, pod('forever', { annotations: { [simulatedExitCodeAnnotation]: '0' } }) as any);
    await phaseOf('forever', 'Running');
    await new Promise((r) => setTimeout(r, 1500));
    const still = await client.get<any>({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name: 'forever' });
    assert.equal(still.status.phase, 'Running');
  });

  it('takes over its nodes after a restart, and reports no errors', async () => {
    await sim!.stop();
    sim = undefined;
    sim = await runSimNodes(access, { count: 3, namePrefix: 'simtest', leaseRenewIntervalMs: 500, onError: (e) => errors.push(e) });
    const res = await c.kubectl(['get', 'nodes', '-l', 'pier.dev/simulated=true', '--no-headers']);
    assert.equal(res.stdout.trim().split('\n').filter((l) => /\sReady\s/.test(l)).length, 3, res.stdout);
    assert.deepEqual(errors.map(String), []);
  });

  it('holds a thousand nodes in one process', async () => {
    const started = Date.now();
    const many = await runSimNodes(access, { count: 1000, namePrefix: 'bulk', leaseRenewIntervalMs: 10_000, onError: (e) => errors.push(e) });
    try {
      const took = Date.now() - started;
      const list = await client.list({ group: '', version: 'v1', plural: 'nodes' }, { labelSelector: 'pier.dev/simulated=true' });
      assert.equal(list.items.filter((n) => n.metadata.name!.startsWith('bulk-')).length, 1000);
      const leases = await client.list({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease' });
      assert.equal(leases.items.filter((n) => n.metadata.name!.startsWith('bulk-')).length, 1000);
      process.stdout.write(`# 1,000 simulated nodes and leases registered in ${(took / 1000).toFixed(1)} s\n`);
    } finally {
      await many.stop();
    }
    assert.deepEqual(errors.map(String), []);
  });
});
