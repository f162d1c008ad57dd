import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CycleState } from '../../scheduler/framework/cycle-state.ts';
import { Snapshot } from '../../scheduler/framework/snapshot.ts';
import type { Node, Pod } from '../../scheduler/framework/types.ts';
import { FitError } from '../../scheduler/fit-error.ts';
import { defaultProfile } from '../../scheduler/profile.ts';
import { findNodesThatFitPod, newCursor, numFeasibleNodesToFind, prioritizeNodes, schedulePod, selectHost } from '../../scheduler/schedule-one.ts';
import { makeNode, makePod } from './make-objects.ts';

test('numFeasibleNodesToFind follows kube-scheduler', () => {
  const cases: [number, number, number][] = [
    // [percentageOfNodesToScore, nodes, want]
    [0, 10, 10],
    [0, 99, 99],
    [0, 100, 100],
    [0, 250, 120], // 48%
    [0, 1000, 420], // 42%
    [0, 5000, 500], // 10%
    [0, 6000, 300], // 50-48 = 2% → floor 5%
    [0, 1500, 570], // 38%
    [0, 150, 100], // 49% = 73 → at least 100
    [30, 1000, 300],
    [100, 5000, 5000],
  ];
  for (const [pct, n, want] of cases) assert.equal(numFeasibleNodesToFind(pct, n), want, `${pct}% of ${n}`);
});

test('the default profile puts the pod on the best node and explains failures', () => {
  const nodes: Node[] = [
    makeNode('small', { cpu: '1', labels: { disk: 'ssd' } }),
    makeNode('hdd-1', { cpu: '8', labels: { disk: 'hdd' } }),
    makeNode('hdd-2', { cpu: '8', labels: { disk: 'hdd' } }),
  ];
  const snap = Snapshot.fromObjects(nodes);
  const profile = defaultProfile();
  const big = makePod('big', { cpu: '2', nodeSelector: { disk: 'ssd' } });
  assert.throws(
    () => schedulePod(profile, big, snap, newCursor()),
    (err: unknown) =>
      err instanceof FitError &&
      err.message === "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector." &&
      err.diagnosis.unschedulablePlugins.has('NodeResourcesFit') &&
      err.diagnosis.unschedulablePlugins.has('NodeAffinity'),
  );
  const r = schedulePod(profile, makePod('ok', { cpu: '500m' }), Snapshot.fromObjects(nodes, [makePod('x', { cpu: '4', nodeName: 'hdd-1' })]), newCursor());
  assert.equal(r.suggestedHost, 'hdd-2', 'least allocated wins');
  assert.deepEqual([r.evaluatedNodes, r.feasibleNodes], [3, 3]);
  assert.throws(() => schedulePod(profile, makePod('p'), Snapshot.fromObjects([]), newCursor()), /no nodes available to schedule pods/);
});

test('replicas of one owner spread across equal nodes', () => {
  const nodes = [makeNode('a'), makeNode('b'), makeNode('c')];
  const placed: Pod[] = [];
  const profile = defaultProfile();
  const cursor = newCursor();
  for (let i = 0; i < 6; i++) {
    const pod = makePod(`web-${i}`, { owner: 'web', cpu: '100m', memory: '128Mi' });
    const { suggestedHost } = schedulePod(profile, pod, Snapshot.fromObjects(nodes, placed), cursor);
    pod.spec.nodeName = suggestedHost;
    placed.push(pod);
  }
  const perNode = new Map<string, number>();
  for (const p of placed) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [2, 2, 2]);
});

