import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CycleState } from '../../../scheduler/framework/cycle-state.ts';
import { NodeInfo } from '../../../scheduler/framework/node-info.ts';
import type { Taint, Toleration } from '../../../scheduler/framework/types.ts';
import { TaintToleration } from '../../../scheduler/plugins/taint-toleration/index.ts';
import { makeNode, makePod } from '../make-objects.ts';
import { ok, runFilter, type FilterOutcome } from './run-plugin.ts';

const untolerated = (r: string): FilterOutcome => ({ code: 'UnschedulableAndUnresolvable', reasons: [r] });

test('TaintToleration filter', () => {
  const plugin = new TaintToleration();
  const gpu: Taint = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
  const cases: [string, Taint[], Toleration[] | undefined, FilterOutcome][] = [
    ['no taints', [], undefined, ok],
    ['NoSchedule untolerated', [gpu], undefined, untolerated('node(s) had untolerated taint {gpu: true}')],
    ['NoExecute untolerated', [{ key: 'dedicated', effect: 'NoExecute' }], undefined, untolerated('node(s) had untolerated taint {dedicated: }')],
    ['PreferNoSchedule does not filter', [{ key: 'soft', effect: 'PreferNoSchedule' }], undefined, ok],
    ['Equal toleration', [gpu], [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }], ok],
    ['default operator is Equal', [gpu], [{ key: 'gpu', value: 'true' }], ok],
    ['Equal with the wrong value', [gpu], [{ key: 'gpu', value: 'false' }], untolerated('node(s) had untolerated taint {gpu: true}')],
    ['Exists toleration', [gpu], [{ key: 'gpu', operator: 'Exists' }], ok],
    ['wrong effect', [gpu], [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }], untolerated('node(s) had untolerated taint {gpu: true}')],
    ['empty key Exists tolerates all', [gpu, { key: 'x', effect: 'NoExecute' }], [{ operator: 'Exists' }], ok],
    [
      'first untolerated taint in node order is reported',
      [gpu, { key: 'b', value: '1', effect: 'NoSchedule' }, { key: 'c', value: '2', effect: 'NoSchedule' }],
      [{ key: 'gpu', operator: 'Exists' }],
      untolerated('node(s) had untolerated taint {b: 1}'),
    ],
  ];
  for (const [name, taints, tolerations, want] of cases) {
    const pod = makePod('p', tolerations ? { tolerations } : {});
    assert.deepEqual(runFilter(plugin, pod, makeNode('n1', { taints })), want, name);
  }
});

test('TaintToleration score: fewer untolerated PreferNoSchedule taints is better', () => {
  const plugin = new TaintToleration();
  const soft = (key: string): Taint => ({ key, effect: 'PreferNoSchedule' });
  const nodes = [
    new NodeInfo(makeNode('clean')),
    new NodeInfo(makeNode('one', { taints: [soft('a')] })),
    new NodeInfo(makeNode('two', { taints: [soft('a'), soft('b')] })),
    new NodeInfo(makeNode('tolerated', { taints: [soft('t')] })),
  ];
  const pod = makePod('p', { tolerations: [{ key: 't', operator: 'Exists', effect: 'PreferNoSchedule' }] });
  const state = new CycleState();
  plugin.preScore(state, pod);
  const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) }));
  assert.deepEqual(scores.map((s) => s.score), [0, 1, 2, 0]);
  plugin.normalizeScore(state, pod, scores);
  assert.deepEqual(scores.map((s) => s.score), [100, 50, 0, 100]);
});
