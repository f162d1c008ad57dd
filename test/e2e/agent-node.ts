/**
 * A one-node cluster for end-to-end tests: real etcd and API server
 * (startTestCluster, via the kubelet fixture, which also imports the busybox
 * image and picks a unique bridge, network name, pod CIDR and cgroup parent),
 * the in-process scheduler, and the whole agent (runAgent: runtime with runc
 * and conmon, image store, CNI network, streaming server) driven by the real
 * kubectl. Network namespaces go in a directory of their own so they can be
 * counted exactly while other tests run beside this one.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAgent, type RunningAgent } from '../../agent/main.ts';
import { cgroupLeftovers } from '../../agent/runtime/cgroups.ts';
import { mountsUnder } from '../../agent/runtime/mountinfo.ts';
import { Runc } from '../../agent/runtime/runc.ts';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { runScheduler, type RunningScheduler } from '../../scheduler/main.ts';
import { startKubeletFixture, type KubeletFixture } from '../agent/kubelet/kubelet-fixture.ts';
import { bridgePorts, cniPluginDirs, trySh } from '../agent/network/network-fixture.ts';
import { runcBinary, shimProcesses } from '../agent/runtime/runtime-fixture.ts';
import type { KubectlResult } from '../support/test-cluster.ts';
import { eventually } from '../support/wait-for.ts';

export { busyboxImage } from '../agent/kubelet/kubelet-fixture.ts';

/** What one node leaves on the host, by kind; all zero on a clean node. */
export interface HostFootprint {
  mounts: string[];
  runcContainers: string[];
  conmons: string[];
  netns: string[];
  veths: string[];
  cgroups: string[];
  ipLeases: string[];
}

export interface AgentNode {
  fx: KubeletFixture;
  agent: RunningAgent | undefined;
  netnsDir: string;
  /** Starts an agent over the node's root dir (again after stopAgent: a restart). */
  startAgent(): Promise<RunningAgent>;
  stopAgent(): Promise<void>;
  kubectl(args: string[], opts?: { allowFailure?: boolean; stdin?: string }): Promise<KubectlResult>;
  /** `kubectl get pod NAME -o json`, parsed. */
  pod(name: string): Promise<any>;
  /** Polls `kubectl get pod -o json` until `check` returns a value; the failure names the last status. */
  waitForPod<T>(name: string, what: string, check: (pod: any) => T | undefined | false, timeoutMs?: number): Promise<T>;
  footprint(): Promise<HostFootprint>;
  teardown(): Promise<void>;
}

export { eventually } from '../support/wait-for.ts';

/** Waits (30 s) for the node's host footprint to return to `baseline`, which must itself be clean. */
export async function assertHostAsBefore(node: AgentNode, baseline: HostFootprint): Promise<void> {
  const clean = await eventually('the host back to where it was', async () => {
    const now = await node.footprint();
    return JSON.stringify(now) === JSON.stringify(baseline) ? now : undefined;
  }, 30_000).catch(() => node.footprint());
  assert.deepEqual(clean, baseline);
  assert.deepEqual(baseline, { mounts: [], runcContainers: [], conmons: [], netns: [], veths: [], cgroups: [], ipLeases: [] });
}

export const isReady = (pod: any): boolean =>
  pod?.status?.phase === 'Running' && pod.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

/** `apiVersion: v1, kind: Pod` YAML is JSON too; kubectl apply reads either. */
export function podManifest(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { e2e: 'agent', ...labels } }, spec: { terminationGracePeriodSeconds: 10, ...spec } });
}

/**
 * One agent node for a whole test file: started in `before` (with the host's footprint taken right
 * after, for assertHostAsBefore) and torn down in `after`, even when tests fail.
 */
export function agentNodeForFile(secondOctet: number): { readonly node: AgentNode; readonly baseline: HostFootprint } {
  let node: AgentNode | undefined;
  let baseline: HostFootprint | undefined;
  before(async () => {
    node = await startAgentNode(secondOctet);
    baseline = await node.footprint();
  });
  after(async () => {
    await node?.teardown();
  });
  return {
    get node() {
      if (!node) throw new Error('the agent node is not started yet (use it inside tests)');
      return node;
    },
    get baseline() {
      if (!baseline) throw new Error('the agent node is not started yet (use it inside tests)');
      return baseline;
    },
  };
}

