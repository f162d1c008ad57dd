/**
 * The pod's status as the kubelet reports it (kubelet_pods.go
 * generateAPIPodStatus / convertToAPIContainerStatuses / getPhase and
 * status/generate.go's conditions), computed from the runtime's state, and
 * the status manager that writes it through pods/status only when it
 * changed, and deletes a terminated pod with grace 0 and a UID
 * precondition (status_manager.go syncPod / canBeDeleted).
 */
import { isDeepStrictEqual } from 'node:util';
import { metaNow } from '../../client/api/meta-time.ts';
import { isConflict, isNotFound } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { restartPolicyOf } from './compute-pod-actions.ts';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from './pod-types.ts';
import { podsPath } from './pod-types.ts';
import { containerInstances, type RuntimeContainer, type RuntimePodStatus } from './runtime-pod.ts';

/** The last start failure of a container (kubelet's reasonCache): CrashLoopBackOff, ErrImagePull… */
export interface WaitingReason {
  reason: string;
  message: string;
}

export interface StatusInputs {
  hostIP: string;
  /** `runc`: container IDs are `runc://<id>`. */
  runtimeName: string;
  /** Waiting reasons by `init/<name>` or `app/<name>`. */
  reasons: ReadonlyMap<string, WaitingReason>;
  /** Readiness by container ID; undefined = no readiness probe (ready once running). */
  readiness: (containerId: string) => boolean | undefined;
  /** Startup probe by container ID; undefined = no startup probe (started once running). */
  startup: (containerId: string) => boolean | undefined;
  /** Image ID → what the status shows as imageID (a repo digest when known). */
  imageIds: ReadonlyMap<string, string>;
  /** The pod worker finished it: every container stopped for good (deleted, or the pod ended). */
  podIsTerminal: boolean;
  /** The sandbox is ready with networking (PodReadyToStartContainers). */
  sandboxReady: boolean;
  /** The time stamped on new conditions and startTime; metaNow() by default (tests fix it). */
  now?: string;
}

export function reasonKey(init: boolean, name: string): string {
  return `${init ? 'init' : 'app'}/${name}`;
}

function msToTime(ms: number): string | undefined {
  return ms > 0 ? metaNow(new Date(ms)) : undefined;
}

