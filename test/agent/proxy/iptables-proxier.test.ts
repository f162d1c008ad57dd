/**
 * The iptables fallback backend, driven by the same ServiceProxy and
 * namespace topology as the nftables tests: load balancing, ClientIP
 * affinity, NodePort, rejection without endpoints, and a cleanup that
 * leaves no PIER- chain or jump behind.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ServiceProxy } from '../../../agent/proxy/service-proxy.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';
import { eventually, sh } from '../network/network-fixture.ts';
import { createProxyTopology, leftoverNamespaces, requireProxyPrerequisites, tcpPort, type ProxyTopology } from './proxy-netns-fixture.ts';
import { createService, putEndpointSlice } from './service-fixture.ts';

const ns = 'default';
const third = randomInt(1, 250);
const ip = (n: number) => `10.98.${third}.${n}`;
const httpPort = { name: 'http', port: tcpPort, protocol: 'TCP' as const };

let cluster: TestCluster | undefined;
let client: RestClient | undefined;
let topo: ProxyTopology | undefined;
let proxy: ServiceProxy;
const stop = new AbortController();
let running: Promise<void> | undefined;

const names = (r: Array<{ body?: string }>) => new Set(r.map((a) => a.body?.split(' ')[0] ?? 'none'));

describe('ServiceProxy (iptables)', () => {
  before(async () => {
    await requireProxyPrerequisites();
    topo = await createProxyTopology(2);
    cluster = await startTestCluster();
    client = new RestClient(loadKubeconfig(cluster.kubeconfigPath));
    proxy = new ServiceProxy({ client, nodeName: 'node-a', nodeIps: [topo.nodeIp], podCidr: topo.podCidr, netnsPath: topo.nodeNetns, backend: 'iptables' });
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
    if (prefix) assert.deepEqual(await leftoverNamespaces(prefix), []);
  });

  it('load-balances a ClusterIP, answers a NodePort, and rejects a Service without endpoints', async () => {
    const t = topo!;
    const nodePort = randomInt(30000, 32767);
    await createService(client!, ns, 'web', { type: 'NodePort', clusterIP: ip(10), ports: [{ name: 'http', port: 80, targetPort: tcpPort, nodePort, protocol: 'TCP' }] });
    await putEndpointSlice(client!, ns, 'web', t.endpoints.map((e) => ({ ip: e.ip })), [httpPort]);
    await createService(client!, ns, 'empty', { clusterIP: ip(11), ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    const r = await eventually('the ClusterIP answering', async () => {
      const r = await t.probe('tcp', ip(10), 80, 30);
      return r.every((a) => a.body) ? r : undefined;
    });
    assert.deepEqual(names(r), new Set(['e1', 'e2']));
    assert.ok(r.every((a) => a.body!.endsWith(` ${t.nodeBridgeIp}`)), `masqueraded from outside the pod CIDR: ${JSON.stringify(r.map((a) => a.body))}`);
    const np = await t.probe('tcp', t.nodeIp, nodePort, 10);
    assert.ok(np.every((a) => a.body), JSON.stringify(np));
    const rejected = await t.probe('tcp', ip(11), 80, 2);
    assert.ok(rejected.every((a) => a.error === 'ECONNREFUSED' && a.ms < 1000), JSON.stringify(rejected));
    assert.equal(proxy.backendName, 'iptables');
  });

  it('pins a client with sessionAffinity ClientIP', async () => {
    const t = topo!;
    await createService(client!, ns, 'sticky', { clusterIP: ip(12), sessionAffinity: 'ClientIP', ports: [{ name: 'http', port: 80, targetPort: tcpPort, protocol: 'TCP' }] });
    await putEndpointSlice(client!, ns, 'sticky', t.endpoints.map((e) => ({ ip: e.ip })), [httpPort]);
    const r = await eventually('the sticky ClusterIP answering', async () => {
      const r = await t.probe('tcp', ip(12), 80, 20);
      return r.every((a) => a.body) ? r : undefined;
    });
    assert.equal(names(r).size, 1);
  });

  it('cleanup() removes every chain and jump it made', async () => {
    const t = topo!;
    stop.abort();
    await running;
    await proxy.cleanup();
    const dump = await sh('nsenter', [`--net=${t.nodeNetns}`, '--', 'iptables-save']);
    assert.doesNotMatch(dump, /PIER-/);
  });
});
