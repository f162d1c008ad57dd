/**
 * Service ClusterIP and NodePort allocation against real etcd and API servers:
 * unique under concurrency and across API servers, requested values honoured
 * or refused with kube's messages, released on delete and on failed writes,
 * and the `kubernetes` Service with its endpoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServiceAllocators } from '../../apiserver/registry/services/allocation/service-allocators.ts';
import { Etcd3Storage } from '../../apiserver/storage/etcd3/store.ts';
import { startTestCluster, type ApiServerHandle, type TestCluster } from '../support/test-cluster.ts';

let c: TestCluster;
let storage: Etcd3Storage;
let counter: ServiceAllocators;
let seq = 0;

before(async () => {
  c = await startTestCluster();
  storage = new Etcd3Storage({ endpoints: [c.etcdEndpoint] });
  counter = new ServiceAllocators(storage);
});
after(async () => {
  await storage?.close();
  await c?.stop();
});

async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${++seq}`;
  const res = await c.server.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  assert.equal(res.statusCode, 201, res.text);
  return name;
}

function service(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: name }, ...spec } };
}

async function create(ns: string, body: unknown, server: ApiServerHandle = c.server) {
  return server.api('POST', `/api/v1/namespaces/${ns}/services`, body);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function inDefaultRange(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return a === 10 && b! >= 96 && b! <= 111;
}

describe('Service ClusterIP allocation', () => {
  it('has the kubernetes Service on the first IP with the API server as its endpoint', async () => {
    const svc = await c.server.api('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.statusCode, 200, svc.text);
    assert.equal(svc.json.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(svc.json.spec.clusterIPs, ['10.96.0.1']);
    assert.equal(svc.json.spec.ports[0].port, 443);
    assert.equal(svc.json.spec.ports[0].name, 'https');
    assert.deepEqual(svc.json.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
    const ep = await waitFor('kubernetes endpoints', async () => {
      const res = await c.server.api('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
      return res.statusCode === 200 && res.json.subsets?.length ? res.json : undefined;
    });
    assert.deepEqual(ep.subsets[0].addresses, [{ ip: '127.0.0.1' }]);
    assert.equal(ep.subsets[0].ports[0].name, 'https');
    assert.equal(ep.subsets[0].ports[0].port, c.server.port);
    const slice = await waitFor('kubernetes EndpointSlice', async () => {
      const res = await c.server.api('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
      return res.statusCode === 200 ? res.json : undefined;
    });
    assert.equal(slice.addressType, 'IPv4');
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
    assert.equal(slice.ports[0].port, c.server.port);
    // A loopback address is not a valid EndpointSlice endpoint (kube's validation): the slice lists none.
    assert.deepEqual(slice.endpoints ?? [], []);
    const kubectl = await c.kubectl(['get', 'svc', 'kubernetes', '-n', 'default']);
    assert.match(kubectl.stdout, /kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
  });

  it('hands out 50 distinct IPs to 50 concurrent creates, and frees them on delete', async () => {
    const ns = await namespace('alloc-many');
    const before = await counter.allocatedIPCount();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => create(ns, service(`s${i}`))));
    for (const r of results) assert.equal(r.statusCode, 201, r.text);
    const ips = results.map((r) => r.json.spec.clusterIP as string);
    assert.equal(new Set(ips).size, 50);
    for (const r of results) {
      assert.ok(inDefaultRange(r.json.spec.clusterIP), r.json.spec.clusterIP);
      assert.deepEqual(r.json.spec.clusterIPs, [r.json.spec.clusterIP]);
    }
    assert.equal(await counter.allocatedIPCount(), before + 50);
    await Promise.all(results.map((_, i) => c.server.api('DELETE', `/api/v1/namespaces/${ns}/services/s${i}`)));
    assert.equal(await counter.allocatedIPCount(), before);
  });

  it('never hands the same IP to two API servers sharing one etcd', async () => {
    const second = await c.startApiServer();
    const ns = await namespace('alloc-two');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => create(ns, service(`t${i}`), i % 2 === 0 ? c.server : second)));
    for (const r of results) assert.equal(r.statusCode, 201, r.text);
    assert.equal(new Set(results.map((r) => r.json.spec.clusterIP)).size, 40);
  });

  it('honours a requested IP, refuses a taken or out-of-range one with kube\'s message, and reuses it after delete', async () => {
    const ns = await namespace('alloc-req');
    const ok = await create(ns, service('a', { clusterIP: '10.96.0.50' }));
    assert.equal(ok.statusCode, 201, ok.text);
    assert.equal(ok.json.spec.clusterIP, '10.96.0.50');
    assert.deepEqual(ok.json.spec.clusterIPs, ['10.96.0.50']);

    const taken = await create(ns, service('b', { clusterIP: '10.96.0.50' }));
    assert.equal(taken.statusCode, 422);
    assert.equal(taken.json.reason, 'Invalid');
    assert.equal(
      taken.json.message,
      'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.50"}: failed to allocate IP 10.96.0.50: provided IP is already allocated',
    );
    assert.equal(taken.json.details.causes[0].field, 'spec.clusterIPs');

    const outside = await create(ns, service('c', { clusterIPs: ['192.168.0.9'] }));
    assert.equal(outside.statusCode, 422);
    assert.equal(
      outside.json.message,
      'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.0.9"}: failed to allocate IP 192.168.0.9: provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );

    const kubectlErr = await c.kubectl(['create', '-n', ns, '-f', '-'], { allowFailure: true, stdin: JSON.stringify(service('d', { clusterIP: '10.96.0.50' })) });
    assert.notEqual(kubectlErr.code, 0);
    assert.match(kubectlErr.stderr, /The Service "d" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"10\.96\.0\.50"\}: failed to allocate IP 10\.96\.0\.50: provided IP is already allocated/);

    assert.equal((await c.server.api('DELETE', `/api/v1/namespaces/${ns}/services/a`)).statusCode, 200);
    const again = await create(ns, service('b', { clusterIP: '10.96.0.50' }));
    assert.equal(again.statusCode, 201, again.text);
  });

  it('does not leak an IP or NodePort when validation fails', async () => {
    const ns = await namespace('alloc-leak');
    const ips = await counter.allocatedIPCount();
    const ports = await counter.allocatedNodePortCount();
    const bad = service('bad', { type: 'NodePort', clusterIP: '10.96.0.77', ports: [{ port: 80, nodePort: 30077, name: 'Not_A_Label' }] });
    const res = await create(ns, bad);
    assert.equal(res.statusCode, 422, res.text);
    assert.match(res.json.message, /spec\.ports\[0\]\.name/);
    assert.equal(await counter.allocatedIPCount(), ips);
    assert.equal(await counter.allocatedNodePortCount(), ports);
    const good = await create(ns, service('good', { type: 'NodePort', clusterIP: '10.96.0.77', ports: [{ port: 80, nodePort: 30077 }] }));
    assert.equal(good.statusCode, 201, good.text);
    assert.equal(good.json.spec.ports[0].nodePort, 30077);
  });

  it('gives headless and ExternalName services no IP, and dry runs allocate nothing', async () => {
    const ns = await namespace('alloc-headless');
    const before = await counter.allocatedIPCount();
    const headless = await create(ns, service('h', { clusterIP: 'None' }));
    assert.equal(headless.statusCode, 201, headless.text);
    assert.equal(headless.json.spec.clusterIP, 'None');
    assert.deepEqual(headless.json.spec.clusterIPs, ['None']);
    const ext = await create(ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.equal(ext.statusCode, 201, ext.text);
    assert.equal(ext.json.spec.clusterIP, undefined);
    const dry = await c.server.api('POST', `/api/v1/namespaces/${ns}/services?dryRun=All`, service('dry'));
    assert.equal(dry.statusCode, 201, dry.text);
    assert.equal(await counter.allocatedIPCount(), before);
  });

  it('keeps the IP on update and refuses to change it with kube\'s message', async () => {
    const ns = await namespace('alloc-update');
    const created = await create(ns, service('u'));
    const ip = created.json.spec.clusterIP;
    // A PUT without clusterIP keeps the allocated one (patchAllocatedValues).
    const body = { ...created.json, spec: { ...created.json.spec, clusterIP: undefined, clusterIPs: undefined, ports: [{ port: 81 }] } };
    const put = await c.server.api('PUT', `/api/v1/namespaces/${ns}/services/u`, body);
    assert.equal(put.statusCode, 200, put.text);
    assert.equal(put.json.spec.clusterIP, ip);
    const change = await c.server.api('PATCH', `/api/v1/namespaces/${ns}/services/u`, { spec: { clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'] } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(change.statusCode, 422);
    assert.equal(change.json.message, 'Service "u" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set');
  });

  it('allocates NodePorts in 30000-32767, honours and refuses requests, and releases them on type change', async () => {
    const ns = await namespace('alloc-nodeport');
    const np = await create(ns, service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }));
    assert.equal(np.statusCode, 201, np.text);
    const ports = np.json.spec.ports.map((p: { nodePort: number }) => p.nodePort);
    for (const p of ports) assert.ok(p >= 30000 && p <= 32767, String(p));
    assert.notEqual(ports[0], ports[1]);

    const req = await create(ns, service('req', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }));
    assert.equal(req.statusCode, 201, req.text);
    assert.equal(req.json.spec.ports[0].nodePort, 31000);
    const dup = await create(ns, service('dup', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }));
    assert.equal(dup.statusCode, 422);
    assert.equal(dup.json.message, 'Service "dup" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is already allocated');
    const out = await create(ns, service('out', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }));
    assert.equal(out.statusCode, 422);
    assert.equal(out.json.message, 'Service "out" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');

    const before = await counter.allocatedNodePortCount();
    const toClusterIP = await c.server.api('PATCH', `/api/v1/namespaces/${ns}/services/req`, { spec: { type: 'ClusterIP' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(toClusterIP.statusCode, 200, toClusterIP.text);
    assert.equal(toClusterIP.json.spec.ports[0].nodePort, undefined);
    assert.equal(await counter.allocatedNodePortCount(), before - 1);
    const reuse = await create(ns, service('dup', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }));
    assert.equal(reuse.statusCode, 201, reuse.text);
    const del = await c.server.api('DELETE', `/api/v1/namespaces/${ns}/services/np`);
    assert.equal(del.statusCode, 200);
    assert.equal(await counter.allocatedNodePortCount(), before - 2);
  });

  it('allocates when a Service stops being ExternalName and releases when it becomes one', async () => {
    const ns = await namespace('alloc-type');
    const before = await counter.allocatedIPCount();
    const ext = await create(ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 't' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.equal(ext.statusCode, 201, ext.text);
    const toClusterIP = await c.server.api(
      'PATCH',
      `/api/v1/namespaces/${ns}/services/t`,
      { spec: { type: 'ClusterIP', externalName: null, ports: [{ port: 80 }] } },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(toClusterIP.statusCode, 200, toClusterIP.text);
    assert.ok(inDefaultRange(toClusterIP.json.spec.clusterIP), toClusterIP.text);
    assert.equal(await counter.allocatedIPCount(), before + 1);
    const back = await c.server.api('PATCH', `/api/v1/namespaces/${ns}/services/t`, { spec: { type: 'ExternalName', externalName: 'example.org' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(back.statusCode, 200, back.text);
    assert.equal(back.json.spec.clusterIP, undefined);
    assert.equal(await counter.allocatedIPCount(), before);
  });

  it('kubectl create service clusterip gets an IP that kubectl get svc shows', async () => {
    const ns = await namespace('alloc-kubectl');
    await c.kubectl(['create', 'service', 'clusterip', 'x', '--tcp=80:8080', '-n', ns]);
    const got = await c.server.api('GET', `/api/v1/namespaces/${ns}/services/x`);
    const ip = got.json.spec.clusterIP as string;
    assert.ok(inDefaultRange(ip), ip);
    const out = await c.kubectl(['get', 'svc', 'x', '-n', ns]);
    assert.match(out.stdout, new RegExp(`x\\s+ClusterIP\\s+${ip.replaceAll('.', '\\.')}\\s+<none>\\s+80/TCP`));
  });
});
