import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../agent/kubelet/pod-types.ts';
import type { RuntimeContainer, RuntimePodStatus } from '../../../agent/kubelet/runtime-pod.ts';
import { generatePodStatus, statusEqual, type StatusInputs } from '../../../agent/kubelet/status-manager.ts';

const now = '2026-01-01T00:00:00Z';

function pod(restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always', names = ['a']): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: { restartPolicy, containers: names.map((name) => ({ name, image: 'busybox:1' })) },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-12-31T00:00:00Z' }] },
  };
}

function ctr(name: string, state: RuntimeContainer['state'], opts: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    id: `${name}${opts.restartCount ?? 0}`,
    sandboxId: 's',
    name,
    init: false,
    restartCount: 0,
    hash: 'h',
    state,
    createdAt: 1_700_000_000_000,
    startedAt: 1_700_000_000_000,
    finishedAt: state === 'CONTAINER_EXITED' ? 1_700_000_001_000 : 0,
    exitCode: 0,
    reason: state === 'CONTAINER_EXITED' ? 'Completed' : '',
    message: '',
    imageRef: 'sha256:abc',
    logPath: '/x',
    ...opts,
  };
}

function runtime(containers: RuntimeContainer[], ready = true): RuntimePodStatus {
  return { uid: 'u', sandboxes: [{ id: 's', attempt: 0, state: ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', createdAt: 1, ips: ready ? ['10.1.0.5'] : [] }], containers };
}

function inputs(extra: Partial<StatusInputs> = {}): StatusInputs {
  return {
    hostIP: '192.0.2.1',
    runtimeName: 'runc',
    reasons: new Map(),
    readiness: () => undefined,
    startup: () => undefined,
    imageIds: new Map([['sha256:abc', 'docker.io/library/busybox@sha256:abc']]),
    podIsTerminal: false,
    sandboxReady: true,
    now,
    ...extra,
  };
}

test('a running container: phase Running, Ready, the pod IP and the container status', () => {
  const st = generatePodStatus(pod(), runtime([ctr('a', 'CONTAINER_RUNNING')]), inputs());
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '10.1.0.5');
  assert.deepEqual(st.podIPs, [{ ip: '10.1.0.5' }]);
  assert.equal(st.hostIP, '192.0.2.1');
  const byType = Object.fromEntries(st.conditions!.map((c) => [c.type, c]));
  for (const t of ['PodScheduled', 'Initialized', 'Ready', 'ContainersReady', 'PodReadyToStartContainers']) assert.equal(byType[t]!.status, 'True', t);
  assert.equal(byType.PodScheduled!.lastTransitionTime, '2025-12-31T00:00:00Z', 'kept from the scheduler');
  const cs = st.containerStatuses![0]!;
  assert.deepEqual(cs.state, { running: { startedAt: '2023-11-14T22:13:20Z' } });
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.equal(cs.containerID, 'runc://a0');
  assert.equal(cs.imageID, 'docker.io/library/busybox@sha256:abc');
});

test('a failing readiness probe makes the pod not Ready', () => {
  const st = generatePodStatus(pod(), runtime([ctr('a', 'CONTAINER_RUNNING')]), inputs({ readiness: () => false }));
  const ready = st.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'ContainersNotReady');
  assert.equal(ready.message, 'containers with unready status: [a]');
  assert.equal(st.phase, 'Running');
});

test('no container yet: Pending with ContainerCreating, or the recorded start failure', () => {
  assert.deepEqual(generatePodStatus(pod(), runtime([]), inputs()).containerStatuses![0]!.state, { waiting: { reason: 'ContainerCreating' } });
  const st = generatePodStatus(pod(), runtime([]), inputs({ reasons: new Map([['app/a', { reason: 'ErrImagePull', message: 'boom' }]]) }));
  assert.equal(st.phase, 'Pending');
  assert.deepEqual(st.containerStatuses![0]!.state, { waiting: { reason: 'ErrImagePull', message: 'boom' } });
});

test('a crash loop: waiting CrashLoopBackOff, lastState terminated, phase Running', () => {
  const dead = ctr('a', 'CONTAINER_EXITED', { exitCode: 1, reason: 'Error', restartCount: 3 });
  const older = ctr('a', 'CONTAINER_EXITED', { exitCode: 1, reason: 'Error', restartCount: 2 });
  const st = generatePodStatus(pod(), runtime([dead, older]), inputs({ reasons: new Map([['app/a', { reason: 'CrashLoopBackOff', message: 'back-off 40s' }]]) }));
  const cs = st.containerStatuses![0]!;
  assert.equal(cs.restartCount, 3);
  assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } });
  assert.equal(cs.lastState.terminated?.exitCode, 1);
  assert.equal(cs.lastState.terminated?.containerID, 'runc://a3');
  assert.equal(st.phase, 'Running');
});

test('getPhase for finished containers by restart policy', () => {
  const exited = (code: number) => runtime([ctr('a', 'CONTAINER_EXITED', { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' })]);
  assert.equal(generatePodStatus(pod('Never'), exited(0), inputs()).phase, 'Succeeded');
  assert.equal(generatePodStatus(pod('Never'), exited(2), inputs()).phase, 'Failed');
  assert.equal(generatePodStatus(pod('OnFailure'), exited(0), inputs()).phase, 'Succeeded');
  assert.equal(generatePodStatus(pod('OnFailure'), exited(2), inputs()).phase, 'Running');
  assert.equal(generatePodStatus(pod('Always'), exited(0), inputs()).phase, 'Running');
  // A deleted pod whose containers all stopped is terminal whatever its policy.
  const terminal = generatePodStatus(pod('Always'), exited(137), inputs({ podIsTerminal: true, sandboxReady: false }));
  assert.equal(terminal.phase, 'Failed');
  assert.equal(terminal.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  const term = terminal.containerStatuses![0]!.state.terminated!;
  assert.equal(term.exitCode, 137);
  assert.equal(term.reason, 'Error');
  // A stopped sandbox keeps the IP the pod had.
  const withIp = pod('Never');
  withIp.status!.podIP = '10.1.0.9';
  assert.equal(generatePodStatus(withIp, runtime([ctr('a', 'CONTAINER_EXITED')], false), inputs()).podIP, '10.1.0.9');
});

test('lastTransitionTime moves only when a condition flips, so an unchanged status compares equal', () => {
  const p = pod();
  const first = generatePodStatus(p, runtime([ctr('a', 'CONTAINER_RUNNING')]), inputs());
  p.status = first;
  const second = generatePodStatus(p, runtime([ctr('a', 'CONTAINER_RUNNING')]), inputs({ now: '2026-01-01T00:05:00Z' }));
  assert.ok(statusEqual(first, second));
  const third = generatePodStatus(p, runtime([ctr('a', 'CONTAINER_RUNNING')]), inputs({ now: '2026-01-01T00:06:00Z', readiness: () => false }));
  assert.equal(statusEqual(first, third), false);
  assert.equal(third.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2026-01-01T00:06:00Z');
  assert.equal(third.conditions!.find((c) => c.type === 'Initialized')!.lastTransitionTime, now);
});
