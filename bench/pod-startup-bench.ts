/**
 * Pod startup latency on a real node (`node bench/pod-startup-bench.ts`).
 * A fresh etcd and `pier apiserver` and `pier scheduler` processes, and the
 * real agent (runAgent: runc + conmon, image store, CNI bridge), run in this
 * process so its runtime and network calls can be timed, with the busybox
 * image imported beforehand (pre-pulled, as Kubernetes' pod startup SLO
 * excludes image pulls). For 1, 10 and 50 pods created at once (busybox
 * `sleep 3600`, small requests): p50/p99 from the create request to the
 * pod's phase Running seen on a watch, and where the time went. Then the
 * floor: a bare `runc run -d` of an equivalent bundle (same busybox rootfs on
 * overlay, same namespaces incl. a fresh netns), and the ratio.
 * Target: p99 under 1 s for 10 pods (Kubernetes' SLO is 5 s at p99).
 * Everything is removed afterwards: pods, agent, processes, mounts, cgroups,
 * network namespaces, the bridge, the root directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../agent/images/image-store.ts';
import { runAgent, type RunningAgent } from '../agent/main.ts';
import { CniPodNetwork } from '../agent/network/cni-pod-network.ts';
import { removeNetworkNamespace } from '../agent/network/network-namespace.ts';
import { removeCgroup } from '../agent/runtime/cgroups.ts';
import { mountsUnder } from '../agent/runtime/mountinfo.ts';
import { Runc } from '../agent/runtime/runc.ts';
import type { KubeObject } from '../client/api/meta.ts';
import { SharedInformer } from '../client/cache/shared-informer.ts';
import { loadKubeconfig } from '../client/kubeconfig.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { buildBusyboxImage, writeOciArchive } from '../test/support/busybox-image.ts';
import { startEtcd } from '../test/support/etcd.ts';
import { startApiServerProcess, type ApiServerProcess } from './support/apiserver-process.ts';
import { startPierProcess, type PierProcess } from './support/pier-process.ts';
import { measureRuncFloor } from './support/runc-floor.ts';
import { fmt, percentile } from './support/stats.ts';

type Pod = KubeObject & { spec: { nodeName?: string }; status?: { phase?: string } };

const batches = (process.env.BENCH_BATCHES ?? '1,10,50').split(',').map(Number);
const floorRuns = Number(process.env.BENCH_FLOOR_RUNS ?? 30);
const targetP99Ms = 1000;
const image = 'pier/busybox:1.0';
const runcBinary = existsSync('/usr/bin/runc') ? '/usr/bin/runc' : '/usr/sbin/runc';
const cniPluginDirs = ['/usr/lib/cni', '/opt/cni/bin'];
const podsPath = { group: '', version: 'v1', plural: 'pods', namespace: 'default' };

function requirePrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('the pod startup bench needs root (runc, mounts, netns, cgroups)');
  if (!existsSync(runcBinary)) throw new Error('runc is missing: apt-get install runc');
  if (!existsSync('/usr/bin/conmon')) throw new Error('conmon is missing: apt-get install conmon');
  if (!['bridge', 'host-local', 'loopback'].every((p) => cniPluginDirs.some((d) => existsSync(join(d, p))))) {
    throw new Error('CNI plugins are missing: apt-get install containernetworking-plugins');
  }
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function podBody(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { bench: 'pod-startup' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  } as unknown as Pod;
}

/** A free 10.250.X.0/24 no host route touches. */
function freePodCidr(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (let third = 1 + Math.floor(Math.random() * 200); third < 255; third++) {
    if (!routes.includes(`10.250.${third}.`)) return `10.250.${third}.0/24`;
  }
  throw new Error('no free 10.250.x.0/24 on this host');
}

