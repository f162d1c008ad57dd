/**
 * Every score of the default profile, end to end. Each case is built so the
 * score under test decides alone (the others tie) or must outweigh another
 * score pulling the other way, so a broken score shows as a wrong node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNode, createPod, schedule, startSchedulerE2E, type SchedulerE2E } from './support.ts';

let e: SchedulerE2E;
before(async () => {
  e = await startSchedulerE2E();
});
after(async () => {
  await e?.stop();
});

describe('scheduler scores (end to end)', () => {
  it('LeastAllocated: a pod goes to the emptier node', async () => {
    const ns = 's-least';
    await e.fresh(ns);
    await createNode(e.c, 'sl-busy', { cpu: '4', memory: '8Gi' });
    await createNode(e.c, 'sl-idle', { cpu: '4', memory: '8Gi' });
    // Half of sl-busy in cpu and memory alike, so balanced allocation stays neutral.
    await createPod(e.c, ns, 'load', { cpu: '2', memory: '4Gi', nodeName: 'sl-busy' });
    assert.equal(await schedule(e.c, ns, 'p-1', { cpu: '500m', memory: '1Gi' }), 'sl-idle');
    assert.equal(await schedule(e.c, ns, 'p-2', { cpu: '500m', memory: '1Gi' }), 'sl-idle');
    // Now 1 cpu/2Gi against 2 cpu/4Gi: still sl-idle.
    assert.equal(await schedule(e.c, ns, 'p-3', { cpu: '500m', memory: '1Gi' }), 'sl-idle');
  });

  it('BalancedAllocation: with LeastAllocated tied, the node whose cpu and memory fractions stay even wins', async () => {
    const ns = 's-balanced';
    await e.fresh(ns);
    await createNode(e.c, 'sb-cpu-used', { cpu: '4', memory: '4Gi' });
    await createNode(e.c, 'sb-mem-used', { cpu: '4', memory: '4Gi' });
    // Explicit zero requests: no scoring defaults sneak in.
    await createPod(e.c, ns, 'cpu-load', { cpu: '2', memory: '0', nodeName: 'sb-cpu-used' });
    await createPod(e.c, ns, 'mem-load', { cpu: '0', memory: '2Gi', nodeName: 'sb-mem-used' });
    // 2 cpu: on sb-cpu-used cpu 100%/memory 0% (least 50, balanced 50); on sb-mem-used 50%/50% (least 50, balanced 100).
    assert.equal(await schedule(e.c, ns, 'cpu-heavy', { cpu: '2', memory: '0' }), 'sb-mem-used');
    // The mirror image: 2Gi memory makes sb-cpu-used 50%/50% (least 50, balanced 100)
    // and sb-mem-used, now 50%/50%, 50%/100% (least 25, balanced 75).
    assert.equal(await schedule(e.c, ns, 'mem-heavy', { cpu: '0', memory: '2Gi' }), 'sb-cpu-used');
  });

  it('BalancedAllocation alone decides a LeastAllocated tie', async () => {
    const ns = 's-balanced-tie';
    await e.fresh(ns);
    await createNode(e.c, 'sbt-a', { cpu: '4', memory: '4Gi' });
    await createNode(e.c, 'sbt-b', { cpu: '4', memory: '4Gi' });
    await createPod(e.c, ns, 'a-load', { cpu: '3', memory: '1Gi', nodeName: 'sbt-a' });
    await createPod(e.c, ns, 'b-load', { cpu: '2', memory: '2Gi', nodeName: 'sbt-b' });
    // 1 cpu/1Gi: sbt-a ends 100%/50% and sbt-b 75%/75%. LeastAllocated: (0+50)/2 = 25 and (25+25)/2 = 25.
    // Balanced: 75 against 100, so sbt-b.
    assert.equal(await schedule(e.c, ns, 'p', { cpu: '1', memory: '1Gi' }), 'sbt-b');
  });

  it('BalancedAllocation outweighs a small LeastAllocated lead', async () => {
    const ns = 's-balanced-wins';
    await e.fresh(ns);
    await createNode(e.c, 'sbw-lopsided', { cpu: '10', memory: '10Gi' });
    await createNode(e.c, 'sbw-even', { cpu: '10', memory: '10Gi' });
    await createPod(e.c, ns, 'cpu-load', { cpu: '8', memory: '0', nodeName: 'sbw-lopsided' });
    await createPod(e.c, ns, 'mixed-load', { cpu: '4', memory: '6Gi', nodeName: 'sbw-even' });
    // 2 cpu: sbw-lopsided ends 100%/0% (least 50, balanced 50), sbw-even 60%/60% (least 40, balanced 100).
    // LeastAllocated alone would pick sbw-lopsided; with BalancedAllocation sbw-even wins 140 to 100.
    assert.equal(await schedule(e.c, ns, 'p', { cpu: '2', memory: '0' }), 'sbw-even');
  });

  it('SelectorSpread: pods of one controller spread over nodes even against LeastAllocated', async () => {
    const ns = 's-spread';
    await e.fresh(ns);
    await createNode(e.c, 'ss-big', { cpu: '64', memory: '128Gi' });
    await createNode(e.c, 'ss-small', { cpu: '8', memory: '16Gi' });
    await createPod(e.c, ns, 'load', { cpu: '4', memory: '8Gi', nodeName: 'ss-small' });
    const rs = 'a1b2c3d4-0000-4000-8000-000000000001';
    // LeastAllocated prefers ss-big by ~50 points; spreading (weight 2) is worth 200.
    assert.equal(await schedule(e.c, ns, 'rs-1', { cpu: '100m', memory: '128Mi', ownerUID: rs }), 'ss-big');
    assert.equal(await schedule(e.c, ns, 'rs-2', { cpu: '100m', memory: '128Mi', ownerUID: rs }), 'ss-small');
    // Control: a pod of another controller has no sibling anywhere, so LeastAllocated decides.
    assert.equal(await schedule(e.c, ns, 'other-1', { cpu: '100m', memory: '128Mi', ownerUID: 'a1b2c3d4-0000-4000-8000-000000000002' }), 'ss-big');
    // One sibling on each node: spreading ties, LeastAllocated decides.
    assert.equal(await schedule(e.c, ns, 'rs-3', { cpu: '100m', memory: '128Mi', ownerUID: rs }), 'ss-big');
    assert.equal(await schedule(e.c, ns, 'rs-4', { cpu: '100m', memory: '128Mi', ownerUID: rs }), 'ss-small');
  });

  it('NodeAffinity preferred terms: the higher total weight wins, even against LeastAllocated', async () => {
    const ns = 's-preferred';
    await e.fresh(ns);
    await createNode(e.c, 'sp-zone-a', { labels: { 'example.com/zone': 'a' } });
    await createNode(e.c, 'sp-ssd', { labels: { 'example.com/disk': 'ssd' } });
    await createNode(e.c, 'sp-none', { cpu: '64', memory: '128Gi' });
    await createPod(e.c, ns, 'load-ssd', { cpu: '2', memory: '4Gi', nodeName: 'sp-ssd' });
    await createPod(e.c, ns, 'load-zone', { cpu: '2', memory: '4Gi', nodeName: 'sp-zone-a' });
    const prefer = (zone: number, ssd: number) => ({
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: zone, preference: { matchExpressions: [{ key: 'example.com/zone', operator: 'In' as const, values: ['a'] }] } },
          { weight: ssd, preference: { matchExpressions: [{ key: 'example.com/disk', operator: 'In' as const, values: ['ssd'] }] } },
        ],
      },
    });
    assert.equal(await schedule(e.c, ns, 'ssd-wins', { cpu: '100m', memory: '128Mi', affinity: prefer(10, 80) }), 'sp-ssd');
    assert.equal(await schedule(e.c, ns, 'zone-wins', { cpu: '100m', memory: '128Mi', affinity: prefer(90, 20) }), 'sp-zone-a');
    // Without preferences the big empty node wins.
    assert.equal(await schedule(e.c, ns, 'none', { cpu: '100m', memory: '128Mi' }), 'sp-none');
  });

  it('TaintToleration: an untolerated PreferNoSchedule taint is avoided when another node is equal, unless tolerated', async () => {
    const ns = 's-taint';
    await e.fresh(ns);
    await createNode(e.c, 'st-tainted', { taints: [{ key: 'flaky', value: 'yes', effect: 'PreferNoSchedule' }] });
    await createNode(e.c, 'st-clean');
    for (let i = 0; i < 3; i++) assert.equal(await schedule(e.c, ns, `p-${i}`, { cpu: '100m', memory: '128Mi' }), 'st-clean');
    // Tolerating the taint leaves LeastAllocated to pick the emptier tainted node.
    assert.equal(
      await schedule(e.c, ns, 'tolerating', { cpu: '100m', memory: '128Mi', tolerations: [{ key: 'flaky', operator: 'Equal', value: 'yes', effect: 'PreferNoSchedule' }] }),
      'st-tainted',
    );
  });
});
