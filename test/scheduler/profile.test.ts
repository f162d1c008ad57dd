import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterEventsOf, defaultProfile } from '../../scheduler/profile.ts';

test('default profile: kube-scheduler order and weights, declared once', () => {
  const p = defaultProfile();
  assert.equal(p.schedulerName, 'default-scheduler');
  assert.deepEqual(
    p.filterPlugins.map((f) => f.name),
    ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit'],
  );
  assert.deepEqual(p.preFilterPlugins.map((f) => f.name), ['NodeAffinity', 'NodePorts', 'NodeResourcesFit']);
  assert.deepEqual(
    p.scorePlugins.map((s) => [s.plugin.name, s.weight]),
    [
      ['TaintToleration', 3],
      ['NodeAffinity', 2],
      ['NodeResourcesFit', 1],
      ['SelectorSpread', 2],
      ['NodeResourcesBalancedAllocation', 1],
    ],
  );
  const events = clusterEventsOf(p);
  assert.equal(events.size, p.plugins.length, 'every plugin says which events may make its rejections schedulable');
  assert.ok(events.get('NodeResourcesFit')?.some((e) => e.resource === 'AssignedPod' && e.actionTypes.includes('Delete')));
});
