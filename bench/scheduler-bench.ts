/**
 * Scheduler benchmark (`npm run bench:scheduler`). For 500 and 5,000
 * simulated nodes, each on a fresh etcd + API server, with `pier simnodes`
 * and `pier scheduler` as their own processes (as users run them):
 *  - backlog: 10,000 pods created while no scheduler runs, then the scheduler
 *    starts; pods/s from the first bind to the last is the scheduler's own
 *    throughput (kube-scheduler's scheduler_perf SchedulingBasic measures the
 *    same way; its CI floor at 5,000 nodes is about 680-810 pods/s);
 *  - streaming: the scheduler runs while 10,000 pods are created at
 *    concurrency 64; pods/s first bind to last bind (bounded by the create
 *    rate, printed next to it) and p99 from create request to the bind seen
 *    on a watch.
 * Nodes and pods are shaped as scheduler_perf's defaults: nodes with 4 cpu,
 * 32Gi, 110 pods; pods requesting 100m cpu and 500Mi.
 * Target: >= 1,000 pods/s at 5,000 nodes.
 */
import { SharedInformer } from '../client/cache/shared-informer.ts';
import type { KubeObject } from '../client/api/meta.ts';
import { loadKubeconfig } from '../client/kubeconfig.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { startEtcd } from '../test/support/etcd.ts';
import { startApiServerProcess } from './support/apiserver-process.ts';
import { startPierProcess, type PierProcess } from './support/pier-process.ts';
import { CpuSampler } from './support/process-cpu.ts';
import { fmt, percentile, runConcurrent } from './support/stats.ts';

type Pod = KubeObject & { spec: { nodeName?: string } };

const podCount = Number(process.env.BENCH_PODS ?? 10_000);
const nodeCounts = (process.env.BENCH_NODES ?? '500,5000').split(',').map(Number);
const createConcurrency = 64;
const namespace = 'default';

function podBody(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace },
    spec: {
      containers: [
        {
          name: 'pause',
          image: 'registry.k8s.io/pause:3.10',
          ports: [{ containerPort: 80 }],
          resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } },
        },
      ],
    },
  } as Pod;
}

interface Outcome {
  nodes: number;
  mode: 'backlog' | 'streaming';
  podsPerSecond: number;
  bindSpanSeconds: number;
  createPerSecond?: number;
  p50?: number;
  p99?: number;
  nodeSetupSeconds: number;
  /** CPU seconds per process between the first and the last bind. */
  cpu: Map<string, number>;
}

const print = (s: string) => process.stdout.write(`${s}\n`);

