/**
 * The pure halves of the proxy: endpoint selection from EndpointSlices, the
 * nftables ruleset for a list of service ports, and the transaction that
 * moves the table from one ruleset to the next.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildNftablesRuleset, countRules, serviceChainName } from '../../../agent/proxy/nftables-ruleset.ts';
import { renderNftTransaction, rulesetsEqual } from '../../../agent/proxy/nft-transaction.ts';
import { endpointsForPort, usableEndpoints } from '../../../agent/proxy/service-endpoints.ts';
import type { ServicePortInfo } from '../../../agent/proxy/service-port.ts';
import { shouldSkipService, type EndpointSlice } from '../../../agent/proxy/service-types.ts';

function slice(endpoints: NonNullable<EndpointSlice['endpoints']>, ports: NonNullable<EndpointSlice['ports']>, addressType: EndpointSlice['addressType'] = 'IPv4'): EndpointSlice {
  return { metadata: { name: 's', namespace: 'ns' }, addressType, endpoints, ports };
}

function sp(name: string, endpoints: string[], extra: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    namespace: 'ns', name, portName: 'http', protocol: 'tcp', clusterIP: '10.96.0.10', port: 80, nodePort: 0, externalIPs: [],
    endpoints: endpoints.map((ip) => ({ ip, port: 8080, ready: true, serving: true, terminating: false })),
    ...extra,
  };
}

describe('endpointsForPort / usableEndpoints', () => {
  it('matches the slice port by name and protocol, reads nil conditions as kube does, and dedupes', () => {
    const slices = [
      slice([{ addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.1'], conditions: { ready: false } }], [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]),
      slice([{ addresses: ['10.0.0.2'] }], [{ name: 'http', port: 8080, protocol: 'TCP' }]),
      slice([{ addresses: ['fd00::1'] }], [{ name: 'http', port: 8080, protocol: 'TCP' }], 'IPv6'),
    ];
    const eps = endpointsForPort(slices, 'http', 'TCP');
    assert.deepEqual(eps.map((e) => [e.ip, e.port, e.ready, e.serving]), [['10.0.0.1', 8080, false, false], ['10.0.0.2', 8080, true, true]]);
    assert.deepEqual(endpointsForPort(slices, 'http', 'UDP'), []);
    assert.deepEqual(endpointsForPort(slices, 'dns', 'UDP').map((e) => e.port), [53, 53]);
  });

  it('falls back to serving-terminating endpoints only when none is ready', () => {
    const base = { port: 80 };
    const terminating = { ...base, ip: '10.0.0.1', ready: false, serving: true, terminating: true };
    const gone = { ...base, ip: '10.0.0.2', ready: false, serving: false, terminating: true };
    const ready = { ...base, ip: '10.0.0.3', ready: true, serving: true, terminating: false };
    assert.deepEqual(usableEndpoints([terminating, gone, ready]).map((e) => e.ip), ['10.0.0.3']);
    assert.deepEqual(usableEndpoints([terminating, gone]).map((e) => e.ip), ['10.0.0.1']);
    assert.deepEqual(usableEndpoints([gone]), []);
  });

  it('skips headless and ExternalName Services', () => {
    assert.equal(shouldSkipService({ metadata: {}, spec: { clusterIP: 'None' } }), true);
    assert.equal(shouldSkipService({ metadata: {}, spec: { type: 'ExternalName', externalName: 'x.example' } }), true);
    assert.equal(shouldSkipService({ metadata: {}, spec: { clusterIP: '10.96.0.1' } }), false);
  });
});

describe('buildNftablesRuleset', () => {
  it('sends a ClusterIP through a numgen vmap to one DNAT chain per endpoint', () => {
    const rs = buildNftablesRuleset([sp('web', ['10.0.0.1', '10.0.0.2'])], { nodeIps: ['192.0.2.1'], localCidr: '10.0.0.0/16' });
    const chain = serviceChainName(sp('web', []));
    assert.equal(rs.sets.get('service-ips')!.elements.get('10.96.0.10 . tcp . 80'), `goto ${chain}`);
    const rules = rs.chains.get(chain)!.rules;
    assert.equal(rules[0], `ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.0.0.0/16 jump mark-for-masquerade`);
    assert.match(rules[1]!, /^numgen random mod 2 vmap \{ 0 : goto endpoint-[0-9A-F]{8}-ns\/web\/tcp\/http__10\.0\.0\.1\/8080, 1 : goto endpoint-/);
    const endpointChain = [...rs.chains.keys()].find((n) => n.endsWith('__10.0.0.2/8080'))!;
    assert.deepEqual(rs.chains.get(endpointChain)!.rules, ['ip saddr 10.0.0.2 jump mark-for-masquerade', 'meta l4proto tcp dnat to 10.0.0.2:8080']);
    assert.deepEqual([...rs.sets.get('nodeport-ips')!.elements.keys()], ['192.0.2.1']);
  });

  it('rejects ports without endpoints instead of programming a chain', () => {
    const rs = buildNftablesRuleset([sp('empty', [], { nodePort: 30080 })], { nodeIps: [] });
    assert.equal(rs.sets.get('no-endpoint-services')!.elements.get('10.96.0.10 . tcp . 80'), 'goto reject-chain');
    assert.equal(rs.sets.get('no-endpoint-nodeports')!.elements.get('tcp . 30080'), 'goto reject-chain');
    assert.equal(rs.sets.get('service-ips')!.elements.size, 0);
    assert.ok(![...rs.chains.keys()].some((n) => /^(service|endpoint)-[0-9A-F]{8}-/.test(n)));
  });

  it('remembers ClientIP affinity in a dynamic set per endpoint and masquerades NodePort traffic', () => {
    const rs = buildNftablesRuleset([sp('sticky', ['10.0.0.1'], { affinityTimeoutSeconds: 60, nodePort: 30001 })], { nodeIps: ['192.0.2.1'] });
    const affinity = [...rs.sets].find(([n]) => n.startsWith('affinity-'))!;
    assert.equal(affinity[1].dynamic, true);
    assert.match(affinity[1].spec, /timeout 60s/);
    const service = rs.chains.get(serviceChainName(sp('sticky', [])))!;
    assert.match(service.rules[0]!, new RegExp(`^ip saddr @${affinity[0].replaceAll('/', '\\/')} goto endpoint-`));
    const external = [...rs.chains].find(([n]) => n.startsWith('external-'))!;
    assert.deepEqual(external[1].rules, ['jump mark-for-masquerade', `goto ${serviceChainName(sp('sticky', []))}`]);
    assert.equal(rs.sets.get('service-nodeports')!.elements.get('tcp . 30001'), `goto ${external[0]}`);
  });
});

describe('renderNftTransaction', () => {
  const opts = { nodeIps: ['192.0.2.1'] };

  it('rebuilds the whole table when nothing was applied before', () => {
    const rs = buildNftablesRuleset([sp('web', ['10.0.0.1'])], opts);
    const script = renderNftTransaction('ip', 't', undefined, rs);
    const lines = script.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['add table ip t { comment "pier service proxy rules" ; }', 'delete table ip t', 'add table ip t { comment "pier service proxy rules" ; }']);
    assert.equal(lines.filter((l) => l.startsWith('add rule ')).length, countRules(rs));
  });

  it('touches only what changed, and deletes a removed Service after dropping references to it', () => {
    const a = sp('a', ['10.0.0.1']);
    const b = sp('b', ['10.0.0.2'], { clusterIP: '10.96.0.11' });
    const before = buildNftablesRuleset([a, b], opts);
    const afterRs = buildNftablesRuleset([a], opts);
    assert.equal(rulesetsEqual(before, buildNftablesRuleset([a, b], opts)), true);
    assert.equal(renderNftTransaction('ip', 't', before, buildNftablesRuleset([a, b], opts)).trim(), 'add table ip t { comment "pier service proxy rules" ; }');
    const lines = renderNftTransaction('ip', 't', before, afterRs).trim().split('\n');
    const removeElement = lines.findIndex((l) => l.startsWith('delete element ip t service-ips { 10.96.0.11 . tcp . 80 }'));
    const deleteChain = lines.findIndex((l) => l.startsWith(`delete chain ip t ${serviceChainName(b)}`));
    assert.ok(removeElement > 0 && deleteChain > removeElement, lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('ns/a/')), 'the unchanged Service is left alone');
    assert.equal(lines.filter((l) => l.startsWith('delete chain')).length, 2);
  });
});
