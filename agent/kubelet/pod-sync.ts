/**
 * SyncPod and KillPod (kuberuntime_manager.go, kuberuntime_container.go,
 * kuberuntime_sandbox.go): carry out a computePodActions plan against the
 * CRI runtime, in kube's order —
 *
 *   1. compute sandbox and container changes;
 *   2. kill the pod if its sandbox changed;
 *   3. kill containers that must not run;
 *   4. create the sandbox if needed;
 *   5. start the next init container, or
 *   6. start the app containers
 *
 * — with crash-loop back-off on restarts (10 s doubling to 5 min), image
 * pulls per imagePullPolicy, and the kubelet's events. Start failures are
 * remembered as the container's waiting reason (kubelet's reasonCache).
 */
import type { PodSandboxConfig, PortMapping, RuntimeService } from '../cri/api.ts';
import { CriError, isNotFound } from '../cri/errors.ts';
import { Backoff } from './backoff.ts';
import { computePodActions, type ContainerToStart, type PodActions } from './compute-pod-actions.ts';
import { ContainerConfigError, generateContainerConfig, type ConfigSource, type PodRuntimeFacts } from './container-config.ts';
import { ImagePullError, type ContainerEventSink, type ImagePuller } from './image-puller.ts';
import { formatPod, type Container, type Pod } from './pod-types.ts';
import { sandboxLabels, containerHash } from './runtime-labels.ts';
import type { RuntimePodStatus } from './runtime-pod.ts';
import { reasonKey, type WaitingReason } from './status-manager.ts';
import { VolumeMountError, VolumeSetUpError, type VolumeManager } from './volumes.ts';

/** kubelet's minimumGracePeriodInSeconds. */
export const minimumGracePeriodSeconds = 2;

/** Event about the pod itself. */
export type PodEventSink = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface PodSyncOptions {
  runtime: RuntimeService;
  volumes: VolumeManager;
  images: ImagePuller;
  configs: ConfigSource;
  containerEvent: ContainerEventSink;
  podEvent: PodEventSink;
  facts: () => PodRuntimeFacts;
  allowPrivileged: boolean;
  podPidsLimit?: number;
  /** --cluster-dns: nameservers for ClusterFirst pods; without it they get the node's resolv.conf. */
  clusterDns?: string[];
  clusterDomain?: string;
  /** Crash-loop back-off; 10 s doubling to 5 min. */
  crashBackoff?: Backoff;
}

export interface SyncResult {
  actions: PodActions;
  /** When to sync again at the latest (a back-off ending), in ms from now. */
  retryAfterMs?: number;
  /** Whether anything was started or killed. */
  changed: boolean;
}

/** The gracePeriod kubelet gives a container it kills (killContainer): the deletion's, else the spec's, at least 2 s. */
export function killGracePeriodSeconds(pod: Pod | undefined, override?: number): number {
  const grace = override ?? pod?.metadata.deletionGracePeriodSeconds ?? pod?.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(minimumGracePeriodSeconds, grace);
}

export class PodSync {
  readonly #o: PodSyncOptions;
  readonly crashBackoff: Backoff;
  /** Waiting reasons of failed starts, by pod UID then `init|app/<name>`. */
  readonly #reasons = new Map<string, Map<string, WaitingReason>>();

  constructor(options: PodSyncOptions) {
    this.#o = options;
    this.crashBackoff = options.crashBackoff ?? new Backoff({ initialMs: 10_000, maxMs: 300_000 });
  }

  reasonsOf(uid: string): ReadonlyMap<string, WaitingReason> {
    return this.#reasons.get(uid) ?? new Map();
  }

