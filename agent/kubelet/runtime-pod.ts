/**
 * What the runtime has of one pod (kubecontainer.PodStatus): its sandboxes
 * and containers, found by the pod-UID label, newest first. This and the
 * annotations on each container are all the kubelet needs to plan a sync, so
 * a restarted agent picks up exactly where the last one stopped.
 */
import type { ContainerState, PodSandboxState, RuntimeService } from '../cri/api.ts';
import { isNotFound } from '../cri/errors.ts';
import {
  containerHashAnnotation,
  containerNameLabel,
  containerRestartCountAnnotation,
  containerTypeAnnotation,
  podTerminationGracePeriodAnnotation,
  podUidLabel,
} from './runtime-labels.ts';

export interface RuntimeSandbox {
  id: string;
  attempt: number;
  state: PodSandboxState;
  /** ms since the epoch. */
  createdAt: number;
  ips: string[];
}

export interface RuntimeContainer {
  id: string;
  sandboxId: string;
  name: string;
  init: boolean;
  restartCount: number;
  hash: string;
  state: ContainerState;
  /** ms since the epoch; 0 when not reached. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The image ID it runs. */
  imageRef: string;
  logPath: string;
  /** The pod's terminationGracePeriodSeconds when the container was made (for pods the API no longer has). */
  podTerminationGracePeriod?: number;
}

export interface RuntimePodStatus {
  uid: string;
  /** Newest first. */
  sandboxes: RuntimeSandbox[];
  /** Newest first (by restart count, then creation). */
  containers: RuntimeContainer[];
}

function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

export async function getRuntimePodStatus(runtime: RuntimeService, uid: string): Promise<RuntimePodStatus> {
  const sandboxes: RuntimeSandbox[] = [];
  const containers: RuntimeContainer[] = [];
  for (const s of await runtime.listPodSandbox({ labelSelector: { [podUidLabel]: uid } })) {
    let ips: string[] = [];
    try {
      const st = (await runtime.podSandboxStatus(s.id)).status;
      ips = st.network?.ip ? [st.network.ip, ...st.network.additionalIps.map((x) => x.ip)] : [];
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    sandboxes.push({ id: s.id, attempt: s.metadata.attempt ?? 0, state: s.state, createdAt: nsToMs(s.createdAt), ips });
    // Per sandbox: the runtime only inspects the containers it lists.
    for (const c of await runtime.listContainers({ podSandboxId: s.id })) {
      if (c.labels[podUidLabel] !== uid) continue;
      let st;
      try {
        st = (await runtime.containerStatus(c.id)).status;
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      containers.push({
        id: c.id,
        sandboxId: s.id,
        name: c.labels[containerNameLabel] ?? c.metadata.name,
        init: c.annotations[containerTypeAnnotation] === 'init',
        restartCount: Number(c.annotations[containerRestartCountAnnotation] ?? c.metadata.attempt ?? 0) || 0,
        hash: c.annotations[containerHashAnnotation] ?? '',
        state: st.state,
        createdAt: nsToMs(st.createdAt),
        startedAt: nsToMs(st.startedAt),
        finishedAt: nsToMs(st.finishedAt),
        exitCode: st.exitCode,
        reason: st.reason,
        message: st.message,
        imageRef: st.imageRef,
        logPath: st.logPath,
        ...(c.annotations[podTerminationGracePeriodAnnotation] !== undefined
          ? { podTerminationGracePeriod: Number(c.annotations[podTerminationGracePeriodAnnotation]) || 0 }
          : {}),
      });
    }
  }
  sandboxes.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  containers.sort((a, b) => b.restartCount - a.restartCount || b.createdAt - a.createdAt);
  return { uid, sandboxes, containers };
}

/** The newest instance of the named container, and the one before it. */
export function containerInstances(status: RuntimePodStatus, name: string, init: boolean): { current?: RuntimeContainer; previous?: RuntimeContainer } {
  const all = status.containers.filter((c) => c.name === name && c.init === init);
  return { ...(all[0] ? { current: all[0] } : {}), ...(all[1] ? { previous: all[1] } : {}) };
}