function terminatedState(c: RuntimeContainer, runtimeName: string): ContainerState {
  const started = msToTime(c.startedAt);
  const finished = msToTime(c.finishedAt);
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: started ?? null,
      finishedAt: finished ?? null,
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function containerStatus(
  container: Container,
  init: boolean,
  status: RuntimePodStatus,
  inputs: StatusInputs,
  pod: Pod,
  defaultWaiting: string,
): ContainerStatus {
  const { current, previous } = containerInstances(status, container.name, init);
  const waiting = inputs.reasons.get(reasonKey(init, container.name));
  const base: ContainerStatus = {
    name: container.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: current?.restartCount ?? 0,
    image: container.image,
    imageID: '',
    started: false,
  };
  if (!current) {
    base.state = { waiting: waiting ? { reason: waiting.reason, message: waiting.message } : { reason: defaultWaiting } };
    return base;
  }
  base.imageID = inputs.imageIds.get(current.imageRef) ?? current.imageRef;
  base.containerID = `${inputs.runtimeName}://${current.id}`;
  if (current.state === 'CONTAINER_RUNNING') {
    base.state = { running: { startedAt: msToTime(current.startedAt) ?? metaNow() } };
    if (previous && previous.state === 'CONTAINER_EXITED') base.lastState = terminatedState(previous, inputs.runtimeName);
    const started = inputs.startup(current.id) ?? true;
    base.started = started;
    base.ready = started && (inputs.readiness(current.id) ?? true) && !pod.metadata.deletionTimestamp;
    return base;
  }
  if (current.state === 'CONTAINER_EXITED') {
    // Exited and about to restart (back-off, pull error…): waiting, with the exit as lastState.
    if (waiting && !inputs.podIsTerminal) {
      base.state = { waiting: { reason: waiting.reason, message: waiting.message } };
      base.lastState = terminatedState(current, inputs.runtimeName);
      return base;
    }
    base.state = terminatedState(current, inputs.runtimeName);
    if (previous && previous.state === 'CONTAINER_EXITED') base.lastState = terminatedState(previous, inputs.runtimeName);
    return base;
  }
  // Created but not started yet, or unknown.
  base.state = { waiting: waiting ? { reason: waiting.reason, message: waiting.message } : { reason: defaultWaiting } };
  if (previous && previous.state === 'CONTAINER_EXITED') base.lastState = terminatedState(previous, inputs.runtimeName);
  return base;
}

/** getPhase (kubelet_pods.go). */
export function podPhase(pod: Pod, init: ContainerStatus[], app: ContainerStatus[], podIsTerminal: boolean): PodPhase {
  const policy = restartPolicyOf(pod);
  let pendingInit = 0;
  let failedInit = false;
  for (const s of init) {
    if (s.state.terminated) {
      if (s.state.terminated.exitCode === 0) continue;
      pendingInit++;
      if (policy === 'Never') failedInit = true;
      continue;
    }
    if (s.state.waiting && s.lastState.terminated && s.lastState.terminated.exitCode !== 0 && policy === 'Never') failedInit = true;
    pendingInit++;
  }
  if (failedInit) return 'Failed';
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of app) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (pendingInit > 0 && !podIsTerminal) return 'Pending';
  if (podIsTerminal && running === 0 && waiting === 0 && unknown === 0 && stopped > 0) return stopped === succeeded ? 'Succeeded' : 'Failed';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'OnFailure') return 'Running';
    return 'Failed';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? 'True' : 'False', ...(ok || !reason ? {} : { reason }), ...(ok || !message ? {} : { message }) };
}

/** The conditions, keeping lastTransitionTime from `old` when a condition's status did not change. */
function withTransitionTimes(conditions: PodCondition[], old: PodCondition[] | undefined, now: string): PodCondition[] {
  return conditions.map((c) => {
    const prev = old?.find((o) => o.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...c, lastProbeTime: null, lastTransitionTime };
  });
}

export function generatePodStatus(pod: Pod, runtime: RuntimePodStatus, inputs: StatusInputs): PodStatus {
  const now = inputs.now ?? metaNow();
  const old = pod.status ?? {};
  const initSpecs = pod.spec.initContainers ?? [];
  const initDone = (s: ContainerStatus) => s.state.terminated?.exitCode === 0;
  const initStatuses = initSpecs.map((c) => containerStatus(c, true, runtime, inputs, pod, 'PodInitializing'));
  const allInitDone = initStatuses.every(initDone);
  const appStatuses = pod.spec.containers.map((c) => containerStatus(c, false, runtime, inputs, pod, allInitDone ? 'ContainerCreating' : 'PodInitializing'));
  const phase = podPhase(pod, initStatuses, appStatuses, inputs.podIsTerminal);
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const notInitialized = initStatuses.filter((s) => !initDone(s)).map((s) => s.name);
  const notReady = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', inputs.sandboxReady && !terminal),
    terminal && initSpecs.length > 0 && notInitialized.length > 0
      ? condition('Initialized', false, 'PodCompleted')
      : condition('Initialized', notInitialized.length === 0, 'ContainersNotInitialized', `containers with incomplete status: [${notInitialized.join(' ')}]`),
    terminal
      ? condition('Ready', false, 'PodCompleted')
      : condition('Ready', notReady.length === 0, 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`),
    terminal
      ? condition('ContainersReady', false, 'PodCompleted')
      : condition('ContainersReady', notReady.length === 0, 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`),
  ];
  const scheduled = old.conditions?.find((c) => c.type === 'PodScheduled');
  const all = withTransitionTimes(conditions, old.conditions, now);
  all.push(scheduled ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });

  const sandbox = runtime.sandboxes[0];
  const status: PodStatus = {
    phase,
    conditions: all,
    hostIP: inputs.hostIP,
    hostIPs: [{ ip: inputs.hostIP }],
    startTime: old.startTime ?? now,
    containerStatuses: appStatuses,
  };
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  const ips = pod.spec.hostNetwork ? [inputs.hostIP] : (sandbox?.ips ?? []);
  if (ips.length > 0) {
    status.podIP = ips[0]!;
    status.podIPs = ips.map((ip) => ({ ip }));
  } else if (old.podIP) {
    // A stopped sandbox has no address any more; the pod keeps the one it had, as the kubelet does.
    status.podIP = old.podIP;
    if (old.podIPs) status.podIPs = old.podIPs;
  }
  if (phase === 'Failed' && pod.metadata.deletionTimestamp === undefined && old.reason) {
    status.reason = old.reason;
    if (old.message) status.message = old.message;
  }
  return status;
}

