import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeName } from '../../../scheduler/plugins/node-name/index.ts';
import { NodePorts } from '../../../scheduler/plugins/node-ports/index.ts';
import { NodeUnschedulable } from '../../../scheduler/plugins/node-unschedulable/index.ts';
import { makeNode, makePod } from '../make-objects.ts';
import { ok, runFilter, type FilterOutcome } from './run-plugin.ts';

const unsched = (r: string): FilterOutcome => ({ code: 'UnschedulableAndUnresolvable', reasons: [r] });

test('NodeUnschedulable filter', () => {
  const plugin = new NodeUnschedulable();
  const cordoned = makeNode('n1', { unschedulable: true });
  const cases: [string, ReturnType<typeof makePod>, ReturnType<typeof makeNode>, FilterOutcome][] = [
    ['schedulable node', makePod('p'), makeNode('n1'), ok],
    ['cordoned node', makePod('p'), cordoned, unsched('node(s) were unschedulable')],
    [
      'tolerates the unschedulable taint',
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      cordoned,
      ok,
    ],
    ['tolerates everything', makePod('p', { tolerations: [{ operator: 'Exists' }] }), cordoned, ok],
    [
      'toleration with the wrong effect',
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] }),
      cordoned,
      unsched('node(s) were unschedulable'),
    ],
  ];
  for (const [name, pod, node, want] of cases) assert.deepEqual(runFilter(plugin, pod, node), want, name);
});

test('NodeName filter', () => {
  const plugin = new NodeName();
  assert.deepEqual(runFilter(plugin, makePod('p'), makeNode('n1')), ok);
  assert.deepEqual(runFilter(plugin, makePod('p', { nodeName: 'n1' }), makeNode('n1')), ok);
  assert.deepEqual(runFilter(plugin, makePod('p', { nodeName: 'n2' }), makeNode('n1')), unsched("node(s) didn't match the requested node name"));
});

test('NodePorts filter', () => {
  const plugin = new NodePorts();
  const reason: FilterOutcome = { code: 'Unschedulable', reasons: ["node(s) didn't have free ports for the requested pod ports"] };
  const node = makeNode('n1');
  const cases: [string, Parameters<typeof makePod>[1], Parameters<typeof makePod>[1], FilterOutcome][] = [
    ['no ports', {}, { hostPorts: [{ port: 80 }] }, ok],
    ['same port, both wildcard', { hostPorts: [{ port: 80 }] }, { hostPorts: [{ port: 80 }] }, reason],
    ['different port', { hostPorts: [{ port: 81 }] }, { hostPorts: [{ port: 80 }] }, ok],
    ['different protocol', { hostPorts: [{ port: 80, protocol: 'UDP' }] }, { hostPorts: [{ port: 80 }] }, ok],
    ['different specific IPs', { hostPorts: [{ port: 80, hostIP: '10.0.0.1' }] }, { hostPorts: [{ port: 80, hostIP: '10.0.0.2' }] }, ok],
    ['specific IP vs wildcard in use', { hostPorts: [{ port: 80, hostIP: '10.0.0.1' }] }, { hostPorts: [{ port: 80 }] }, reason],
    ['wildcard vs specific IP in use', { hostPorts: [{ port: 80 }] }, { hostPorts: [{ port: 80, hostIP: '10.0.0.2' }] }, reason],
    ['same specific IP', { hostPorts: [{ port: 8080, hostIP: '10.0.0.1' }] }, { hostPorts: [{ port: 8080, hostIP: '10.0.0.1' }] }, reason],
  ];
  for (const [name, podOpts, existingOpts, want] of cases) {
    assert.deepEqual(runFilter(plugin, makePod('p', podOpts), node, [makePod('existing', { ...existingOpts, nodeName: 'n1' })]), want, name);
  }
});