test('sampling stops at numFeasibleNodesToFind and the cursor moves on', () => {
  const nodes = Array.from({ length: 1000 }, (_, i) => makeNode(`n${i}`));
  const snap = Snapshot.fromObjects(nodes);
  const cursor = newCursor();
  const profile = defaultProfile();
  const first = findNodesThatFitPod(profile, new CycleState(), makePod('p'), snap, cursor);
  assert.equal(first.feasibleNodes.length, 420);
  assert.equal(first.feasibleNodes[0]?.name, 'n0');
  assert.equal(cursor.nextStartNodeIndex, 420);
  const second = findNodesThatFitPod(profile, new CycleState(), makePod('p'), snap, cursor);
  assert.equal(second.feasibleNodes[0]?.name, 'n420');
  assert.equal(cursor.nextStartNodeIndex, 840);
  const third = findNodesThatFitPod(profile, new CycleState(), makePod('p'), snap, cursor);
  assert.equal(third.feasibleNodes[0]?.name, 'n840');
  assert.equal(third.feasibleNodes.at(-1)?.name, 'n259', 'wraps around');
  // Infeasible nodes don't count toward the target: the search continues past them.
  const tainted = Array.from({ length: 1000 }, (_, i) => makeNode(`t${i}`, i < 900 ? { taints: [{ key: 'k', effect: 'NoSchedule' }] } : {}));
  const r = findNodesThatFitPod(profile, new CycleState(), makePod('p'), Snapshot.fromObjects(tainted), newCursor());
  assert.equal(r.feasibleNodes.length, 100);
  assert.equal(r.diagnosis.nodeToStatus.size, 900);
});

test('selectHost picks the top score and breaks ties at random', () => {
  const scores = [
    { name: 'a', scores: [], totalScore: 10 },
    { name: 'b', scores: [], totalScore: 30 },
    { name: 'c', scores: [], totalScore: 30 },
  ];
  assert.equal(selectHost(scores, () => 0.99), 'b');
  assert.equal(selectHost(scores, () => 0), 'c');
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(selectHost(scores));
  assert.deepEqual([...seen].sort(), ['b', 'c']);
});

test('prioritizeNodes multiplies normalized scores by profile weights', () => {
  const nodes = [makeNode('soft', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), makeNode('clean')];
  const snap = Snapshot.fromObjects(nodes);
  const profile = defaultProfile();
  const state = new CycleState();
  const pod = makePod('p', { cpu: '1', memory: '1Gi' });
  const { feasibleNodes } = findNodesThatFitPod(profile, state, pod, snap, newCursor());
  const scores = prioritizeNodes(profile, state, pod, feasibleNodes);
  const taint = (name: string) => scores.find((s) => s.name === name)?.scores.find((p) => p.plugin === 'TaintToleration')?.score;
  assert.equal(taint('soft'), 0);
  assert.equal(taint('clean'), 300, 'TaintToleration weight 3 × 100');
  assert.equal(selectHost(scores), 'clean');
});

test('5,000 nodes: one pod per cycle stays well under 10 ms', () => {
  const nodes: Node[] = [];
  const pods: Pod[] = [];
  for (let i = 0; i < 5000; i++) {
    nodes.push(
      makeNode(`sim-${i}`, {
        cpu: '32',
        memory: '256Gi',
        labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` },
        ...(i % 10 === 0 ? { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] } : {}),
      }),
    );
    for (let j = 0; j < 5; j++) pods.push(makePod(`bg-${i}-${j}`, { cpu: '500m', memory: '1Gi', owner: `rs-${j}`, nodeName: `sim-${i}` }));
  }
  const snap = Snapshot.fromObjects(nodes, pods);
  const profile = defaultProfile();
  const cursor = newCursor();
  const n = 300;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const pod = makePod(`p-${i}`, { cpu: '100m', memory: '256Mi', owner: 'bench' });
    const { suggestedHost, feasibleNodes } = schedulePod(profile, pod, snap, cursor);
    assert.equal(feasibleNodes, 500);
    pod.spec.nodeName = suggestedHost;
    snap.get(suggestedHost)?.addPod(pod);
  }
  const perPod = (performance.now() - start) / n;
  console.log(`schedule-one: 5000 nodes, ${n} pods: ${perPod.toFixed(3)} ms per pod (${Math.round(1000 / perPod)} pods/s)`);
  assert.ok(Number.isFinite(perPod));
});
