/**
 * PodCidrRoutes in a scratch network namespace standing in for a node, so the
 * real host's routing table is never touched. A foreign route (proto static)
 * shares the table and must survive every sync.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PodCidrRoutes, pierRouteProtocol } from '../../../agent/network/pod-cidr-routes.ts';
import { CniPodNetwork } from '../../../agent/network/cni-pod-network.ts';
import { netnsNames, requireCniPrerequisites, sh, trySh, uniqueSuffix } from './network-fixture.ts';

const suffix = uniqueSuffix();
const netns = `pier-prt${suffix}`;
const netnsPath = `/run/netns/${netns}`;

interface JsonRoute {
  dst: string;
  gateway?: string;
  protocol?: string;
}

async function table(): Promise<JsonRoute[]> {
  return JSON.parse(await sh('ip', ['-n', netns, '-j', '-4', 'route', 'show', 'table', 'main'])) as JsonRoute[];
}

function summary(routes: JsonRoute[]): string[] {
  return routes.map((r) => `${r.dst} via ${r.gateway ?? '-'} proto ${r.protocol ?? 'boot'}`).sort();
}

describe('PodCidrRoutes (host-gateway routes to other nodes)', () => {
  before(async () => {
    requireCniPrerequisites();
    await sh('ip', ['netns', 'add', netns]);
    // A node's uplink: a veth pair inside the scratch namespace, on 10.236.0.0/24.
    await sh('ip', ['-n', netns, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'peer']);
    await sh('ip', ['-n', netns, 'addr', 'add', '10.236.0.1/24', 'dev', 'uplink']);
    await sh('ip', ['-n', netns, 'link', 'set', 'uplink', 'up']);
    await sh('ip', ['-n', netns, 'link', 'set', 'peer', 'up']);
    await sh('ip', ['-n', netns, 'route', 'add', '10.99.0.0/24', 'via', '10.236.0.9', 'proto', 'static']);
    await sh('ip', ['-n', netns, 'route', 'add', '10.98.7.7', 'via', '10.236.0.9', 'proto', 'boot']);
  });

  after(async () => {
    await trySh('ip', ['netns', 'delete', netns]);
    assert.deepEqual((await netnsNames()).filter((n) => n === netns), [], 'scratch namespace left behind');
  });

  const routes = new PodCidrRoutes({ netnsPath });
  const foreign = ['10.236.0.0/24 via - proto kernel', '10.98.7.7 via 10.236.0.9 proto boot', '10.99.0.0/24 via 10.236.0.9 proto static'];

  test('adds the missing routes, marked with pier\'s protocol', async () => {
    const result = await routes.sync([
      { podCidr: '10.240.1.0/24', via: '10.236.0.2' },
      { podCidr: '10.240.2.7/24', via: '10.236.0.3' }, // host bits are cleared
    ]);
    assert.deepEqual(result.added, [
      { podCidr: '10.240.1.0/24', via: '10.236.0.2' },
      { podCidr: '10.240.2.0/24', via: '10.236.0.3' },
    ]);
    assert.deepEqual(result.conflicts, []);
    assert.deepEqual(summary(await table()), [
      ...foreign,
      `10.240.1.0/24 via 10.236.0.2 proto ${pierRouteProtocol}`,
      `10.240.2.0/24 via 10.236.0.3 proto ${pierRouteProtocol}`,
    ].sort());
    assert.deepEqual(await routes.list(), [
      { podCidr: '10.240.1.0/24', via: '10.236.0.2' },
      { podCidr: '10.240.2.0/24', via: '10.236.0.3' },
    ]);
  });

  test('a repeated sync changes nothing', async () => {
    const result = await routes.sync([
      { podCidr: '10.240.2.0/24', via: '10.236.0.3' },
      { podCidr: '10.240.1.0/24', via: '10.236.0.2' },
    ]);
    assert.deepEqual(result, { added: [], replaced: [], removed: [], conflicts: [] });
  });

  test('moves a changed gateway, removes stale routes, leaves foreign ones', async () => {
    const result = await routes.sync([
      { podCidr: '10.240.2.0/24', via: '10.236.0.4' },
      { podCidr: '10.240.3.0/24', via: '10.236.0.5' },
    ]);
    assert.deepEqual(result.added, [{ podCidr: '10.240.3.0/24', via: '10.236.0.5' }]);
    assert.deepEqual(result.replaced, [{ podCidr: '10.240.2.0/24', via: '10.236.0.4' }]);
    assert.deepEqual(result.removed, [{ podCidr: '10.240.1.0/24', via: '10.236.0.2' }]);
    assert.deepEqual(summary(await table()), [
      ...foreign,
      `10.240.2.0/24 via 10.236.0.4 proto ${pierRouteProtocol}`,
      `10.240.3.0/24 via 10.236.0.5 proto ${pierRouteProtocol}`,
    ].sort());
  });

  test('a destination held by a foreign route is a conflict, never overwritten', async () => {
    const result = await routes.sync([
      { podCidr: '10.99.0.0/24', via: '10.236.0.6' },
      { podCidr: '10.98.7.7/32', via: '10.236.0.6' },
      { podCidr: '10.240.3.0/24', via: '10.236.0.5' },
    ]);
    assert.deepEqual(result.conflicts.map((c) => c.route.podCidr), ['10.99.0.0/24', '10.98.7.7/32']);
    assert.match(result.conflicts[0]?.existing ?? '', /via 10\.236\.0\.9 .*proto static/);
    assert.deepEqual(result.removed, [{ podCidr: '10.240.2.0/24', via: '10.236.0.4' }]);
    assert.deepEqual(summary(await table()), [...foreign, `10.240.3.0/24 via 10.236.0.5 proto ${pierRouteProtocol}`].sort());
  });

  test('an unreachable gateway fails loudly but the rest still syncs', async () => {
    await assert.rejects(
      routes.sync([
        { podCidr: '10.240.4.0/24', via: '192.0.2.200' },
        { podCidr: '10.240.5.0/24', via: '10.236.0.7' },
      ]),
      (err: unknown) => err instanceof AggregateError && /10\.240\.4\.0\/24/.test(err.message),
    );
    assert.deepEqual(await routes.list(), [{ podCidr: '10.240.5.0/24', via: '10.236.0.7' }]);
  });

  test('invalid input is rejected before anything changes', async () => {
    await assert.rejects(routes.sync([{ podCidr: '10.240.9.0/33', via: '10.236.0.2' }]), /invalid IPv4 CIDR/);
    await assert.rejects(routes.sync([{ podCidr: 'fd00::/64', via: '10.236.0.2' }]), /invalid IPv4 CIDR/);
    await assert.rejects(routes.sync([{ podCidr: '10.240.9.0/24', via: 'node-b' }]), /invalid IPv4 via/);
    await assert.rejects(
      routes.sync([
        { podCidr: '10.240.9.0/24', via: '10.236.0.2' },
        { podCidr: '10.240.9.0/24', via: '10.236.0.3' },
      ]),
      /routed both via/,
    );
    assert.deepEqual(await routes.list(), [{ podCidr: '10.240.5.0/24', via: '10.236.0.7' }]);
    assert.throws(() => new PodCidrRoutes({ protocol: 2 }), /5\.\.255/);
  });

  test('another protocol number is another owner', async () => {
    const other = new PodCidrRoutes({ netnsPath, protocol: pierRouteProtocol + 1 });
    await other.sync([{ podCidr: '10.241.0.0/24', via: '10.236.0.8' }]);
    // Each owner sees and removes only its own.
    assert.deepEqual(await routes.list(), [{ podCidr: '10.240.5.0/24', via: '10.236.0.7' }]);
    await routes.sync([]);
    assert.deepEqual(await other.list(), [{ podCidr: '10.241.0.0/24', via: '10.236.0.8' }]);
    await other.sync([]);
    assert.deepEqual(summary(await table()), foreign);
  });

  test('CniPodNetwork.syncPodCidrRoutes skips its own pod CIDR', async () => {
    const network = new CniPodNetwork({ podCidr: '10.240.6.0/24', dataDir: '/nonexistent', routeNetnsPath: netnsPath });
    const result = await network.syncPodCidrRoutes([
      { podCidr: '10.240.6.0/24', via: '10.236.0.2' },
      { podCidr: '10.240.7.0/24', via: '10.236.0.3' },
    ]);
    assert.deepEqual(result.added, [{ podCidr: '10.240.7.0/24', via: '10.236.0.3' }]);
    assert.deepEqual(summary(await table()), [...foreign, `10.240.7.0/24 via 10.236.0.3 proto ${pierRouteProtocol}`].sort());
    await network.syncPodCidrRoutes([]);
    assert.deepEqual(summary(await table()), foreign);
  });
});
