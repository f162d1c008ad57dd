import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CycleState } from '../../../scheduler/framework/cycle-state.ts';
import { NodeInfo } from '../../../scheduler/framework/node-info.ts';
import type { NodeSelectorRequirement, Pod } from '../../../scheduler/framework/types.ts';
import { NodeAffinity } from '../../../scheduler/plugins/node-affinity/index.ts';
import { makeNode, makePod } from '../make-objects.ts';
import { ok, runFilter, type FilterOutcome } from './run-plugin.ts';

const reject: FilterOutcome = { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] };

function withRequired(...exprs: NodeSelectorRequirement[][]): Pod {
  const pod = makePod('p');
  pod.spec.affinity = {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: exprs.map((e) => ({ matchExpressions: e })) } },
  };
  return pod;
}

test('NodeAffinity filter: nodeSelector and required affinity operators', () => {
  const plugin = new NodeAffinity();
  const node = makeNode('n1', { labels: { zone: 'a', disk: 'ssd', cores: '16' } });
  const cases: [string, Pod, FilterOutcome][] = [
    ['no selector or affinity', makePod('p'), ok],
    ['nodeSelector matches', makePod('p', { nodeSelector: { zone: 'a' } }), ok],
    ['nodeSelector mismatches', makePod('p', { nodeSelector: { zone: 'b' } }), reject],
    ['nodeSelector label missing', makePod('p', { nodeSelector: { gpu: 'true' } }), reject],
    ['In matches', withRequired([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]), ok],
    ['In mismatches', withRequired([{ key: 'zone', operator: 'In', values: ['b'] }]), reject],
    ['NotIn matches', withRequired([{ key: 'zone', operator: 'NotIn', values: ['b'] }]), ok],
    ['NotIn on missing label matches', withRequired([{ key: 'gpu', operator: 'NotIn', values: ['x'] }]), ok],
    ['NotIn mismatches', withRequired([{ key: 'zone', operator: 'NotIn', values: ['a'] }]), reject],
    ['Exists', withRequired([{ key: 'disk', operator: 'Exists' }]), ok],
    ['Exists on missing label', withRequired([{ key: 'gpu', operator: 'Exists' }]), reject],
    ['DoesNotExist', withRequired([{ key: 'gpu', operator: 'DoesNotExist' }]), ok],
    ['DoesNotExist on present label', withRequired([{ key: 'disk', operator: 'DoesNotExist' }]), reject],
    ['Gt true', withRequired([{ key: 'cores', operator: 'Gt', values: ['8'] }]), ok],
    ['Gt false', withRequired([{ key: 'cores', operator: 'Gt', values: ['16'] }]), reject],
    ['Lt true', withRequired([{ key: 'cores', operator: 'Lt', values: ['32'] }]), ok],
    ['Lt on non-integer label', withRequired([{ key: 'zone', operator: 'Lt', values: ['32'] }]), reject],
    ['expressions in a term are ANDed', withRequired([{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }]), reject],
    ['terms are ORed', withRequired([{ key: 'zone', operator: 'In', values: ['b'] }], [{ key: 'disk', operator: 'In', values: ['ssd'] }]), ok],
    ['an empty term matches nothing', withRequired([]), reject],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(runFilter(plugin, pod, node), want, name);

  const both = withRequired([{ key: 'zone', operator: 'In', values: ['a'] }]);
  both.spec.nodeSelector = { disk: 'hdd' };
  assert.deepEqual(runFilter(plugin, both, node), reject, 'nodeSelector and affinity must both match');

  const byName = makePod('p');
  byName.spec.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] },
    },
  };
  assert.deepEqual(runFilter(plugin, byName, node), ok, 'matchFields metadata.name');
  assert.deepEqual(runFilter(plugin, byName, makeNode('n2')), reject, 'matchFields metadata.name mismatch');
});

test('NodeAffinity score: sum of matching preferred weights, normalized to 100', () => {
  const plugin = new NodeAffinity();
  const pod = makePod('p');
  pod.spec.affinity = {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 20, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
        { weight: 60, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
      ],
    },
  };
  const nodes = [
    new NodeInfo(makeNode('both', { labels: { zone: 'a', disk: 'ssd' } })),
    new NodeInfo(makeNode('disk', { labels: { disk: 'ssd' } })),
    new NodeInfo(makeNode('zone', { labels: { zone: 'a' } })),
    new NodeInfo(makeNode('none')),
  ];
  const state = new CycleState();
  assert.equal(plugin.preScore(state, pod), null);
  const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) }));
  assert.deepEqual(scores.map((s) => s.score), [80, 60, 20, 0]);
  plugin.normalizeScore(state, pod, scores);
  assert.deepEqual(scores.map((s) => s.score), [100, 75, 25, 0]);
  assert.equal(plugin.preScore(new CycleState(), makePod('q'))?.code, 'Skip');
});
