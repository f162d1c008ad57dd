import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CycleState } from '../../../scheduler/framework/cycle-state.ts';
import { NodeInfo } from '../../../scheduler/framework/node-info.ts';
import { computePodResourceRequest } from '../../../scheduler/framework/resource.ts';
import { balancedResourceScore, NodeResourcesBalancedAllocation } from '../../../scheduler/plugins/node-resources-balanced-allocation/index.ts';
import { NodeResourcesFit } from '../../../scheduler/plugins/node-resources-fit/index.ts';
import { makeNode, makePod, type NodeOptions, type PodOptions } from '../make-objects.ts';
import { ok, runFilter, type FilterOutcome } from './run-plugin.ts';

const insufficient = (...reasons: string[]): FilterOutcome => ({ code: 'Unschedulable', reasons });

test('NodeResourcesFit filter: requests vs allocatable minus requested', () => {
  const plugin = new NodeResourcesFit();
  const cases: [string, PodOptions, NodeOptions, PodOptions[], FilterOutcome][] = [
    ['fits an empty node', { cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '2Gi' }, [], ok],
    ['exactly fills the node', { cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '2Gi' }, [{ cpu: '1000m', memory: '1024Mi' }], ok],
    ['cpu short after existing pods', { cpu: '500m' }, { cpu: '2' }, [{ cpu: '1' }, { cpu: '600m' }], insufficient('Insufficient cpu')],
    ['memory short', { memory: '3Gi' }, { memory: '2Gi' }, [], insufficient('Insufficient memory')],
    ['cpu and memory both short', { cpu: '3', memory: '3Gi' }, { cpu: '2', memory: '2Gi' }, [], insufficient('Insufficient cpu', 'Insufficient memory')],
    ['ephemeral-storage short', { ephemeralStorage: '20Gi' }, { ephemeralStorage: '10Gi' }, [], insufficient('Insufficient ephemeral-storage')],
    ['pod count exhausted', {}, { pods: '2' }, [{}, {}], insufficient('Too many pods')],
    ['pod count and cpu', { cpu: '5' }, { pods: '1', cpu: '4' }, [{}], insufficient('Too many pods', 'Insufficient cpu')],
    ['best-effort pod fits a full node', {}, { cpu: '1' }, [{ cpu: '1' }], ok],
  ];
  for (const [name, podOpts, nodeOpts, existing, want] of cases) {
    const others = existing.map((o, i) => makePod(`e${i}`, { ...o, nodeName: 'n1' }));
    assert.deepEqual(runFilter(plugin, makePod('p', podOpts), makeNode('n1', nodeOpts), others), want, name);
  }
  const gpuPod = makePod('p');
  gpuPod.spec.containers[0]!.resources = { limits: { 'nvidia.com/gpu': '2' } };
  assert.deepEqual(runFilter(plugin, gpuPod, makeNode('n1', { extra: { 'nvidia.com/gpu': '1' } })), insufficient('Insufficient nvidia.com/gpu'));
});

test('pod requests: containers summed, init containers maxed, sidecars added, limits default requests', () => {
  const pod = makePod('p', {
    containers: [
      { name: 'a', resources: { requests: { cpu: '100m', memory: '100Mi' } } },
      { name: 'b', resources: { limits: { cpu: '200m' } } },
    ],
    initContainers: [
      { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
      { name: 'init', resources: { requests: { cpu: '1', memory: '50Mi' } } },
    ],
  });
  const r = computePodResourceRequest(pod);
  assert.equal(r.milliCPU, 1050, 'init 1000m + sidecar 50m exceeds 350m of running containers');
  assert.equal(r.memory, 100 * 1024 * 1024);
  const nonZero = computePodResourceRequest(makePod('q'), true);
  assert.deepEqual([nonZero.milliCPU, nonZero.memory], [100, 200 * 1024 * 1024]);
});

test('NodeResourcesFit LeastAllocated score', () => {
  const plugin = new NodeResourcesFit();
  const pod = makePod('p', { cpu: '1', memory: '1Gi' });
  const empty = new NodeInfo(makeNode('empty', { cpu: '4', memory: '4Gi' }));
  const half = new NodeInfo(makeNode('half', { cpu: '4', memory: '4Gi' }), [makePod('e', { cpu: '1', memory: '1Gi', nodeName: 'half' })]);
  const state = new CycleState();
  // (4-1)/4 = 75 for both resources; then (4-2)/4 = 50.
  assert.equal(plugin.score(state, pod, empty), 75);
  assert.equal(plugin.score(state, pod, half), 50);
  // A request-less pod counts as 100m/200Mi for scoring.
  const be = makePod('be');
  assert.equal(new NodeResourcesFit().score(new CycleState(), be, new NodeInfo(makeNode('n', { cpu: '1', memory: '1000Mi' }))), 85);
});

test('NodeResourcesBalancedAllocation score', () => {
  assert.equal(balancedResourceScore([2, 2], [4, 4]), 100);
  assert.equal(balancedResourceScore([4, 0], [4, 4]), 50);
  assert.equal(balancedResourceScore([3, 1], [4, 4]), 75);
  assert.equal(balancedResourceScore([8, 0], [4, 4]), 50, 'fractions are capped at 1');
  const plugin = new NodeResourcesBalancedAllocation();
  const pod = makePod('p', { cpu: '1', memory: '1Gi' });
  const state = new CycleState();
  assert.equal(plugin.preScore(state, pod), null);
  const node = new NodeInfo(makeNode('n', { cpu: '4', memory: '2Gi' }));
  // cpu 1/4 = .25, memory 1/2 = .5 → std .125 → 87
  assert.equal(plugin.score(state, pod, node), 87);
  assert.equal(plugin.preScore(new CycleState(), makePod('be'))?.code, 'Skip');
});