async function runScenario(nodes: number, mode: 'backlog' | 'streaming'): Promise<Outcome> {
  const etcd = await startEtcd();
  const server = await startApiServerProcess(etcd.endpoint);
  const access = loadKubeconfig(server.kubeconfigPath);
  const client = new RestClient({ ...access, maxSockets: createConcurrency + 8 });
  const processes: PierProcess[] = [];
  const stop = new AbortController();
  try {
    const setupStart = performance.now();
    processes.push(
      await startPierProcess(
        ['simnodes', '--kubeconfig', server.kubeconfigPath, '--count', String(nodes), '--name-prefix', 'node', '--cpu', '4', '--memory', '32Gi', '--pods', '110'],
        /ready against/,
        300_000,
      ),
    );
    const nodeSetupSeconds = (performance.now() - setupStart) / 1000;

    // Bind times as a client sees them: the first event carrying spec.nodeName.
    const boundAt = new Map<string, number>();
    let sampler: CpuSampler | undefined;
    let cpuAtFirst: Map<string, number> | undefined;
    let cpuAtLast: Map<string, number> | undefined;
    const pods = new SharedInformer<Pod>(client, { path: { group: '', version: 'v1', plural: 'pods' }, onError: () => undefined });
    const observe = (pod: Pod) => {
      if (pod.spec.nodeName && !boundAt.has(pod.metadata.name!)) {
        boundAt.set(pod.metadata.name!, performance.now());
        if (boundAt.size === 1) cpuAtFirst = sampler?.sample();
        if (boundAt.size === podCount) cpuAtLast = sampler?.sample();
      }
    };
    pods.addEventHandler({ onAdd: observe, onUpdate: (_o, p) => observe(p) });
    void pods.run(stop.signal);
    await pods.waitForCacheSync(stop.signal);

    const startScheduler = async () => {
      const scheduler = await startPierProcess(['scheduler', '--kubeconfig', server.kubeconfigPath, '--leader-elect', 'false'], /scheduling against/);
      processes.push(scheduler);
      sampler = new CpuSampler(
        new Map([
          ['apiserver', server.pid],
          ['etcd', etcd.pid],
          ['scheduler', scheduler.pid],
          ['simnodes', processes[0]!.pid],
          ['bench client', process.pid],
        ]),
      );
    };
    const createdAt: number[] = new Array(podCount);
    const createPods = () =>
      runConcurrent(podCount, createConcurrency, async (i) => {
        createdAt[i] = performance.now();
        await client.create({ group: '', version: 'v1', plural: 'pods', namespace }, podBody(i));
      });

    let createPerSecond: number | undefined;
    if (mode === 'backlog') {
      await createPods();
      await startScheduler();
    } else {
      await startScheduler();
      createPerSecond = (await createPods()).perSecond;
    }
    const deadline = Date.now() + 600_000;
    while (boundAt.size < podCount) {
      if (Date.now() > deadline) throw new Error(`only ${boundAt.size}/${podCount} pods bound after 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const times = [...boundAt.values()].sort((a, b) => a - b);
    const span = (times[times.length - 1]! - times[0]!) / 1000;
    const cpu = cpuAtFirst && cpuAtLast ? CpuSampler.since(cpuAtFirst, cpuAtLast) : new Map<string, number>();
    const outcome: Outcome = { nodes, mode, podsPerSecond: (podCount - 1) / span, bindSpanSeconds: span, nodeSetupSeconds, cpu };
    if (mode === 'streaming') {
      const latencies = Array.from({ length: podCount }, (_, i) => boundAt.get(`bench-${i}`)! - createdAt[i]!).sort((a, b) => a - b);
      outcome.p50 = percentile(latencies, 50);
      outcome.p99 = percentile(latencies, 99);
      outcome.createPerSecond = createPerSecond!;
    }
    return outcome;
  } finally {
    stop.abort();
    for (const p of processes.reverse()) await p.stop();
    client.close();
    await server.stop();
    await etcd.stop();
  }
}

async function main(): Promise<void> {
  print(`pier scheduler benchmark — ${new Date().toISOString()} — ${podCount} pods, nodes ${nodeCounts.join(' and ')}`);
  print('each scenario: fresh etcd + `pier apiserver` + `pier simnodes` + `pier scheduler` processes; bind times seen on a watch');
  const outcomes: Outcome[] = [];
  for (const nodes of nodeCounts) {
    for (const mode of ['backlog', 'streaming'] as const) {
      const o = await runScenario(nodes, mode);
      outcomes.push(o);
      const extra =
        mode === 'streaming'
          ? `, creates ${fmt(o.createPerSecond!, 0)}/s, create→bind p50 ${fmt(o.p50!, 0)} ms p99 ${fmt(o.p99!, 0)} ms`
          : '';
      print(`  ${String(nodes).padStart(5)} nodes, ${mode.padEnd(9)}: ${fmt(o.podsPerSecond, 0)} pods/s (${podCount} binds in ${fmt(o.bindSpanSeconds)} s${extra}; nodes registered in ${fmt(o.nodeSetupSeconds)} s)`);
      // Which process was busy while pods were bound (a process using ~1 s per s is saturated: each is single-threaded but etcd).
      print(`        cpu s/s during the binds: ${[...o.cpu].map(([name, s]) => `${name} ${fmt(s / o.bindSpanSeconds, 2)}`).join(', ')}`);
    }
  }
  const big = outcomes.find((o) => o.nodes === 5000 && o.mode === 'backlog');
  if (big) print(`target: >= 1,000 pods/s at 5,000 nodes (kube-scheduler CI floor ~680-810) — measured ${fmt(big.podsPerSecond, 0)} pods/s: ${big.podsPerSecond >= 1000 ? 'met' : 'NOT met'}`);
}

main().catch((err) => {
  process.stderr.write(`scheduler bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
