/**
 * The node IPAM controller against a real API server: distinct /24s of the
 * cluster CIDR for new Nodes, preassigned podCIDRs respected, subnets freed
 * on Node deletion, and no double allocation after a controller restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../client/api/meta.ts';
import { CidrSet } from '../../controllers/nodeipam/cidr-set.ts';
import { NodeIpamController } from '../../controllers/nodeipam/node-ipam-controller.ts';
import { errorText, nodesPath, startEndpointHarness, waitFor, type EndpointHarness } from './endpoint-test-harness.ts';

let h: EndpointHarness;
const prefix = `ipam-${process.pid}`;

before(async () => {
  h = await startEndpointHarness();
});
after(async () => {
  await h?.stop();
});

interface Node extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

async function createNode(name: string, podCIDR?: string): Promise<void> {
  await h.client.create(nodesPath(), { apiVersion: 'v1', kind: 'Node', metadata: { name }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}) } as KubeObject);
}

async function waitPodCIDR(name: string): Promise<string> {
  return waitFor(`podCIDR on ${name} (errors: ${errorText(h.errors)})`, async () => {
    const node = await h.client.get<Node>(nodesPath(name));
    if (!node.spec?.podCIDR) return undefined;
    assert.deepEqual(node.spec.podCIDRs, [node.spec.podCIDR]);
    return node.spec.podCIDR;
  });
}

describe('node IPAM controller', () => {
  it('gives new nodes distinct /24s, keeps preassigned ones, and survives a restart', async () => {
    await createNode(`${prefix}-pre`, '10.244.0.0/24');
    let controller: NodeIpamController | undefined;
    const stop = await h.startControllers((ctx) => [(controller = new NodeIpamController(ctx, { clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 24 }))]);
    const names = [1, 2, 3].map((i) => `${prefix}-n${i}`);
    await Promise.all(names.map((n) => createNode(n)));
    const cidrs = await Promise.all(names.map(waitPodCIDR));
    for (const cidr of cidrs) assert.match(cidr, /^10\.244\.\d{1,3}\.0\/24$/);
    assert.equal(new Set([...cidrs, '10.244.0.0/24']).size, 4, cidrs.join(' '));
    assert.equal(await waitPodCIDR(`${prefix}-pre`), '10.244.0.0/24');

    // Deleting a node frees its subnet.
    await h.client.delete(nodesPath(names[0]!));
    await waitFor('subnet freed', () => (controller!.cidrs.isUsed(cidrs[0]!) ? undefined : true));
    await stop();

    // A new controller learns the taken subnets from the nodes before it allocates.
    const late = `${prefix}-late`;
    await createNode(late);
    await h.startControllers((ctx) => [new NodeIpamController(ctx, {})]);
    const lateCidr = await waitPodCIDR(late);
    assert.ok(![...cidrs.slice(1), '10.244.0.0/24'].includes(lateCidr), `${lateCidr} reused: ${cidrs.join(' ')}`);
    for (let i = 1; i < 3; i++) assert.equal(await waitPodCIDR(names[i]!), cidrs[i]);
    assert.equal(h.errors.length, 0, errorText(h.errors));
  });
});

describe('CidrSet', () => {
  it('hands out subnets in order, round-robin past freed ones, until full', () => {
    const set = new CidrSet('10.244.0.0/22', 24);
    assert.deepEqual([set.allocateNext(), set.allocateNext()], ['10.244.0.0/24', '10.244.1.0/24']);
    set.release('10.244.0.0/24');
    assert.equal(set.occupy('10.244.3.0/24'), true);
    assert.equal(set.occupy('10.245.0.0/24'), false);
    assert.equal(set.allocateNext(), '10.244.2.0/24');
    assert.equal(set.allocateNext(), '10.244.0.0/24');
    assert.equal(set.allocateNext(), undefined);
    assert.throws(() => new CidrSet('10.0.0.0/8', 28), /should be <= 16/);
  });
});
