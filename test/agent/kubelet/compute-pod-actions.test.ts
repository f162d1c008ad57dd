import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computePodActions, shouldRestart } from '../../../agent/kubelet/compute-pod-actions.ts';
import type { Container, Pod, RestartPolicy } from '../../../agent/kubelet/pod-types.ts';
import { containerHash } from '../../../agent/kubelet/runtime-labels.ts';
import type { RuntimeContainer, RuntimePodStatus, RuntimeSandbox } from '../../../agent/kubelet/runtime-pod.ts';

const app: Container = { name: 'app', image: 'busybox', command: ['sleep', '1'] };
const init: Container = { name: 'init', image: 'busybox', command: ['true'] };

function pod(policy: RestartPolicy = 'Always', extra: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { restartPolicy: policy, containers: [app], ...extra } };
}

function sandbox(state: RuntimeSandbox['state'] = 'SANDBOX_READY', attempt = 0): RuntimeSandbox {
  return { id: `s${attempt}`, attempt, state, createdAt: attempt, ips: state === 'SANDBOX_READY' ? ['10.0.0.2'] : [] };
}

function ctr(c: Container, state: RuntimeContainer['state'], opts: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    id: `${c.name}-${opts.restartCount ?? 0}`,
    sandboxId: 's0',
    name: c.name,
    init: false,
    restartCount: 0,
    hash: containerHash(c),
    state,
    createdAt: 1,
    startedAt: 1,
    finishedAt: state === 'CONTAINER_EXITED' ? 2 : 0,
    exitCode: 0,
    reason: '',
    message: '',
    imageRef: 'sha256:x',
    logPath: '',
    ...opts,
  };
}

function status(sandboxes: RuntimeSandbox[], containers: RuntimeContainer[]): RuntimePodStatus {
  return { uid: 'u1', sandboxes, containers };
}

test('shouldRestart by policy and exit code', () => {
  assert.equal(shouldRestart('Always', 0), true);
  assert.equal(shouldRestart('Always', 1), true);
  assert.equal(shouldRestart('OnFailure', 0), false);
  assert.equal(shouldRestart('OnFailure', 2), true);
  assert.equal(shouldRestart('Never', 1), false);
});

test('a new pod: create the sandbox and start every container', () => {
  const a = computePodActions(pod(), status([], []));
  assert.equal(a.createSandbox, true);
  assert.equal(a.killPod, false);
  assert.equal(a.attempt, 0);
  assert.deepEqual(a.containersToStart.map((s) => s.container.name), ['app']);
});

test('a running container with an unchanged spec is left alone (an agent restart adopts it)', () => {
  const a = computePodActions(pod(), status([sandbox()], [ctr(app, 'CONTAINER_RUNNING')]));
  assert.equal(a.createSandbox, false);
  assert.equal(a.sandboxId, 's0');
  assert.deepEqual(a.containersToStart, []);
  assert.deepEqual(a.containersToKill, []);
});

test('exited containers restart per restartPolicy', () => {
  const exited = (code: number) => status([sandbox()], [ctr(app, 'CONTAINER_EXITED', { exitCode: code })]);
  assert.equal(computePodActions(pod('Always'), exited(0)).containersToStart.length, 1);
  assert.equal(computePodActions(pod('OnFailure'), exited(0)).containersToStart.length, 0);
  assert.equal(computePodActions(pod('OnFailure'), exited(1)).containersToStart.length, 1);
  assert.equal(computePodActions(pod('Never'), exited(1)).containersToStart.length, 0);
  const restart = computePodActions(pod('Always'), exited(1)).containersToStart[0]!;
  assert.equal(restart.previous?.id, 'app-0');
});

test('a changed container spec or a failed liveness probe kills and restarts it', () => {
  const stale = ctr(app, 'CONTAINER_RUNNING', { hash: 'old' });
  const a = computePodActions(pod(), status([sandbox()], [stale]));
  assert.deepEqual(a.containersToKill.map((k) => k.message), ['Container app definition changed, will be restarted']);
  assert.equal(a.containersToStart.length, 1);
  const live = ctr(app, 'CONTAINER_RUNNING');
  const b = computePodActions(pod('Never'), status([sandbox()], [live]), new Set([live.id]));
  assert.deepEqual(b.containersToKill.map((k) => k.message), ['Container app failed liveness probe, will be restarted']);
  assert.equal(b.containersToStart.length, 0, 'Never: a killed container stays dead');
});

test('a dead sandbox is replaced with the next attempt, unless a Never pod already ran', () => {
  const dead = status([sandbox('SANDBOX_NOTREADY')], [ctr(app, 'CONTAINER_EXITED', { exitCode: 137 })]);
  const a = computePodActions(pod('Always'), dead);
  assert.equal(a.createSandbox, true);
  assert.equal(a.attempt, 1);
  assert.equal(a.containersToStart.length, 1);
  const b = computePodActions(pod('Never'), dead);
  assert.equal(b.createSandbox, false);
  assert.deepEqual(b.containersToStart, []);
});

test('init containers run one at a time, in order, before the app containers', () => {
  const second: Container = { name: 'init2', image: 'busybox' };
  const p = pod('Always', { initContainers: [init, second] });
  const fresh = computePodActions(p, status([], []));
  assert.deepEqual(fresh.containersToStart.map((s) => [s.container.name, s.init]), [['init', true]]);
  const initRunning = computePodActions(p, status([sandbox()], [ctr(init, 'CONTAINER_RUNNING', { init: true })]));
  assert.deepEqual(initRunning.containersToStart, []);
  const firstDone = computePodActions(p, status([sandbox()], [ctr(init, 'CONTAINER_EXITED', { init: true })]));
  assert.deepEqual(firstDone.containersToStart.map((s) => s.container.name), ['init2']);
  const allDone = computePodActions(p, status([sandbox()], [ctr(init, 'CONTAINER_EXITED', { init: true }), ctr(second, 'CONTAINER_EXITED', { init: true })]));
  assert.deepEqual(allDone.containersToStart.map((s) => [s.container.name, s.init]), [['app', false]]);
  const failed = status([sandbox()], [ctr(init, 'CONTAINER_EXITED', { init: true, exitCode: 1 })]);
  assert.deepEqual(computePodActions(p, failed).containersToStart.map((s) => s.container.name), ['init']);
  const never = computePodActions(pod('Never', { initContainers: [init] }), failed);
  assert.equal(never.initFailed, true);
  assert.deepEqual(never.containersToStart, []);
});

test('a container created but never started (the agent died in between) is replaced', () => {
  const a = computePodActions(pod(), status([sandbox()], [ctr(app, 'CONTAINER_CREATED')]));
  assert.equal(a.containersToKill.length, 1);
  assert.equal(a.containersToStart.length, 1);
});