/** Wraps an async method of `obj` to record each call's duration under `name`. */
function timeMethod(timings: Map<string, number[]>, name: string, obj: object, method: string): void {
  const target = obj as Record<string, unknown>;
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  target[method] = async function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      const list = timings.get(name) ?? [];
      list.push(performance.now() - t0);
      timings.set(name, list);
    }
  };
}

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const p = (xs: readonly number[], q: number) => percentile(sorted(xs), q);

async function main(): Promise<void> {
  requirePrerequisites();
  const tag = Math.random().toString(16).slice(2, 8);
  const rootDir = await mkdtemp(join(tmpdir(), `pier-startup-bench-${tag}-`));
  const podCidr = freePodCidr();
  const bridgeName = `psb${tag}`;
  const networkName = `pier-sb-${tag}`;
  const cgroupParent = `/pier-sb-${tag}`;
  const netnsDir = `/run/pier-sb-${tag}-netns`;
  const nodeName = `bench-node-${tag}`;
  const stop = new AbortController();
  let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
  let server: ApiServerProcess | undefined;
  let scheduler: PierProcess | undefined;
  let agent: RunningAgent | undefined;
  let client: RestClient | undefined;
  const agentErrors: string[] = [];

  print('pod startup: fresh etcd + `pier apiserver` + `pier scheduler` processes; the agent (runAgent) in this process with the busybox image pre-imported');
  print(`node ${nodeName}, pod CIDR ${podCidr}, bridge ${bridgeName}, cgroup parent ${cgroupParent}, runc ${runcBinary}`);
  try {
    const importStart = performance.now();
    const built = await buildBusyboxImage(join(rootDir, 'image-build'));
    const archive = join(rootDir, 'image-build', 'busybox.tar');
    await writeOciArchive(built.layoutDir, archive);
    await new ImageStore({ rootDir }).importImageArchive(archive);
    await rm(join(rootDir, 'image-build'), { recursive: true, force: true });
    print(`image pre-pull (build + import of the busybox OCI archive): ${fmt(performance.now() - importStart, 0)} ms (not part of the startup figures)`);

    etcd = await startEtcd();
    server = await startApiServerProcess(etcd.endpoint);
    scheduler = await startPierProcess(['scheduler', '--kubeconfig', server.kubeconfigPath, '--leader-elect', 'false'], /scheduling against/);
    const access = loadKubeconfig(server.kubeconfigPath);
    client = new RestClient({ ...access, userAgent: 'pod-startup-bench' });
    agent = await runAgent(access, {
      nodeName,
      rootDir,
      podCidr,
      port: 0,
      nodeIP: '127.0.0.1',
      cgroupParent,
      network: { bridgeName, networkName, pluginDirs: cniPluginDirs, netnsDir },
      onError: (err) => agentErrors.push(err instanceof Error ? err.message : String(err)),
    });

    // Where the agent spends its time: the CRI calls and the CNI ADD inside RunPodSandbox.
    const timings = new Map<string, number[]>(
      ['RunPodSandbox (netns + CNI + files)', 'of which CNI ADD', 'CreateContainer (rootfs + conmon + runc create)', 'StartContainer (runc start)'].map((k) => [k, []]),
    );
    timeMethod(timings, 'RunPodSandbox (netns + CNI + files)', agent.runtime, 'runPodSandbox');
    timeMethod(timings, 'of which CNI ADD', agent.network, 'setUp');
    timeMethod(timings, 'CreateContainer (rootfs + conmon + runc create)', agent.runtime, 'createContainer');
    timeMethod(timings, 'StartContainer (runc start)', agent.runtime, 'startContainer');

    const created = new Map<string, number>();
    const bound = new Map<string, number>();
    const running = new Map<string, number>();
    const informer = new SharedInformer<Pod>(client, { path: { group: '', version: 'v1', plural: 'pods' }, onError: () => undefined });
    const observe = (pod: Pod) => {
      const name = pod.metadata.name!;
      const now = performance.now();
      if (pod.spec.nodeName && !bound.has(name)) bound.set(name, now);
      if (pod.status?.phase === 'Running' && !running.has(name)) running.set(name, now);
    };
    informer.addEventHandler({ onAdd: observe, onUpdate: (_o, pod) => observe(pod) });
    void informer.run(stop.signal);
    await informer.waitForCacheSync(stop.signal);

    const waitFor = async (what: string, done: () => boolean | Promise<boolean>, ms = 300_000) => {
      const deadline = Date.now() + ms;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${agentErrors.length ? `; agent errors: ${agentErrors.slice(-5).join(' | ')}` : ''}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor('the node to be Ready', async () => {
      const n = await client!.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>({ group: '', version: 'v1', plural: 'nodes', name: nodeName }).catch(() => undefined);
      return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    }, 60_000);

    const runBatch = async (label: string, count: number) => {
      for (const t of timings.values()) t.length = 0;
      const names = Array.from({ length: count }, (_, i) => `${label}-${i}`);
      await Promise.all(
        names.map(async (name) => {
          created.set(name, performance.now());
          await client!.create(podsPath, podBody(name));
        }),
      );
      await waitFor(`${count} pods Running`, () => names.every((n) => running.has(n)));
      const startup = names.map((n) => running.get(n)! - created.get(n)!);
      const toBind = names.map((n) => bound.get(n)! - created.get(n)!);
      const bindToRunning = names.map((n) => running.get(n)! - bound.get(n)!);
      const phases = new Map([...timings].map(([k, v]) => [k, [...v]] as const));
      // Delete and wait until the node is empty again, so batches do not overlap.
      await deleteBenchPods(client!);
      await waitFor('the pods to go', async () => (await client!.list(podsPath)).items.length === 0);
      await waitFor('the sandboxes to go', async () => (await agent!.runtime.listPodSandbox()).length === 0, 120_000);
      return { startup, toBind, bindToRunning, phases };
    };

    const warm = await runBatch('warmup', 1);
    print(`warm-up pod (first CNI ADD creates the bridge): ${fmt(warm.startup[0]!, 0)} ms, not counted`);
    print();
    print('pods  p50 ms  p99 ms  max ms | create→bound p50  bound→Running p50 | agent calls p50 (p99) ms');
    let p99Of10: number | undefined;
    let p50Of10: number | undefined;
    for (const count of batches) {
      const r = await runBatch(`b${count}`, count);
      if (count === 10) {
        p99Of10 = p(r.startup, 99);
        p50Of10 = p(r.startup, 50);
      }
      const calls = [...r.phases].map(([name, xs]) => `${name} ${fmt(p(xs, 50), 0)} (${fmt(p(xs, 99), 0)})`).join('; ');
      print(
        `${String(count).padStart(4)}  ${fmt(p(r.startup, 50), 0).padStart(6)}  ${fmt(p(r.startup, 99), 0).padStart(6)}  ${fmt(Math.max(...r.startup), 0).padStart(6)} | ` +
          `${fmt(p(r.toBind, 50), 0).padStart(16)}  ${fmt(p(r.bindToRunning, 50), 0).padStart(17)} | ${calls}`,
      );
    }

    // The floor, on the same host, image store and runc.
    const images = new ImageStore({ rootDir });
    const imageId = (await images.resolve(image))?.id;
    if (!imageId) throw new Error(`${image} is not in the image store`);
    const floorOf = (concurrency: number) =>
      measureRuncFloor({
        dir: join(rootDir, `floor-${concurrency}`),
        images,
        imageId,
        runcBinary,
        cgroupParent: `${cgroupParent}-floor`,
        netnsDir: `${netnsDir}-floor`,
        iterations: floorRuns,
        concurrency,
      });
    const floor = await floorOf(1);
    const floor10 = await floorOf(10);
    print();
    print(
      `floor, bare runc, one at a time (${floorRuns} runs): netns + overlay + runc run -d p50 ${fmt(p(floor.totalMs, 50), 0)} ms, p99 ${fmt(p(floor.totalMs, 99), 0)} ms` +
        ` (runc run -d alone p50 ${fmt(p(floor.runcRunMs, 50), 0)} ms, p99 ${fmt(p(floor.runcRunMs, 99), 0)} ms; fresh netns p50 ${fmt(p(floor.netnsMs, 50), 0)} ms)`,
    );
    print(
      `floor, bare runc, 10 at once (${floorRuns} runs): p50 ${fmt(p(floor10.totalMs, 50), 0)} ms, p99 ${fmt(p(floor10.totalMs, 99), 0)} ms` +
        ` (runc run -d alone p50 ${fmt(p(floor10.runcRunMs, 50), 0)} ms, p99 ${fmt(p(floor10.runcRunMs, 99), 0)} ms; fresh netns p50 ${fmt(p(floor10.netnsMs, 50), 0)} ms, p99 ${fmt(p(floor10.netnsMs, 99), 0)} ms)`,
    );
    if (p50Of10 !== undefined && p99Of10 !== undefined) {
      print(`ratio, 10 pods vs the one-at-a-time floor: p50 ${fmt(p50Of10 / p(floor.totalMs, 50))}x, p99 ${fmt(p99Of10 / p(floor.totalMs, 99))}x`);
      print(`ratio, 10 pods vs the 10-at-once floor: p50 ${fmt(p50Of10 / p(floor10.totalMs, 50))}x, p99 ${fmt(p99Of10 / p(floor10.totalMs, 99))}x`);
      print(`target: p99 < ${targetP99Ms} ms for 10 pods created at once (Kubernetes' pod startup SLO: 5 s at p99): ${p99Of10 < targetP99Ms ? 'MET' : 'MISSED'} (p99 ${fmt(p99Of10, 0)} ms)`);
    }
    if (agentErrors.length > 0) print(`agent reported ${agentErrors.length} errors, last: ${agentErrors.at(-1)}`);
  } finally {
    stop.abort();
    if (client && agent) {
      await deleteBenchPods(client).catch(() => undefined);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await agent.runtime.listPodSandbox().catch(() => [])).length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    await agent?.stop().catch(() => undefined);
    client?.close();
    await scheduler?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
    await cleanupHost({ rootDir, cgroupParent, netnsDir, bridgeName, podCidr, networkName });
  }
}

async function deleteBenchPods(client: RestClient): Promise<void> {
  const list = await client.list<Pod>(podsPath, { labelSelector: 'bench=pod-startup' });
  await Promise.all(list.items.map((pod) => client.delete({ ...podsPath, name: pod.metadata.name! }).catch(() => undefined)));
}

/** Brute-force removal of whatever the agent left (after a failure, say). */
async function cleanupHost(o: { rootDir: string; cgroupParent: string; netnsDir: string; bridgeName: string; podCidr: string; networkName: string }): Promise<void> {
  const runc = new Runc(runcBinary, join(o.rootDir, 'runtime', 'runc'));
  for (const c of await runc.list().catch(() => [])) {
    await runc.kill(c.id, 'SIGKILL').catch(() => undefined);
    await runc.delete(c.id, true).catch(() => undefined);
  }
  for (const m of (await mountsUnder(o.rootDir).catch(() => [] as string[])).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  for (const dir of [o.netnsDir, `${o.netnsDir}-floor`]) {
    for (const n of await readdir(dir).catch(() => [] as string[])) await removeNetworkNamespace(join(dir, n)).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  await removeCgroup(o.cgroupParent).catch(() => undefined);
  await removeCgroup(`${o.cgroupParent}-floor`).catch(() => undefined);
  await new CniPodNetwork({ podCidr: o.podCidr, bridgeName: o.bridgeName, networkName: o.networkName, dataDir: join(o.rootDir, 'network'), pluginDirs: cniPluginDirs })
    .cleanup()
    .catch(() => undefined);
  try {
    execFileSync('ip', ['link', 'delete', o.bridgeName], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  await rm(o.rootDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`pod-startup-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
