/**
 * Cluster DNS against a real API server: Service, headless, hostname, SRV,
 * ExternalName, pod and PTR records; NXDOMAIN and NODATA with the SOA;
 * truncation over UDP and the full answer over TCP; forwarding to a fake
 * upstream and SERVFAIL when it stays silent; busybox nslookup finding a
 * short name through a rendered pod resolv.conf.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterDns } from '../../../agent/dns/cluster-dns.ts';
import { RecordType, ResponseCode, type DnsMessage, type DnsRecord } from '../../../agent/dns/dns-message.ts';
import { renderPodResolvConf } from '../../../agent/dns/resolv-conf.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';
import { eventually, sh, trySh } from '../network/network-fixture.ts';
import { createService, putEndpointSlice } from '../proxy/service-fixture.ts';
import { query, startFakeUpstream, tcpExchange, udpExchange, type FakeUpstream } from './dns-test-client.ts';

const ns = 'default';
const third = randomInt(1, 250);
const clusterIp = `10.97.${third}.10`;
// Distinct loopback addresses per run: port 53 must be free for nslookup.
const dnsIp = `127.53.${randomInt(1, 250)}.${randomInt(1, 250)}`;
const upstreamIp = `127.54.${randomInt(1, 250)}.${randomInt(1, 250)}`;

let cluster: TestCluster | undefined;
let client: RestClient | undefined;
let upstream: FakeUpstream | undefined;
let dns: ClusterDns;
let server: { address: string; port: number };
const stop = new AbortController();
let running: Promise<void> | undefined;
const errors: unknown[] = [];

const addresses = (records: DnsRecord[]) => records.flatMap((r) => (r.data.kind === 'A' ? [r.data.address] : [])).sort();
const ask = (name: string, type: number): Promise<DnsMessage> => udpExchange(server, query(name, type));

describe('ClusterDns', () => {
  before(async () => {
    if (process.getuid?.() !== 0) assert.fail('cluster DNS tests bind port 53 and need root: run them as root');
    cluster = await startTestCluster();
    client = new RestClient(loadKubeconfig(cluster.kubeconfigPath));
    upstream = await startFakeUpstream(upstreamIp, { 'www.example.test': '192.0.2.7' }, ['slow.example.test']);
    await createService(client, ns, 'web', {
      clusterIP: clusterIp,
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }],
    });
    await createService(client, ns, 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] });
    await putEndpointSlice(client, ns, 'db', [
      { ip: '10.244.1.5', hostname: 'db-0' },
      { ip: '10.244.1.6' },
      { ip: '10.244.1.7', ready: false },
    ], [{ name: 'pg', port: 5432 }]);
    await createService(client, ns, 'many', { clusterIP: 'None', ports: [{ name: 'x', port: 1, protocol: 'TCP' }] });
    await putEndpointSlice(client, ns, 'many', Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.2.${i + 1}` })), [{ name: 'x', port: 1 }]);
    await createService(client, ns, 'ext', { type: 'ExternalName', externalName: 'www.example.test' });
    dns = new ClusterDns({ client, listen: { address: dnsIp, port: 53 }, upstream: [`${upstreamIp}:${upstream.port}`], forwardTimeoutMs: 500, onError: (e) => errors.push(e) });
    running = dns.run(stop.signal);
    server = await dns.whenListening();
  });

  after(async () => {
    stop.abort();
    await running;
    await upstream?.close();
    client?.close();
    await cluster?.stop();
  });

  it('answers a Service name with its ClusterIP, authoritatively and case-insensitively', async () => {
    const r = await ask('WEB.default.svc.Cluster.Local', RecordType.A);
    assert.equal(r.flags.rcode, ResponseCode.NOERROR);
    assert.equal(r.flags.aa, true);
    assert.deepEqual(addresses(r.answers), [clusterIp]);
    assert.equal(r.answers[0]!.ttl, 5);
    assert.equal(r.answers[0]!.name, 'WEB.default.svc.Cluster.Local');
  });

  it('answers AAAA for an IPv4-only name with NODATA and the SOA', async () => {
    const r = await ask('web.default.svc.cluster.local', RecordType.AAAA);
    assert.equal(r.flags.rcode, ResponseCode.NOERROR);
    assert.deepEqual(r.answers, []);
    assert.equal(r.authorities[0]?.type, RecordType.SOA);
  });

  it('answers a headless Service with its ready endpoints, and each endpoint by hostname', async () => {
    assert.deepEqual(addresses((await ask('db.default.svc.cluster.local', RecordType.A)).answers), ['10.244.1.5', '10.244.1.6']);
    assert.deepEqual(addresses((await ask('db-0.db.default.svc.cluster.local', RecordType.A)).answers), ['10.244.1.5']);
    assert.deepEqual(addresses((await ask('10-244-1-6.db.default.svc.cluster.local', RecordType.A)).answers), ['10.244.1.6']);
    assert.equal((await ask('10-244-1-7.db.default.svc.cluster.local', RecordType.A)).flags.rcode, ResponseCode.NXDOMAIN, 'not-ready endpoints are not published');
  });

  it('follows endpoint readiness changes', async () => {
    await putEndpointSlice(client!, ns, 'db', [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.1.6' }, { ip: '10.244.1.7' }], [{ name: 'pg', port: 5432 }]);
    await eventually('three db endpoints', async () => ((await ask('db.default.svc.cluster.local', RecordType.A)).answers.length === 3 ? true : undefined));
  });

  it('answers SRV for named ports, with the targets in the additional section', async () => {
    const web = await ask('_http._tcp.web.default.svc.cluster.local', RecordType.SRV);
    assert.equal(web.answers.length, 1);
    assert.deepEqual(web.answers[0]!.data, { kind: 'SRV', srv: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } });
    assert.deepEqual(addresses(web.additionals), [clusterIp]);
    const udp = await ask('_dns._udp.web.default.svc.cluster.local', RecordType.SRV);
    assert.equal(udp.answers.length, 1);
    const db = await ask('_pg._tcp.db.default.svc.cluster.local', RecordType.SRV);
    const targets = db.answers.map((a) => (a.data.kind === 'SRV' ? `${a.data.srv.target}:${a.data.srv.port}` : '')).sort();
    assert.ok(targets.includes('db-0.db.default.svc.cluster.local:5432'), targets.join(','));
    assert.equal((await ask('_nope._tcp.web.default.svc.cluster.local', RecordType.SRV)).flags.rcode, ResponseCode.NXDOMAIN);
  });

  it('answers NXDOMAIN with the SOA for unknown cluster names, NODATA for names that only have children', async () => {
    const r = await ask('nope.default.svc.cluster.local', RecordType.A);
    assert.equal(r.flags.rcode, ResponseCode.NXDOMAIN);
    assert.equal(r.flags.aa, true);
    const soa = r.authorities[0];
    assert.equal(soa?.type, RecordType.SOA);
    assert.equal(soa?.name, 'cluster.local');
    assert.equal((await ask('default.svc.cluster.local', RecordType.A)).flags.rcode, ResponseCode.NOERROR);
    assert.equal((await ask('nope-ns.svc.cluster.local', RecordType.A)).flags.rcode, ResponseCode.NXDOMAIN);
    const version = await ask('dns-version.cluster.local', RecordType.TXT);
    assert.deepEqual(version.answers[0]?.data, { kind: 'TXT', texts: ['1.1.0'] });
  });

  it('answers ExternalName with a CNAME, pod names, and PTR for a ClusterIP', async () => {
    const ext = await ask('ext.default.svc.cluster.local', RecordType.A);
    assert.deepEqual(ext.answers[0]?.data, { kind: 'name', target: 'www.example.test' });
    assert.deepEqual(addresses((await ask('10-1-2-3.default.pod.cluster.local', RecordType.A)).answers), ['10.1.2.3']);
    const ptr = await ask(`${clusterIp.split('.').reverse().join('.')}.in-addr.arpa`, RecordType.PTR);
    assert.deepEqual(ptr.answers[0]?.data, { kind: 'name', target: 'web.default.svc.cluster.local' });
  });

  it('truncates a large answer over UDP and gives it whole over TCP', async () => {
    const udp = await ask('many.default.svc.cluster.local', RecordType.A);
    assert.equal(udp.flags.tc, true);
    assert.deepEqual(udp.answers, []);
    const tcp = await tcpExchange(server, query('many.default.svc.cluster.local', RecordType.A));
    assert.equal(tcp.flags.tc, false);
    assert.equal(tcp.answers.length, 60);
    const web = await tcpExchange(server, query('web.default.svc.cluster.local', RecordType.A));
    assert.deepEqual(addresses(web.answers), [clusterIp]);
  });

  it('forwards other names to the upstream, over UDP and TCP, and answers SERVFAIL when it is silent', async () => {
    const q = query('www.example.test', RecordType.A);
    const r = await udpExchange(server, q);
    assert.equal(r.id, q.readUInt16BE(0), 'the client ID comes back');
    assert.equal(r.flags.aa, false);
    assert.deepEqual(addresses(r.answers), ['192.0.2.7']);
    assert.ok(upstream!.asked.includes('www.example.test'));
    assert.deepEqual(addresses((await tcpExchange(server, query('www.example.test', RecordType.A))).answers), ['192.0.2.7']);
    assert.equal((await ask('missing.example.test', RecordType.A)).flags.rcode, ResponseCode.NXDOMAIN);
    const started = Date.now();
    const slow = await ask('slow.example.test', RecordType.A);
    assert.equal(slow.flags.rcode, ResponseCode.SERVFAIL);
    assert.ok(Date.now() - started < 3000, `SERVFAIL after the forward timeout, not later (${Date.now() - started} ms)`);
    assert.deepEqual(errors, []);
  });

  it('lets busybox nslookup resolve a short Service name through a rendered pod resolv.conf', async () => {
    if ((await trySh('busybox', ['--help'])) === undefined) assert.fail('busybox is missing: apt-get install busybox-static');
    const dir = await mkdtemp(join(tmpdir(), 'pier-dns-'));
    try {
      const conf = renderPodResolvConf({ nameservers: [server.address], namespace: ns });
      assert.equal(conf, `nameserver ${server.address}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`);
      await writeFile(join(dir, 'resolv.conf'), conf);
      // A private mount namespace shows busybox our resolv.conf and leaves the host's alone.
      const out = await sh('unshare', ['--mount', 'sh', '-c', `mount --bind ${join(dir, 'resolv.conf')} /etc/resolv.conf && busybox nslookup -type=a web; true`]);
      assert.match(out, /Name:\s+web\.default\.svc\.cluster\.local\s+Address:\s+10\.97\.\d+\.10/);
      assert.ok(out.includes(`Address: ${clusterIp}`), out);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
