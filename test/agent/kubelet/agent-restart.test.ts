/**
 * The whole agent (runAgent: runtime, image store, CNI network, server,
 * kubelet) restarted under running pods: a still-bound pod's container is
 * kept (same container ID and pid, restart count unchanged), a pod deleted
 * while the agent was down is cleaned up, and the streaming server's
 * runtime adapter finds the kept container's log.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { CriStreamingRuntime } from '../../../agent/kubelet/cri-streaming-runtime.ts';
import type { Pod } from '../../../agent/kubelet/pod-types.ts';
import { runAgent, type RunningAgent } from '../../../agent/main.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { cniPluginDirs } from '../network/network-fixture.ts';
import { busyboxImage, eventually, logContent, startKubeletFixture, type KubeletFixture } from './kubelet-fixture.ts';

let fx: KubeletFixture;
let agent: RunningAgent | undefined;

before(async () => {
  fx = await startKubeletFixture(242);
});

after(async () => {
  await agent?.stop().catch(() => undefined);
  await fx?.teardown();
});

function start(): Promise<RunningAgent> {
  return runAgent(loadKubeconfig(fx.cluster.kubeconfigPath), {
    nodeName: fx.nodeName,
    rootDir: fx.rootDir,
    podCidr: fx.podCidr,
    port: 0,
    nodeIP: '127.0.0.1',
    cgroupParent: fx.cgroupParent,
    network: { bridgeName: fx.bridgeName, networkName: fx.networkName, pluginDirs: cniPluginDirs },
    kubelet: { relistIntervalMs: 500, resyncIntervalMs: 3000, nodeStatusUpdateIntervalMs: 2000, leaseRenewIntervalMs: 2000 },
    onError: (err) => process.stderr.write(`agent: ${err instanceof Error ? err.message : String(err)}\n`),
  });
}

const running = (pod: Pod) =>
  pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined;

async function pidOf(a: RunningAgent, containerId: string): Promise<number> {
  return (JSON.parse((await a.runtime.containerStatus(containerId, true)).info.info ?? '{}') as { pid: number }).pid;
}

test('an agent restart keeps running containers of bound pods and cleans up pods deleted meanwhile', async () => {
  agent = await start();
  assert.ok(agent.port > 0);
  const node = await fx.client.get<Pod>({ group: '', version: 'v1', plural: 'nodes', name: fx.nodeName });
  assert.equal((node.status as unknown as { daemonEndpoints: { kubeletEndpoint: { Port: number } } }).daemonEndpoints.kubeletEndpoint.Port, agent.port);

  await fx.createPod({ metadata: { name: 'survivor' }, spec: { containers: [{ name: 'main', image: busyboxImage, command: ['sh', '-c', 'echo up; exec sleep 3600'] }] } });
  await fx.createPod({ metadata: { name: 'doomed' }, spec: { containers: [{ name: 'main', image: busyboxImage, command: ['sleep', '3600'] }] } });
  const before = await fx.waitForPod('survivor', 'survivor Running', running);
  const doomed = await fx.waitForPod('doomed', 'doomed Running', running);
  const id = before.status!.containerStatuses![0]!.containerID!.slice('runc://'.length);
  const pid = await pidOf(agent, id);
  assert.ok(pid > 0);

  await agent.stop();
  agent = undefined;
  process.kill(pid, 0); // the container outlives the agent

  // Deleted with grace 0 while no agent runs: nobody stops its container yet.
  await fx.client.delete({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name: 'doomed' }, { gracePeriodSeconds: 0 });
  assert.equal(await fx.getPod('doomed'), undefined);

  agent = await start();
  const a = agent;
  // The doomed pod's sandbox and container are removed.
  await eventually('the deleted pod\'s runtime objects to go', async () =>
    (await a.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': doomed.metadata.uid! } })).length === 0,
  );
  // The survivor was adopted, not restarted.
  const after = await fx.waitForPod('survivor', 'survivor still Running', running);
  const cs = after.status!.containerStatuses![0]!;
  assert.equal(cs.containerID, `runc://${id}`);
  assert.equal(cs.restartCount, 0);
  assert.equal(await pidOf(a, id), pid);
  assert.equal(after.status!.containerStatuses![0]!.state.running?.startedAt, before.status!.containerStatuses![0]!.state.running?.startedAt);
  const sandboxes = await a.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': after.metadata.uid! } });
  assert.equal(sandboxes.length, 1);
  // Stable for a few relists: nothing restarts it.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await pidOf(a, id), pid);

  // The streaming server's view of it.
  const streaming = new CriStreamingRuntime(a.runtime);
  const found = await streaming.findContainer('default', 'survivor', 'main');
  assert.equal(found?.containerId, id);
  assert.equal(found?.running, true);
  assert.match(logContent(await readFile(found!.logPath, 'utf8')), /^up$/m);
  assert.equal((await streaming.findSandbox('default', 'survivor'))?.sandboxId, sandboxes[0]!.id);
  assert.equal(await streaming.findContainer('default', 'doomed', undefined), undefined);

  await fx.client.delete({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name: 'survivor' });
  await eventually('survivor to go', async () => (await fx.getPod('survivor')) === undefined);
  assert.throws(() => process.kill(pid, 0));
  const left = await eventually('the host to be clean', async () => {
    const l = await fx.leftovers();
    return l.length === 0 ? l : undefined;
  }, 30_000).catch(() => fx.leftovers());
  assert.deepEqual(left, []);
});
