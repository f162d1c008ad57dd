/** resolv.conf parsing (the node's upstreams) and rendering (a pod's ClusterFirst config). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpstream } from '../../../agent/dns/dns-forwarder.ts';
import { parseResolvConf, renderPodResolvConf } from '../../../agent/dns/resolv-conf.ts';

describe('resolv-conf', () => {
  it('renders a pod resolv.conf the kubelet way', () => {
    assert.equal(
      renderPodResolvConf({ nameservers: ['10.96.0.10'], namespace: 'shop' }),
      'nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    );
    assert.equal(
      renderPodResolvConf({ nameservers: ['10.96.0.10'], namespace: 'a', clusterDomain: 'k.test.', hostSearches: ['corp.example', 'k.test'] }),
      'nameserver 10.96.0.10\nsearch a.svc.k.test svc.k.test k.test corp.example\noptions ndots:5\n',
    );
  });

  it('reads nameservers, the last search line, and options, ignoring comments', () => {
    const conf = parseResolvConf('# generated\nnameserver 10.0.0.2\nnameserver fd00::53 ; v6\nsearch a.example\nsearch b.example c.example\noptions edns0 ndots:2\n');
    assert.deepEqual(conf, { nameservers: ['10.0.0.2', 'fd00::53'], searches: ['b.example', 'c.example'], options: ['edns0', 'ndots:2'] });
  });

  it('parses upstream addresses with and without ports', () => {
    assert.deepEqual(parseUpstream('10.0.0.2'), { address: '10.0.0.2', port: 53 });
    assert.deepEqual(parseUpstream('127.0.0.9:5353'), { address: '127.0.0.9', port: 5353 });
    assert.deepEqual(parseUpstream('fd00::53'), { address: 'fd00::53', port: 53 });
    assert.deepEqual(parseUpstream('[fd00::53]:5300'), { address: 'fd00::53', port: 5300 });
  });
});
