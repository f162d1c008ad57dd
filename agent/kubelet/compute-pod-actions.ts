/**
 * The plan of one pod sync (kuberuntime_manager.go computePodActions): from
 * the pod's spec and what the runtime has, decide whether the sandbox must
 * be (re)created, which init container runs next, and which containers to
 * start or kill. Pure, so every rule is table-tested; pod-sync.ts executes.
 */
import type { Container, Pod, RestartPolicy } from './pod-types.ts';
import { containerHash } from './runtime-labels.ts';
import { containerInstances, type RuntimeContainer, type RuntimePodStatus } from './runtime-pod.ts';

export interface ContainerToStart {
  container: Container;
  init: boolean;
  /** The newest earlier instance, when this is a restart (for its restart count and back-off). */
  previous?: RuntimeContainer;
}

export interface ContainerToKill {
  id: string;
  name: string;
  /** Why (for the Killing event): kubelet's messages, e.g. "Container x definition changed, will be restarted". */
  message: string;
}

export interface PodActions {
  /** Kill every container and stop the sandbox before anything else (the sandbox changed). */
  killPod: boolean;
  createSandbox: boolean;
  /** The ready sandbox to use when not creating one. */
  sandboxId?: string;
  /** The attempt number of a new sandbox. */
  attempt: number;
  /** With restartPolicy Never: an init container failed, the pod is done. */
  initFailed: boolean;
  containersToStart: ContainerToStart[];
  containersToKill: ContainerToKill[];
}

export function restartPolicyOf(pod: Pod): RestartPolicy {
  return pod.spec.restartPolicy ?? 'Always';
}

/** ShouldContainerBeRestarted for a container that exited with `exitCode`. */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

function isDone(c: RuntimeContainer | undefined): boolean {
  return c !== undefined && c.state === 'CONTAINER_EXITED';
}

/** Whether a sandbox must be (re)created: none, not ready, or without an address on a pod network. */
function sandboxChanged(pod: Pod, status: RuntimePodStatus): boolean {
  const newest = status.sandboxes[0];
  if (!newest) return true;
  if (newest.state !== 'SANDBOX_READY') return true;
  if (!pod.spec.hostNetwork && newest.ips.length === 0) return true;
  // More than one ready sandbox: keep only the newest (the others are killed by housekeeping).
  return false;
}

/**
 * The init container to run next: undefined when all succeeded. `failed`
 * when the next one exited non-zero (it is restarted unless the policy is Never).
 */
function nextInitContainer(pod: Pod, status: RuntimePodStatus): { next?: Container; current?: RuntimeContainer; running: boolean; failed: boolean } {
  for (const c of pod.spec.initContainers ?? []) {
    const { current } = containerInstances(status, c.name, true);
    if (current && current.state === 'CONTAINER_EXITED' && current.exitCode === 0) continue;
    if (current && (current.state === 'CONTAINER_RUNNING' || current.state === 'CONTAINER_CREATED')) {
      return { next: c, current, running: true, failed: false };
    }
    return { next: c, ...(current ? { current } : {}), running: false, failed: isDone(current) && current!.exitCode !== 0 };
  }
  return { running: false, failed: false };
}

export function computePodActions(pod: Pod, status: RuntimePodStatus, unhealthy: ReadonlySet<string> = new Set()): PodActions {
  const policy = restartPolicyOf(pod);
  const actions: PodActions = {
    killPod: false,
    createSandbox: false,
    attempt: 0,
    initFailed: false,
    containersToStart: [],
    containersToKill: [],
  };

  if (sandboxChanged(pod, status)) {
    const previous = status.sandboxes[0];
    actions.attempt = previous ? previous.attempt + 1 : 0;
    actions.killPod = status.containers.some((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED') || (previous?.state === 'SANDBOX_READY');
    // A pod that must not restart and already ran keeps its dead sandbox: it is finished.
    if (policy === 'Never' && previous !== undefined && status.containers.length > 0) {
      return actions;
    }
    actions.createSandbox = true;
    const firstInit = pod.spec.initContainers?.[0];
    if (firstInit) {
      const { current } = containerInstances(status, firstInit.name, true);
      actions.containersToStart.push({ container: firstInit, init: true, ...(current ? { previous: current } : {}) });
    } else {
      for (const c of pod.spec.containers) {
        const { current } = containerInstances(status, c.name, false);
        // Containers that already succeeded are not rerun in a new sandbox unless the policy says so.
        if (current && current.state === 'CONTAINER_EXITED' && !shouldRestart(policy, current.exitCode)) continue;
        actions.containersToStart.push({ container: c, init: false, ...(current ? { previous: current } : {}) });
      }
    }
    return actions;
  }

  actions.sandboxId = status.sandboxes[0]!.id;

  const init = nextInitContainer(pod, status);
  if (init.next) {
    if (init.running) {
      if (init.current && unhealthy.has(init.current.id)) {
        actions.containersToKill.push({ id: init.current.id, name: init.next.name, message: `Container ${init.next.name} failed liveness probe, will be restarted` });
      }
      return actions;
    }
    if (init.failed && policy === 'Never') {
      actions.initFailed = true;
      return actions;
    }
    // A created-but-never-started instance (the agent died in between) is replaced.
    if (init.current && init.current.state !== 'CONTAINER_EXITED') {
      actions.containersToKill.push({ id: init.current.id, name: init.next.name, message: `Container ${init.next.name} is in unknown state, will be restarted` });
    }
    actions.containersToStart.push({ container: init.next, init: true, ...(init.current ? { previous: init.current } : {}) });
    return actions;
  }

  for (const c of pod.spec.containers) {
    const { current } = containerInstances(status, c.name, false);
    if (!current) {
      actions.containersToStart.push({ container: c, init: false });
      continue;
    }
    if (current.state === 'CONTAINER_RUNNING') {
      let message: string | undefined;
      if (current.hash !== containerHash(c)) message = `Container ${c.name} definition changed, will be restarted`;
      else if (unhealthy.has(current.id)) message = `Container ${c.name} failed liveness probe, will be restarted`;
      if (message === undefined) continue;
      actions.containersToKill.push({ id: current.id, name: c.name, message });
      // With Never, a killed container stays dead; otherwise it comes back.
      if (policy !== 'Never') actions.containersToStart.push({ container: c, init: false, previous: current });
      continue;
    }
    if (current.state === 'CONTAINER_EXITED') {
      if (shouldRestart(policy, current.exitCode)) actions.containersToStart.push({ container: c, init: false, previous: current });
      continue;
    }
    // CREATED (never started) or UNKNOWN: replace it.
    actions.containersToKill.push({ id: current.id, name: c.name, message: `Container ${c.name} is in unknown state, will be restarted` });
    actions.containersToStart.push({ container: c, init: false, previous: current });
  }
  return actions;
}
