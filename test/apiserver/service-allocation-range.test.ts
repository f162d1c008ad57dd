/**
 * The allocation building blocks and `serviceClusterIpRange`: the bitmap's
 * snapshot format and random scan, the range arithmetic, a custom range
 * through buildApiServer (the `kubernetes` Service on its first IP, the
 * range full), and runApiServer refusing a bad range with one line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runApiServer } from '../../apiserver/main.ts';
import { AllocationBitmap } from '../../apiserver/registry/services/allocation/allocation-bitmap.ts';
import { NodePortRange, ServiceIPRange } from '../../apiserver/registry/services/allocation/service-ip-range.ts';
import { ServiceAllocators } from '../../apiserver/registry/services/allocation/service-allocators.ts';
import { serviceIPsRangeKey } from '../../apiserver/registry/services/allocation/stored-allocator.ts';
import { buildApiServer } from '../../apiserver/server.ts';
import { Etcd3Storage } from '../../apiserver/storage/etcd3/store.ts';
import { discardMetrics, testToken } from '../support/inject-server.ts';
import { startEtcd, type TestEtcd } from '../support/etcd.ts';

describe('AllocationBitmap', () => {
  it('snapshots as big.Int bytes and restores them', () => {
    const bitmap = new AllocationBitmap(20, '10.0.0.0/27');
    assert.equal(bitmap.allocate(0), true);
    assert.equal(bitmap.allocate(9), true);
    assert.equal(bitmap.allocate(9), false);
    // bits 0 and 9 → 0x0201, big-endian.
    assert.deepEqual(bitmap.snapshot(), { range: '10.0.0.0/27', data: Buffer.from([0x02, 0x01]).toString('base64') });
    const copy = new AllocationBitmap(20, '10.0.0.0/27');
    copy.restore('10.0.0.0/27', bitmap.snapshot().data);
    assert.equal(copy.used(), 2);
    assert.ok(copy.has(9));
    assert.throws(() => copy.restore('10.0.0.0/26', ''), /the provided range does not match the current range/);
  });

  it('allocates dynamically from the upper band first, then the static band, then reports full', () => {
    const bitmap = new AllocationBitmap(20, 'r', 4);
    const got = Array.from({ length: 16 }, () => bitmap.allocateNext()!);
    assert.ok(got.every((o) => o >= 4), got.join(','));
    assert.equal(new Set(got).size, 16);
    const rest = Array.from({ length: 4 }, () => bitmap.allocateNext()!);
    assert.deepEqual(rest.sort((a, b) => a - b), [0, 1, 2, 3]);
    assert.equal(bitmap.allocateNext(), undefined);
    bitmap.release(2);
    assert.equal(bitmap.allocateNext(), 2);
  });

  it('knows ranges as kube does', () => {
    const r = ServiceIPRange.parse('10.96.0.0/12');
    assert.equal(r.max, 2 ** 20 - 2);
    assert.equal(r.firstIP(), '10.96.0.1');
    assert.equal(r.offsetOf('10.96.0.0'), undefined);
    assert.equal(r.offsetOf('10.111.255.255'), undefined);
    assert.equal(r.offsetOf('10.111.255.254'), r.max - 1);
    assert.equal(r.staticBand, 256);
    assert.equal(ServiceIPRange.parse('10.0.0.5/24').cidr.text, '10.0.0.0/24');
    assert.throws(() => ServiceIPRange.parse('fd00::/108'), /IPv4 CIDR/);
    const ports = NodePortRange.parse('30000-32767');
    assert.equal(ports.size, 2768);
    assert.equal(ports.staticBand, 86);
    assert.equal(ports.offsetOf(29999), undefined);
  });
});

describe('serviceClusterIpRange', () => {
  let etcd: TestEtcd;
  let storage: Etcd3Storage;
  before(async () => {
    etcd = await startEtcd();
    storage = new Etcd3Storage({ endpoints: [etcd.endpoint] });
  });
  after(async () => {
    await storage?.close();
    await etcd?.stop();
  });

  it('puts the kubernetes Service on the first IP of a custom range and fills the range', async () => {
    const app = await buildApiServer({
      storage,
      authenticator: { authenticate: (t) => (t === testToken ? { username: 'admin', uid: 'admin', groups: ['system:masters'] } : undefined) },
      metrics: discardMetrics,
      serviceClusterIpRange: '10.100.0.0/29',
    });
    try {
      const request = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
        const res = await app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        });
        return { statusCode: res.statusCode, json: JSON.parse(res.body) };
      };
      const k = await request('GET', '/api/v1/namespaces/default/services/kubernetes');
      assert.equal(k.json.spec.clusterIP, '10.100.0.1');
      // A /29 has 6 usable addresses; the kubernetes Service holds one.
      const ips = new Set<string>(['10.100.0.1']);
      for (let i = 0; i < 5; i++) {
        const res = await request('POST', '/api/v1/namespaces/default/services', { metadata: { name: `f${i}` }, spec: { ports: [{ port: 80 }] } });
        assert.equal(res.statusCode, 201, JSON.stringify(res.json));
        ips.add(res.json.spec.clusterIP);
      }
      assert.equal(ips.size, 6);
      const full = await request('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'full' }, spec: { ports: [{ port: 80 }] } });
      assert.equal(full.statusCode, 500);
      assert.equal(full.json.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
      const stored = await storage.get(serviceIPsRangeKey);
      assert.equal(stored['kind'], 'RangeAllocation');
      assert.equal(stored['range'], '10.100.0.0/29');
      assert.equal(await new ServiceAllocators(storage, { serviceClusterIpRange: '10.100.0.0/29' }).allocatedIPCount(), 6);
    } finally {
      await app.close();
    }
  });

  it('runApiServer refuses a range that is not an IPv4 CIDR with one line', async () => {
    await assert.rejects(
      runApiServer({ etcdServers: [etcd.endpoint], port: 0, bindAddress: '127.0.0.1', tokenAuthFile: '/nonexistent', serviceClusterIpRange: '10.96.0.0' }),
      { name: 'ApiServerStartError', message: '--service-cluster-ip-range: invalid service cluster IP range "10.96.0.0": must be an IPv4 CIDR such as 10.96.0.0/12' },
    );
  });
});
