import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Status } from '../../scheduler/framework/status.ts';
import { FitError, fitErrorMessage, newDiagnosis } from '../../scheduler/fit-error.ts';

function diagnosisOf(statuses: Record<string, Status>) {
  const d = newDiagnosis();
  for (const [node, s] of Object.entries(statuses)) d.nodeToStatus.set(node, s);
  return d;
}

const affinity = "node(s) didn't match Pod's node affinity/selector";

test('fit error counts each reason and sorts "<count> <reason>" strings', () => {
  const d = diagnosisOf({
    n1: new Status('Unschedulable', ['Insufficient cpu']),
    n2: new Status('UnschedulableAndUnresolvable', [affinity]),
    n3: new Status('UnschedulableAndUnresolvable', [affinity]),
  });
  assert.equal(fitErrorMessage(3, d), `0/3 nodes are available: 1 Insufficient cpu, 2 ${affinity}.`);
});

test('a node with several reasons counts each of them', () => {
  const d = diagnosisOf({
    n1: new Status('Unschedulable', ['Too many pods', 'Insufficient cpu', 'Insufficient memory']),
    n2: new Status('Unschedulable', ['Insufficient memory']),
    n3: new Status('UnschedulableAndUnresolvable', ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }']),
  });
  assert.equal(
    fitErrorMessage(3, d),
    '0/3 nodes are available: 1 Insufficient cpu, 1 Too many pods, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory.',
  );
});

test('sorting is by string, as Go sort.Strings: "10 x" before "2 y"', () => {
  const statuses: Record<string, Status> = {};
  for (let i = 0; i < 10; i++) statuses[`a${i}`] = new Status('Unschedulable', ['Insufficient memory']);
  for (let i = 0; i < 2; i++) statuses[`b${i}`] = new Status('Unschedulable', ['Insufficient cpu']);
  assert.equal(fitErrorMessage(12, diagnosisOf(statuses)), '0/12 nodes are available: 10 Insufficient memory, 2 Insufficient cpu.');
});

test('a PreFilter rejection is reported once, not per node; PostFilter message is appended', () => {
  const s = new Status('UnschedulableAndUnresolvable', ['node(s) had volume node affinity conflict']);
  const d = diagnosisOf({ n1: s, n2: s });
  d.preFilterMsg = s.message();
  d.postFilterMsg = 'Preemption is not helpful for scheduling';
  const err = new FitError('default/p', 2, d);
  assert.equal(err.message, '0/2 nodes are available: node(s) had volume node affinity conflict. Preemption is not helpful for scheduling.');
  assert.equal(err.name, 'FitError');
});
