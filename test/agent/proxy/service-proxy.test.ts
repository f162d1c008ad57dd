/**
 * The service proxy against a real API server and real nftables, with its
 * rules applied inside a namespace that plays the node (see
 * proxy-netns-fixture.ts): ClusterIP load balancing over TCP and UDP,
 * readiness, serving-terminating fallback, NodePort, ClientIP affinity,
 * rejection without endpoints, masquerading, removal of a deleted Service's
 * rules, and cleanup.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ServiceProxy } from '../../../agent/proxy/service-proxy.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';
import { eventually, sh, trySh } from '../network/network-fixture.ts';
import { createProxyTopology, leftoverNamespaces, requireProxyPrerequisites, tcpPort, udpPort, type ProxyTopology } from './proxy-netns-fixture.ts';
import { createService, deleteService, putEndpointSlice } from './service-fixture.ts';

const ns = 'default';
const third = randomInt(1, 250);
const ip = (n: number) => `10.97.${third}.${n}`;
const ports = [
  { name: 'http', port: tcpPort, protocol: 'TCP' as const },
  { name: 'dns', port: udpPort, protocol: 'UDP' as const },
];
const servicePorts = [
  { name: 'http', port: 80, targetPort: tcpPort, protocol: 'TCP' as const },
  { name: 'dns', port: 53, targetPort: udpPort, protocol: 'UDP' as const },
];

let cluster: TestCluster | undefined;
let client: RestClient | undefined;
let topo: ProxyTopology | undefined;
let proxy: ServiceProxy;
const stop = new AbortController();
let running: Promise<void> | undefined;
const errors: unknown[] = [];

function names(results: Array<{ body?: string }>): Set<string> {
  return new Set(results.map((r) => r.body?.split(' ')[0] ?? 'none'));
}

describe('ServiceProxy (nftables)', () => {
  before(async () => {
    await requireProxyPrerequisites();
    topo = await createProxyTopology(3);
    cluster = await startTestCluster();
    client = new RestClient(loadKubeconfig(cluster.kubeconfigPath));
    proxy = new ServiceProxy({
      client,
      nodeName: 'node-a',
      nodeIps: [topo.nodeIp],
      clusterCidr: topo.podCidr,
      netnsPath: topo.nodeNetns,
      backend: 'nftables',
      tableName: `${topo.prefix}-proxy`,
      onError: (e) => errors.push(e),
    });
    running = proxy.run(stop.signal);
  });

  after(async () => {
    stop.abort();
    await running;
    if (topo) await proxy?.cleanup().catch(() => {});
    client?.close();
    await cluster?.stop();
    const prefix = topo?.prefix;
    await topo?.destroy();
    if (prefix) assert.deepEqual(await leftoverNamespaces(prefix), [], 'network namespaces left behind');
  });

  it('load-balances a ClusterIP over the ready endpoints, TCP and UDP, masquerading clients from outside the pod CIDR', async () => {
    const t = topo!;
    await createService(client!, ns, 'web', { clusterIP: ip(10), ports: servicePorts });
    await putEndpointSlice(client!, ns, 'web', [
      { ip: t.endpoints[0]!.ip },
      { ip: t.endpoints[1]!.ip },
      { ip: t.endpoints[2]!.ip, ready: false, serving: false },
    ], ports);
    const tcp = await eventually('TCP through the ClusterIP', async () => {
      const r = await t.probe('tcp', ip(10), 80, 40);
      return r.every((a) => a.body) ? r : undefined;
    });
    assert.deepEqual(names(tcp), new Set(['e1', 'e2']), 'both ready endpoints get traffic, the unready one none');
    // The client (.130) is outside the pod CIDR: the endpoint sees the node.
    assert.ok(tcp.every((a) => a.body!.endsWith(` ${t.nodeBridgeIp}`)), `masqueraded: ${tcp[0]?.body}`);
    const udp = await t.probe('udp', ip(10), 53, 30);
    assert.ok(udp.every((a) => a.body), JSON.stringify(udp.find((a) => !a.body)));
    assert.deepEqual(names(udp), new Set(['e1', 'e2']));
    assert.deepEqual(errors, []);
  });

  it('drops an endpoint that turns not ready, and falls back to serving-terminating ones when none is ready', async () => {
    const t = topo!;
    await putEndpointSlice(client!, ns, 'web', [{ ip: t.endpoints[0]!.ip }, { ip: t.endpoints[1]!.ip, ready: false, serving: false }], ports);
    await eventually('only e1 answering', async () => {
      const r = await t.probe('tcp', ip(10), 80, 20);
      return r.every((a) => a.body?.startsWith('e1 ')) ? r : undefined;
    });
    await putEndpointSlice(client!, ns, 'web', [
      { ip: t.endpoints[0]!.ip, ready: false, serving: false, terminating: true },
      { ip: t.endpoints[1]!.ip, ready: false, serving: true, terminating: true },
    ], ports);
    await eventually('the serving-terminating e2 answering', async () => {
      const r = await t.probe('tcp', ip(10), 80, 10);
      return r.every((a) => a.body?.startsWith('e2 ')) ? r : undefined;
    });
  });

  it('answers a NodePort on the node address', async () => {
    const t = topo!;
    const nodePort = randomInt(30000, 32767);
    await createService(client!, ns, 'np', { type: 'NodePort', clusterIP: ip(11), ports: [{ name: 'http', port: 80, targetPort: tcpPort, nodePort, protocol: 'TCP' }] });
    await putEndpointSlice(client!, ns, 'np', [{ ip: t.endpoints[0]!.ip }, { ip: t.endpoints[1]!.ip }], [ports[0]!]);
    const r = await eventually('the NodePort answering', async () => {
      const r = await t.probe('tcp', t.nodeIp, nodePort, 20);
      return r.every((a) => a.body) ? r : undefined;
    });
    assert.deepEqual(names(r), new Set(['e1', 'e2']));
    assert.ok(r.every((a) => a.body!.endsWith(` ${t.nodeBridgeIp}`)), 'external traffic is masqueraded');
  });

  it('pins a client to one endpoint with sessionAffinity ClientIP', async () => {
    const t = topo!;
    await createService(client!, ns, 'sticky', {
      clusterIP: ip(12),
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ports: [servicePorts[0]!],
    });
    await putEndpointSlice(client!, ns, 'sticky', t.endpoints.map((e) => ({ ip: e.ip })), [ports[0]!]);
    const r = await eventually('the sticky service answering', async () => {
      const r = await t.probe('tcp', ip(12), 80, 20);
      return r.every((a) => a.body) ? r : undefined;
    });
    assert.equal(names(r).size, 1, `one endpoint for every connection: ${[...names(r)].join(',')}`);
    const set = await sh('nsenter', [`--net=${t.nodeNetns}`, '--', 'nft', 'list', 'table', 'ip', `${t.prefix}-proxy`]);
    assert.match(set, /set affinity-[0-9A-F]{8}-default\/sticky\/tcp\/http__/);
    assert.match(set, /timeout 10m/);
  });

  it('rejects connections to a Service without endpoints at once', async () => {
    const t = topo!;
    await createService(client!, ns, 'empty', { clusterIP: ip(13), ports: servicePorts });
    const r = await eventually('the rejection', async () => {
      const r = await t.probe('tcp', ip(13), 80, 3);
      return r.every((a) => a.error === 'ECONNREFUSED') ? r : undefined;
    });
    assert.ok(r.every((a) => a.ms < 1000), `rejected quickly: ${r.map((a) => a.ms).join(',')} ms`);
    const udp = await t.probe('udp', ip(13), 53, 2);
    assert.ok(udp.every((a) => a.error === 'ECONNREFUSED'), JSON.stringify(udp));
    // A port the ClusterIP does not serve is refused too.
    const other = await t.probe('tcp', ip(10), 81, 1);
    assert.equal(other[0]?.error, 'ECONNREFUSED');
  });

  it('masquerades hairpin traffic and leaves pod-to-pod traffic inside the pod CIDR alone', async () => {
    const t = topo!;
    await createService(client!, ns, 'self', { clusterIP: ip(14), ports: [servicePorts[0]!] });
    await putEndpointSlice(client!, ns, 'self', [{ ip: t.endpoints[0]!.ip }], [ports[0]!]);
    const hairpin = await eventually('e1 reaching itself', async () => {
      const r = await t.probe('tcp', ip(14), 80, 3, { netns: t.endpoints[0]!.netns });
      return r.every((a) => a.body) ? r : undefined;
    });
    assert.ok(hairpin.every((a) => a.body === `e1 ${t.nodeBridgeIp}`), JSON.stringify(hairpin));
    const fromPod = await t.probe('tcp', ip(14), 80, 3, { netns: t.endpoints[2]!.netns });
    assert.ok(fromPod.every((a) => a.body === `e1 ${t.endpoints[2]!.ip}`), `source kept: ${JSON.stringify(fromPod)}`);
  });

  it("removes a deleted Service's rules", async () => {
    const t = topo!;
    await proxy.whenIdle();
    const before = proxy.rulesCount();
    const listing = () => sh('nsenter', [`--net=${t.nodeNetns}`, '--', 'nft', 'list', 'table', 'ip', `${t.prefix}-proxy`]);
    const listedBefore = await listing();
    assert.match(listedBefore, /default\/sticky\/tcp\/http/);
    await deleteService(client!, ns, 'sticky');
    await eventually('fewer rules', async () => (proxy.rulesCount() < before ? true : undefined));
    const after = proxy.rulesCount();
    // The service chain (masquerade rule, 3 affinity rules, numgen) and 3 endpoint chains of 3 rules each.
    assert.equal(before - after, 5 + 3 * 3);
    const listedAfter = await listing();
    assert.doesNotMatch(listedAfter, /default\/sticky\//);
    assert.ok(listedAfter.split('\n').length < listedBefore.split('\n').length);
    await eventually('the ClusterIP no longer answering', async () => {
      const r = await t.probe('tcp', ip(12), 80, 1, { timeoutMs: 1000 });
      return r[0]?.error ? true : undefined;
    });
    assert.ok(proxy.stats().writes >= 2);
    assert.equal(proxy.backendName, 'nftables');
  });

  it('cleanup() removes the table', async () => {
    const t = topo!;
    stop.abort();
    await running;
    await proxy.cleanup();
    const tables = (await trySh('nsenter', [`--net=${t.nodeNetns}`, '--', 'nft', 'list', 'tables'])) ?? '';
    assert.doesNotMatch(tables, new RegExp(`${t.prefix}-proxy`));
    assert.equal(proxy.rulesCount(), 0);
  });
});