  #setReason(uid: string, key: string, reason: WaitingReason | undefined): void {
    let m = this.#reasons.get(uid);
    if (!m) this.#reasons.set(uid, (m = new Map()));
    if (reason) m.set(key, reason);
    else m.delete(key);
  }

  forget(uid: string): void {
    this.#reasons.delete(uid);
    this.crashBackoff.forgetPrefix(`${uid}_`);
    this.#o.images.forgetPod(uid);
  }

  /** Runs one SyncPod pass. `unhealthy`: containers whose liveness probe failed. */
  async syncPod(pod: Pod, status: RuntimePodStatus, unhealthy: ReadonlySet<string>): Promise<SyncResult> {
    const actions = computePodActions(pod, status, unhealthy);
    const result: SyncResult = { actions, changed: false };

    // Step 2: the sandbox changed: everything in it goes first.
    if (actions.killPod) {
      await this.killPod(pod, status, undefined);
      result.changed = true;
    }
    // Step 3.
    for (const k of actions.containersToKill) {
      const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === k.name);
      if (c) this.#o.containerEvent(pod, c, 'Normal', 'Killing', k.message);
      await this.#o.runtime.stopContainer(k.id, killGracePeriodSeconds(pod));
      result.changed = true;
    }
    if (actions.initFailed) return result;
    if (!actions.createSandbox && actions.sandboxId === undefined) return result;

    let volumePaths: Map<string, string>;
    try {
      volumePaths = await this.#o.volumes.setUpPodVolumes(pod);
    } catch (err) {
      if (!(err instanceof VolumeSetUpError)) throw err;
      this.#o.podEvent(pod, 'Warning', 'FailedMount', err.message);
      return { ...result, retryAfterMs: 2000 };
    }

    // Step 4.
    let sandboxId = actions.sandboxId;
    const sandboxConfig = this.sandboxConfig(pod, actions.attempt);
    if (actions.createSandbox) {
      try {
        sandboxId = await this.#o.runtime.runPodSandbox(sandboxConfig);
        result.changed = true;
      } catch (err) {
        this.#o.podEvent(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
        return { ...result, retryAfterMs: 5000 };
      }
    }
    const podIPs = actions.createSandbox ? await this.#sandboxIps(sandboxId!) : (status.sandboxes[0]?.ips ?? []);

    // Steps 5 and 6.
    for (const spec of actions.containersToStart) {
      const wait = await this.#startContainer(pod, spec, sandboxId!, sandboxConfig, podIPs, volumePaths);
      if (wait === undefined) {
        result.changed = true;
        continue;
      }
      if (wait > 0) result.retryAfterMs = Math.min(result.retryAfterMs ?? Infinity, wait);
    }
    return result;
  }

  async #sandboxIps(sandboxId: string): Promise<string[]> {
    const st = (await this.#o.runtime.podSandboxStatus(sandboxId)).status;
    return st.network?.ip ? [st.network.ip, ...st.network.additionalIps.map((x) => x.ip)] : [];
  }

  /**
   * Starts one container. Returns undefined when it started, else how long
   * until it is worth trying again (0: at the next regular sync).
   */
  async #startContainer(
    pod: Pod,
    spec: ContainerToStart,
    sandboxId: string,
    sandboxConfig: PodSandboxConfig,
    podIPs: string[],
    volumePaths: ReadonlyMap<string, string>,
  ): Promise<number | undefined> {
    const { container, init, previous } = spec;
    const uid = pod.metadata.uid ?? '';
    const key = reasonKey(init, container.name);
    const fail = (reason: string, message: string, eventMessage = `Error: ${reason === 'CreateContainerConfigError' || reason === 'CreateContainerError' || reason === 'RunContainerError' ? message : reason}`) => {
      this.#o.containerEvent(pod, container, 'Warning', 'Failed', eventMessage);
      this.#setReason(uid, key, { reason, message });
    };

    // Crash-loop back-off (kuberuntime_manager.go doBackOff): counted from when the last instance finished.
    if (previous && previous.state === 'CONTAINER_EXITED') {
      const backoffKey = `${uid}_${pod.metadata.name ?? ''}_${container.name}_${containerHash(container)}`;
      const finishedAt = previous.finishedAt || Date.now();
      if (this.crashBackoff.isInBackOffSince(backoffKey, finishedAt)) {
        const delay = this.crashBackoff.get(backoffKey);
        this.#o.containerEvent(pod, container, 'Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${formatPod(pod)}`);
        this.#setReason(uid, key, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${container.name} pod=${formatPod(pod)}`,
        });
        return this.crashBackoff.remainingMs(backoffKey, finishedAt) ?? 0;
      }
      this.crashBackoff.next(backoffKey, finishedAt);
    }

    let imageRef: string;
    try {
      imageRef = await this.#o.images.ensureImageExists(pod, container);
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      fail(err.reason, err.message);
      // After a failed pull the next sync reports the back-off; during it, syncs wait for its end.
      if (err.reason === 'ErrImagePull') return 2000;
      if (err.reason === 'ImagePullBackOff') return this.#o.images.backoffRemainingMs(pod, container) ?? 0;
      return 0;
    }

    const restartCount = previous ? previous.restartCount + 1 : 0;
    let containerId: string;
    try {
      const mounts = await this.#o.volumes.containerMounts(pod, container, volumePaths);
      const facts = { ...this.#o.facts(), podIPs };
      const config = await generateContainerConfig({
        pod,
        container,
        init,
        restartCount,
        imageRef,
        facts,
        configs: this.#o.configs,
        mounts,
        allowPrivileged: this.#o.allowPrivileged,
        ...(this.#o.podPidsLimit !== undefined ? { podPidsLimit: this.#o.podPidsLimit } : {}),
      });
      // An earlier try that created but did not start this attempt left its name reserved.
      await this.#removeStale(sandboxId, container.name, restartCount);
      try {
        containerId = await this.#o.runtime.createContainer(sandboxId, config, sandboxConfig);
      } catch (err) {
        fail('CreateContainerError', (err as Error).message);
        return 0;
      }
    } catch (err) {
      if (err instanceof ContainerConfigError || err instanceof VolumeMountError) {
        fail('CreateContainerConfigError', err.message);
        return 0;
      }
      throw err;
    }
    this.#o.containerEvent(pod, container, 'Normal', 'Created', `Created container: ${container.name}`);
    try {
      await this.#o.runtime.startContainer(containerId);
    } catch (err) {
      fail('RunContainerError', (err as Error).message);
      return 0;
    }
    this.#o.containerEvent(pod, container, 'Normal', 'Started', `Started container ${container.name}`);
    this.#setReason(uid, key, undefined);
    return undefined;
  }

  async #removeStale(sandboxId: string, name: string, attempt: number): Promise<void> {
    for (const c of await this.#o.runtime.listContainers({ podSandboxId: sandboxId })) {
      if (c.metadata.name === name && (c.metadata.attempt ?? 0) === attempt) await this.#o.runtime.removeContainer(c.id);
    }
  }

  /** generatePodSandboxConfig. */
  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const portMappings: PortMapping[] = [];
    for (const c of pod.spec.containers) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort) continue;
        portMappings.push({ containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol ?? 'TCP', ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
      }
    }
    const hostname = (pod.spec.hostname || pod.metadata.name || '').slice(0, 63).replace(/[.-]+$/, '');
    const config: PodSandboxConfig = {
      metadata: { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? 'default', uid: pod.metadata.uid ?? '', attempt },
      hostname,
      logDirectory: this.#o.volumes.podLogDir(pod),
      portMappings,
      labels: sandboxLabels(pod),
      annotations: { ...(pod.metadata.annotations ?? {}) },
      linux: {
        securityContext: {
          namespaceOptions: { network: pod.spec.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' },
          ...(pod.spec.securityContext?.runAsUser !== undefined ? { runAsUser: { value: pod.spec.securityContext.runAsUser } } : {}),
          ...(pod.spec.securityContext?.runAsGroup !== undefined ? { runAsGroup: { value: pod.spec.securityContext.runAsGroup } } : {}),
          ...(pod.spec.securityContext?.supplementalGroups ? { supplementalGroups: pod.spec.securityContext.supplementalGroups } : {}),
        },
        ...(pod.spec.securityContext?.sysctls?.length
          ? { sysctls: Object.fromEntries(pod.spec.securityContext.sysctls.map((s) => [s.name, s.value])) }
          : {}),
      },
    };
    const dns = this.#dnsConfig(pod);
    if (dns) config.dnsConfig = dns;
    return config;
  }

  /** kubelet's dns.Configurer GetPodDNS, for the policies pier can serve. */
  #dnsConfig(pod: Pod): PodSandboxConfig['dnsConfig'] | undefined {
    const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
    const extra = pod.spec.dnsConfig;
    const extraOptions = (extra?.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name));
    if (policy === 'None') {
      return { servers: extra?.nameservers ?? [], searches: extra?.searches ?? [], options: extraOptions };
    }
    const clusterFirst = policy === 'ClusterFirst' ? !pod.spec.hostNetwork : policy === 'ClusterFirstWithHostNet';
    if (!clusterFirst || !this.#o.clusterDns?.length) {
      // Default: the node's resolv.conf (the runtime copies it when given nothing).
      if (!extra) return undefined;
      return { servers: extra.nameservers ?? [], searches: extra.searches ?? [], options: extraOptions };
    }
    const domain = this.#o.clusterDomain ?? 'cluster.local';
    const ns = pod.metadata.namespace ?? 'default';
    return {
      servers: [...this.#o.clusterDns, ...(extra?.nameservers ?? [])],
      searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...(extra?.searches ?? [])],
      options: ['ndots:5', ...extraOptions],
    };
  }

  /**
   * KillPod: stops every running container (in parallel, each with the
   * grace period), then every sandbox. Nothing is removed.
   */
  async killPod(pod: Pod | undefined, status: RuntimePodStatus, gracePeriodOverride: number | undefined): Promise<void> {
    const grace = killGracePeriodSeconds(pod, gracePeriodOverride);
    const running = status.containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED' || c.state === 'CONTAINER_UNKNOWN');
    await Promise.all(
      running.map(async (c) => {
        const spec: Container | undefined = pod ? [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === c.name) : undefined;
        if (pod && spec && c.state === 'CONTAINER_RUNNING') this.#o.containerEvent(pod, spec, 'Normal', 'Killing', `Stopping container ${c.name}`);
        try {
          await this.#o.runtime.stopContainer(c.id, grace);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    );
    for (const s of status.sandboxes) {
      if (s.state === 'SANDBOX_READY') await this.#o.runtime.stopPodSandbox(s.id);
    }
  }

  /** Removes every sandbox and container of the pod (after it was killed). */
  async removePod(status: RuntimePodStatus): Promise<void> {
    for (const c of status.containers) await this.#o.runtime.removeContainer(c.id);
    for (const s of status.sandboxes) await this.#o.runtime.removePodSandbox(s.id);
  }

  /**
   * Container GC for a live pod (kuberuntime_gc.go, MaxPerPodContainer 1):
   * of each container name only the newest dead instance stays (the
   * status's lastState and `logs --previous`); dead sandboxes that hold
   * nothing and are not the newest go.
   */
  async garbageCollect(status: RuntimePodStatus): Promise<void> {
    const keep = new Set<string>();
    const seen = new Map<string, number>();
    for (const c of status.containers) {
      const k = `${c.init ? 'init' : 'app'}/${c.name}`;
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      // Newest two: the current one and the one before it.
      if (n < 2 || c.state !== 'CONTAINER_EXITED') keep.add(c.id);
    }
    for (const c of status.containers) {
      if (!keep.has(c.id)) await this.#o.runtime.removeContainer(c.id).catch(ignoreNotFound);
    }
    const newest = status.sandboxes[0]?.id;
    for (const s of status.sandboxes) {
      if (s.id === newest || s.state === 'SANDBOX_READY') continue;
      if (status.containers.some((c) => c.sandboxId === s.id && keep.has(c.id))) continue;
      await this.#o.runtime.removePodSandbox(s.id).catch(ignoreNotFound);
    }
  }
}

function ignoreNotFound(err: unknown): void {
  if (err instanceof CriError && err.code === 'NotFound') return;
  throw err;
}