/** The parts of a status the kubelet owns, normalised for comparison. */
function comparable(status: PodStatus | undefined): unknown {
  if (!status) return undefined;
  const conditions = [...(status.conditions ?? [])]
    .map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? '', message: c.message ?? '', lastTransitionTime: c.lastTransitionTime ?? '' }))
    .sort((a, b) => (a.type < b.type ? -1 : 1));
  const strip = (list: ContainerStatus[] | undefined) =>
    (list ?? []).map((s) => JSON.parse(JSON.stringify({ ...s, state: s.state ?? {}, lastState: s.lastState ?? {} })) as unknown);
  return JSON.parse(
    JSON.stringify({
      phase: status.phase,
      conditions,
      hostIP: status.hostIP,
      podIP: status.podIP,
      podIPs: status.podIPs,
      startTime: status.startTime,
      containerStatuses: strip(status.containerStatuses),
      initContainerStatuses: strip(status.initContainerStatuses),
    }),
  );
}

export function statusEqual(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return isDeepStrictEqual(comparable(a), comparable(b));
}

export interface StatusManagerOptions {
  client: RestClient;
}

/** Writes pod statuses through pods/status, only when they changed, and finishes deleted pods. */
export class StatusManager {
  readonly #client: RestClient;
  /** The last status written per pod UID, for when the informer has not caught up yet. */
  readonly #sent = new Map<string, PodStatus>();

  constructor(options: StatusManagerOptions) {
    this.#client = options.client;
  }

  /** Writes `status` unless the pod already reports it; returns whether it wrote. */
  async setPodStatus(pod: Pod, status: PodStatus): Promise<boolean> {
    const uid = pod.metadata.uid ?? '';
    if (statusEqual(status, pod.status) || statusEqual(status, this.#sent.get(uid))) return false;
    const path = { ...podsPath, namespace: pod.metadata.namespace!, name: pod.metadata.name!, subresource: 'status' };
    // Names missing from the new status are nulled, so a merge patch removes them.
    const patch: Record<string, unknown> = { ...status };
    if (status.initContainerStatuses === undefined && pod.status?.initContainerStatuses) patch.initContainerStatuses = null;
    try {
      // The UID in the patch makes it fail on a pod recreated under the same name.
      await this.#client.patch(path, 'merge', { metadata: { uid }, status: patch });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return false;
      throw err;
    }
    this.#sent.set(uid, status);
    return true;
  }

  /** Deletes the pod object with grace 0 and a UID precondition (kubelet: once all its containers stopped). */
  async deletePod(pod: Pod): Promise<void> {
    const path = { ...podsPath, namespace: pod.metadata.namespace!, name: pod.metadata.name! };
    try {
      await this.#client.delete(path, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  forget(uid: string): void {
    this.#sent.delete(uid);
  }
}