export async function startAgentNode(secondOctet: number): Promise<AgentNode> {
  const fx = await startKubeletFixture(secondOctet);
  const netnsDir = `/run/pier-e2e-${fx.tag}-netns`;
  let scheduler: RunningScheduler | undefined;
  const access = loadKubeconfig(fx.cluster.kubeconfigPath);
  const node: AgentNode = {
    fx,
    agent: undefined,
    netnsDir,
    async startAgent() {
      node.agent = await runAgent(access, {
        nodeName: fx.nodeName,
        rootDir: fx.rootDir,
        podCidr: fx.podCidr,
        port: 0,
        nodeIP: '127.0.0.1',
        cgroupParent: fx.cgroupParent,
        network: { bridgeName: fx.bridgeName, networkName: fx.networkName, pluginDirs: cniPluginDirs, netnsDir },
        kubelet: {
          relistIntervalMs: 500,
          resyncIntervalMs: 3000,
          nodeStatusUpdateIntervalMs: 2000,
          leaseRenewIntervalMs: 2000,
          // Shorter than kubelet's 10 s → 5 min so a crash loop shows several restarts within a test.
          crashLoopBackoff: { initialMs: 2000, maxMs: 10_000 },
        },
        onError: (err) => process.stderr.write(`agent ${fx.nodeName}: ${err instanceof Error ? err.message : String(err)}\n`),
      });
      return node.agent;
    },
    async stopAgent() {
      const a = node.agent;
      node.agent = undefined;
      await a?.stop();
    },
    kubectl: (args, opts) => fx.cluster.kubectl(args, opts),
    async pod(name) {
      return JSON.parse((await fx.cluster.kubectl(['get', 'pod', name, '-o', 'json'])).stdout);
    },
    async waitForPod(name, what, check, timeoutMs = 120_000) {
      let last: any;
      try {
        return await eventually(what, async () => {
          last = await node.pod(name);
          return check(last);
        }, timeoutMs);
      } catch (err) {
        const events = await fx.events(name).catch(() => []);
        throw new Error(`${(err as Error).message}\npod status: ${JSON.stringify(last?.status, null, 1)}\nevents:\n${events.join('\n')}`);
      }
    },
    async footprint() {
      const runc = new Runc(runcBinary, join(fx.rootDir, 'runtime', 'runc'));
      const cgroups: string[] = [];
      for (const dir of await cgroupLeftovers(fx.cgroupParent)) {
        const children = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
        cgroups.push(...children.map((c) => `${dir}/${c.name}`));
      }
      const ipamDir = join(fx.rootDir, 'network', 'ipam', fx.networkName);
      return {
        mounts: await mountsUnder(fx.rootDir),
        runcContainers: (await runc.list().catch(() => [])).map((c) => `${c.id} (${c.status})`),
        conmons: (await shimProcesses(fx.rootDir)).filter((p) => /conmon/.test(p)),
        netns: await readdir(netnsDir).catch(() => [] as string[]),
        veths: await bridgePorts(fx.bridgeName),
        cgroups,
        // host-local keeps one file per leased address, named by it.
        ipLeases: (await readdir(ipamDir).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)),
      };
    },
    async teardown() {
      await scheduler?.stop().catch(() => undefined);
      scheduler = undefined;
      // Pods first, through the agent, so it can stop them its own way; brute force below for the rest.
      if (node.agent) {
        await fx.cluster.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=false'], { allowFailure: true }).catch(() => undefined);
        await eventually('the pods to go', async () => (await fx.client.list({ group: '', version: 'v1', plural: 'pods', namespace: 'default' })).items.length === 0, 30_000).catch(
          () => undefined,
        );
      }
      await node.stopAgent().catch(() => undefined);
      // The kubelet fixture removes sandboxes, runc containers, mounts, cgroups, the bridge, the cluster and the root dir.
      await fx.teardown();
      for (const name of await readdir(netnsDir).catch(() => [] as string[])) await trySh('umount', ['-l', join(netnsDir, name)]);
      await rm(netnsDir, { recursive: true, force: true });
    },
  };
  try {
    scheduler = runScheduler(access, { leaderElect: false, onError: (err) => process.stderr.write(`scheduler: ${err instanceof Error ? err.message : String(err)}\n`) });
    await node.startAgent();
  } catch (err) {
    await node.teardown();
    throw err;
  }
  return node;
}
