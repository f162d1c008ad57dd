import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CycleState } from '../../../scheduler/framework/cycle-state.ts';
import { NodeInfo } from '../../../scheduler/framework/node-info.ts';
import { SelectorSpread } from '../../../scheduler/plugins/selector-spread/index.ts';
import { makeNode, makePod } from '../make-objects.ts';

test('SelectorSpread: fewer pods of the same controller scores higher', () => {
  const plugin = new SelectorSpread();
  const sib = (node: string, i: number) => makePod(`s${node}${i}`, { owner: 'web', nodeName: node });
  const nodes = [
    new NodeInfo(makeNode('a'), [sib('a', 0), sib('a', 1)]),
    new NodeInfo(makeNode('b'), [sib('b', 0), makePod('other', { owner: 'db', nodeName: 'b' }), makePod('x', { owner: 'web', namespace: 'other', nodeName: 'b' })]),
    new NodeInfo(makeNode('c')),
  ];
  const pod = makePod('p', { owner: 'web' });
  const state = new CycleState();
  assert.equal(plugin.preScore(state, pod, nodes), null);
  const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) }));
  assert.deepEqual(scores.map((s) => s.score), [2, 1, 0]);
  plugin.normalizeScore(state, pod, scores);
  assert.deepEqual(scores.map((s) => s.score), [0, 50, 100]);
  assert.equal(plugin.preScore(new CycleState(), makePod('orphan'), nodes)?.code, 'Skip');
});

test('SelectorSpread: zones weigh two thirds', () => {
  const plugin = new SelectorSpread();
  const zone = (z: string) => ({ labels: { 'topology.kubernetes.io/zone': z } });
  const nodes = [
    new NodeInfo(makeNode('a1', zone('a')), [makePod('s1', { owner: 'web', nodeName: 'a1' })]),
    new NodeInfo(makeNode('a2', zone('a'))),
    new NodeInfo(makeNode('b1', zone('b'))),
  ];
  const pod = makePod('p', { owner: 'web' });
  const state = new CycleState();
  plugin.preScore(state, pod, nodes);
  const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) }));
  plugin.normalizeScore(state, pod, scores);
  // a1: node 0, zone 0 → 0; a2: node 100, zone 0 → 33; b1: 100.
  assert.deepEqual(scores.map((s) => s.score), [0, 33, 100]);
});
