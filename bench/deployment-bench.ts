/**
 * Deployment scale-up benchmark (`npm run bench:deployment`): on a fresh etcd
 * + `pier apiserver`, with `pier simnodes` (100 nodes), `pier scheduler` and
 * `pier controller-manager` as their own processes, a Deployment is scaled
 * from 0 to 1,000 replicas; printed: seconds from the scale request until
 * the Deployment reports all 1,000 available, and pods/s. For comparison the
 * same run prints the API server's own pod-create rate at concurrency 64
 * (the floor every pod of the rollout passes through).
 */
import { loadKubeconfig } from '../client/kubeconfig.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { startEtcd } from '../test/support/etcd.ts';
import { startApiServerProcess } from './support/apiserver-process.ts';
import { startPierProcess, type PierProcess } from './support/pier-process.ts';
import { fmt, runConcurrent } from './support/stats.ts';

const replicas = Number(process.env.BENCH_REPLICAS ?? 1000);
const nodes = Number(process.env.BENCH_NODES ?? 100);
const print = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  print(`pier deployment benchmark — ${new Date().toISOString()} — 0 → ${replicas} replicas on ${nodes} simulated nodes`);
  const etcd = await startEtcd();
  const server = await startApiServerProcess(etcd.endpoint);
  const access = loadKubeconfig(server.kubeconfigPath);
  const client = new RestClient({ ...access, maxSockets: 72 });
  const processes: PierProcess[] = [];
  try {
    const kc = server.kubeconfigPath;
    processes.push(await startPierProcess(['simnodes', '--kubeconfig', kc, '--count', String(nodes), '--name-prefix', 'node'], /ready against/));
    processes.push(await startPierProcess(['scheduler', '--kubeconfig', kc, '--leader-elect', 'false'], /scheduling against/));
    processes.push(await startPierProcess(['controller-manager', '--kubeconfig', kc, '--leader-elect', 'false'], /running .* against/));

    const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespace: 'default' } as const;
    await client.create(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
        },
      },
    } as any);
    const started = performance.now();
    await client.patch({ ...deployments, name: 'web', subresource: 'scale' }, 'merge', { spec: { replicas } });
    let nextTrace = 0;
    for (;;) {
      const d = await client.get<any>({ ...deployments, name: 'web' });
      const available = d.status?.availableReplicas ?? 0;
      if (available === replicas && d.status?.observedGeneration >= d.metadata.generation) break;
      if (performance.now() - started > 600_000) throw new Error(`only ${available}/${replicas} available after 10 minutes`);
      // BENCH_TRACE=1 prints where the pods are each second: created, bound, running, available.
      if (process.env.BENCH_TRACE && performance.now() - started >= nextTrace) {
        nextTrace += 1000;
        const pods = (await client.list<any>({ group: '', version: 'v1', plural: 'pods', namespace: 'default' }, { resourceVersion: '0' })).items;
        const bound = pods.filter((p) => p.spec.nodeName).length;
        const running = pods.filter((p) => p.status?.phase === 'Running').length;
        print(`    t=${fmt((performance.now() - started) / 1000, 1)}s created ${pods.length} bound ${bound} running ${running} available ${available}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    print(`  scale 0 → ${replicas}: all available after ${fmt(seconds, 2)} s — ${fmt(replicas / seconds, 0)} pods/s (created, scheduled, reported Running, counted available)`);

    // The floor: raw pod creates through the same API server, concurrency 64, in another namespace.
    await client.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'floor' } } as any);
    await processes[0]!.stop(); // no kubelets for the floor pods
    const floor = await runConcurrent(replicas, 64, async (i) => {
      await client.create({ group: '', version: 'v1', plural: 'pods', namespace: 'floor' }, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `floor-${i}`, namespace: 'floor' },
        spec: { nodeName: 'none', containers: [{ name: 'web', image: 'nginx:1.27' }] },
      } as any);
    });
    print(`  floor: ${fmt(floor.perSecond, 0)} pod creates/s through the same API server at concurrency 64 (each rollout pod also needs a bind and a status write)`);
  } finally {
    for (const p of processes.reverse()) await p.stop();
    client.close();
    await server.stop();
    await etcd.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`deployment bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
