/**
 * The nftables backend at scale, in a scratch network namespace: 1,000
 * Services with two endpoints each are applied in one transaction, a change
 * to one Service is applied as a small diff, an unchanged state writes
 * nothing, and cleanup() leaves no table. Timings are reported as
 * diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NftablesProxier } from '../../../agent/proxy/nftables-proxier.ts';
import { serviceChainName } from '../../../agent/proxy/nftables-ruleset.ts';
import type { ServicePortInfo } from '../../../agent/proxy/service-port.ts';
import { sh, trySh, uniqueSuffix } from '../network/network-fixture.ts';
import { leftoverNamespaces, requireProxyPrerequisites } from './proxy-netns-fixture.ts';

const prefix = `pxn${uniqueSuffix()}`;
const netns = `/run/netns/${prefix}`;

function servicePorts(count: number, changed = -1): ServicePortInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    namespace: 'bench',
    name: `svc-${i}`,
    portName: 'http',
    protocol: 'tcp' as const,
    clusterIP: `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    port: 80,
    nodePort: i < 100 ? 30000 + i : 0,
    externalIPs: [],
    endpoints: [1, 2].map((n) => ({ ip: `10.244.${i % 200}.${n + (i === changed ? 10 : 0)}`, port: 8080, ready: true, serving: true, terminating: false })),
  }));
}

describe('NftablesProxier with 1,000 Services', () => {
  before(async () => {
    await requireProxyPrerequisites();
    await sh('ip', ['netns', 'add', prefix]);
  });
  after(async () => {
    await trySh('ip', ['netns', 'delete', prefix]);
    assert.deepEqual(await leftoverNamespaces(prefix), []);
  });

  it('applies everything at once, then only the difference', async (t) => {
    const proxier = new NftablesProxier({ nodeIps: ['192.0.2.1'], localCidr: '10.244.0.0/16', netnsPath: netns, tableName: `${prefix}-proxy` });
    let started = performance.now();
    assert.equal(await proxier.sync(servicePorts(1000), false), true);
    const fullMs = performance.now() - started;
    const chains = await sh('nsenter', [`--net=${netns}`, '--', 'nft', 'list', 'table', 'ip', `${prefix}-proxy`]);
    // 1,000 service chains, 2,000 endpoint chains, 100 external chains, and the fixed skeleton.
    assert.equal(chains.split('\n').filter((l) => /^\s*chain (service|endpoint|external)-[0-9A-F]{8}-/.test(l)).length, 3100);

    started = performance.now();
    assert.equal(await proxier.sync(servicePorts(1000, 500), false), true);
    const diffMs = performance.now() - started;
    const listing = await sh('nsenter', [`--net=${netns}`, '--', 'nft', 'list', 'chain', 'ip', `${prefix}-proxy`, serviceChainName(servicePorts(501)[500]!)]);
    assert.match(listing, /10\.244\.100\.11/);

    started = performance.now();
    assert.equal(await proxier.sync(servicePorts(1000, 500), false), false, 'nothing to write');
    const noopMs = performance.now() - started;
    t.diagnostic(`full sync of 1000 services: ${fullMs.toFixed(0)} ms; one-service change: ${diffMs.toFixed(0)} ms; no change: ${noopMs.toFixed(1)} ms; rules: ${proxier.rulesCount()}`);

    await proxier.cleanup();
    assert.doesNotMatch(await sh('nsenter', [`--net=${netns}`, '--', 'nft', 'list', 'tables']), new RegExp(prefix));
  });
});
