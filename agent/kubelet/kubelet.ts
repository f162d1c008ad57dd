/**
 * The kubelet of a pier node: registers the Node and keeps its Lease and
 * status fresh, watches the pods bound to it, and runs each through a pod
 * worker that plans from spec and runtime state and acts (SyncPod), stops
 * it gracefully when it is deleted, reports its status, and cleans up after
 * it. A relist of the runtime every second (kubelet's PLEG) notices
 * containers that exited and runtime objects of pods no longer bound here.
 *
 * Nothing lives only in memory that a restart would need: the runtime keeps
 * its containers running across an agent restart, and their labels and
 * annotations tell the new agent whose they are and how often they
 * restarted, so running containers of still-bound pods are kept.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../client/api/meta.ts';
import { quantityMilliValue, quantityValue } from '../../client/api/quantity.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import { SharedInformer } from '../../client/cache/shared-informer.ts';
import { EventRecorder } from '../../client/record/event-recorder.ts';
import { isNotFound as isApiNotFound } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import type { ImageService, RuntimeService } from '../cri/api.ts';
import type { ContainerImageProvider } from '../cri/image-provider.ts';
import type { PodNetwork } from '../cri/pod-network.ts';
import { Backoff } from './backoff.ts';
import type { ConfigSource, PodRuntimeFacts } from './container-config.ts';
import { ImagePuller } from './image-puller.ts';
import { NodeLease } from './node-lease.ts';
import { sleep } from '../../client/wait/sleep.ts';
import {
  containerRuntimeVersion,
  hostInfo,
  nodeImages,
  nodeLabels,
  nodeResources,
  nodeStatus,
  NodeStatusUpdater,
  registerNode,
  type HostInfo,
  type Node,
  type NodeStatus,
} from './node-status.ts';
import { PodSync } from './pod-sync.ts';
import { podsPath, type ConfigMap, type Container, type Pod, type PodStatus, type Secret } from './pod-types.ts';
import { PodWorkers, type PodSyncOutcome } from './pod-workers.ts';
import { Prober } from './prober.ts';
import { podUidLabel } from './runtime-labels.ts';
import { getRuntimePodStatus, type RuntimePodStatus } from './runtime-pod.ts';
import { generatePodStatus, StatusManager } from './status-manager.ts';
import { VolumeManager } from './volumes.ts';

export interface KubeletOptions {
  client: RestClient;
  nodeName: string;
  runtime: RuntimeService;
  images: ImageService & ContainerImageProvider;
  /** The runtime wires sandboxes through it; the kubelet only keeps it for the agent's lifetime. */
  network?: PodNetwork;
  /** The agent's state directory; pods live under `<rootDir>/pods/<uid>`. */
  rootDir: string;
  /** Written to spec.podCIDR when the Node has none. */
  podCidr?: string;
  allowPrivileged: boolean;
  /** Port in status.daemonEndpoints.kubeletEndpoint. Default 10250. */
  kubeletPort?: number;
  /** InternalIP; default the host's primary IPv4. */
  nodeIP?: string;
  /** `runc` (container IDs `runc://…`). */
  runtimeName?: string;
  /** The OCI runtime binary, for nodeInfo.containerRuntimeVersion. Default /usr/bin/runc. */
  runtimeBinary?: string;
  /** Default 110. */
  maxPods?: number;
  podPidsLimit?: number;
  clusterDns?: string[];
  clusterDomain?: string;
  /** Crash-loop back-off; 10 s doubling to 5 min. */
  crashLoopBackoff?: { initialMs: number; maxMs: number };
  /** Image pull back-off; 10 s doubling to 5 min. */
  imagePullBackoff?: { initialMs: number; maxMs: number };
  /** Periodic re-sync of each pod. Default 10 s. */
  resyncIntervalMs?: number;
  /** Runtime relist (PLEG). Default 1 s. */
  relistIntervalMs?: number;
  /** Node status computation. Default 10 s. */
  nodeStatusUpdateIntervalMs?: number;
  /** Lease renewal. Default 10 s. */
  leaseRenewIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export class Kubelet {
  readonly nodeName: string;
  readonly #o: KubeletOptions;
  readonly #client: RestClient;
  readonly #runtime: RuntimeService;
  readonly #informer: SharedInformer<Pod>;
  readonly #recorder: EventRecorder;
  readonly #volumes: VolumeManager;
  readonly #configs: ConfigSource;
  readonly #puller: ImagePuller;
  readonly #podSync: PodSync;
  readonly #status: StatusManager;
  readonly #prober: Prober;
  readonly #workers: PodWorkers;
  readonly #onError: (err: unknown) => void;
  /** Pod UID → informer key, and the last version seen (for the grace period of a pod deleted outright). */
  readonly #uidToKey = new Map<string, string>();
  readonly #lastKnown = new Map<string, Pod>();
  /** Pods this agent saw finish (Succeeded/Failed): never started again. */
  readonly #finished = new Set<string>();
  readonly #imageIds = new Map<string, string>();
  #host: HostInfo | undefined;
  #runtimeVersion = '';
  #node: Node | undefined;
  #relistState = new Map<string, string>();
  #loops: Promise<unknown>[] = [];
  #stop = new AbortController();

  constructor(options: KubeletOptions) {
    this.#o = options;
    this.nodeName = options.nodeName;
    this.#client = options.client;
    this.#runtime = options.runtime;
    this.#onError = options.onError ?? ((err) => process.stderr.write(`kubelet: ${err instanceof Error ? err.message : String(err)}\n`));
    this.#recorder = new EventRecorder({ client: this.#client, component: 'kubelet', onError: this.#onError });
    this.#configs = {
      getConfigMap: (namespace, name) => this.#getOptional<ConfigMap>('configmaps', namespace, name),
      getSecret: (namespace, name) => this.#getOptional<Secret>('secrets', namespace, name),
    };
    this.#volumes = new VolumeManager({ podsDir: join(options.rootDir, 'pods'), configs: this.#configs });
    const containerEvent = (pod: Pod, c: Container, type: 'Normal' | 'Warning', reason: string, message: string) => this.#containerEvent(pod, c, type, reason, message);
    this.#puller = new ImagePuller({
      images: options.images,
      configs: this.#configs,
      event: containerEvent,
      ...(options.imagePullBackoff ? { backoff: new Backoff(options.imagePullBackoff) } : {}),
    });
    this.#podSync = new PodSync({
      runtime: this.#runtime,
      volumes: this.#volumes,
      images: this.#puller,
      configs: this.#configs,
      containerEvent,
      podEvent: (pod, type, reason, message) => void this.#recorder.event(pod, type, reason, message),
      facts: () => this.#facts(),
      allowPrivileged: options.allowPrivileged,
      ...(options.podPidsLimit !== undefined ? { podPidsLimit: options.podPidsLimit } : {}),
      ...(options.clusterDns ? { clusterDns: options.clusterDns } : {}),
      ...(options.clusterDomain ? { clusterDomain: options.clusterDomain } : {}),
      ...(options.crashLoopBackoff ? { crashBackoff: new Backoff(options.crashLoopBackoff) } : {}),
    });
    this.#status = new StatusManager({ client: this.#client });
    this.#prober = new Prober({ runtime: this.#runtime, event: containerEvent, onChange: (uid) => this.#workers.update(uid) });
    this.#workers = new PodWorkers({
      sync: (uid) => this.#syncPod(uid),
      onError: (uid, err) => this.#onError(new Error(`pod ${this.#describe(uid)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })),
    });
    this.#informer = new SharedInformer<Pod>(this.#client, {
      path: podsPath,
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      onError: this.#onError,
    });
    this.#informer.addEventHandler({
      onAdd: (pod) => this.#podChanged(pod),
      onUpdate: (old, pod) => {
        // Status-only changes are mostly this kubelet's own writes echoing back (kubelet's config
        // source drops them too); reacting would re-sync every pod after every status patch.
        if (onlyStatusChanged(old, pod)) {
          this.#lastKnown.set(pod.metadata.uid ?? '', pod);
          return;
        }
        this.#podChanged(pod);
      },
      onDelete: (obj) => {
        const pod = unwrapTombstone(obj);
        const uid = pod.metadata.uid ?? '';
        if (this.#uidToKey.get(uid) !== undefined) this.#uidToKey.delete(uid);
        this.#lastKnown.set(uid, pod);
        this.#workers.update(uid);
      },
    });
  }

  #podChanged(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    this.#uidToKey.set(uid, `${pod.metadata.namespace}/${pod.metadata.name}`);
    this.#lastKnown.set(uid, pod);
    this.#workers.update(uid);
  }

  #describe(uid: string): string {
    const p = this.#lastKnown.get(uid);
    return p ? `${p.metadata.namespace}/${p.metadata.name} (${uid})` : uid;
  }

  async #getOptional<T extends KubeObject>(plural: string, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.#client.get<T>({ group: '', version: 'v1', plural, namespace, name });
    } catch (err) {
      if (isApiNotFound(err)) return undefined;
      throw err;
    }
  }

  #containerEvent(pod: Pod, c: Container, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const init = (pod.spec.initContainers ?? []).some((x) => x.name === c.name) && !pod.spec.containers.some((x) => x.name === c.name);
    void this.#recorder.event(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod.metadata.name ?? '',
        ...(pod.metadata.namespace ? { namespace: pod.metadata.namespace } : {}),
        ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
        fieldPath: `spec.${init ? 'initContainers' : 'containers'}{${c.name}}`,
      },
      type,
      reason,
      message,
    );
  }

  #facts(): PodRuntimeFacts {
    const host = this.#host!;
    const { allocatable } = nodeResources(host, this.#o.maxPods ?? 110);
    return {
      nodeName: this.nodeName,
      hostIP: host.internalIP,
      podIPs: [],
      nodeAllocatable: { cpuMilli: quantityMilliValue(allocatable.cpu!), memoryBytes: quantityValue(allocatable.memory!) },
      memoryCapacityBytes: host.memoryKi * 1024,
    };
  }

  /** The Node as registered (after start). */
  get node(): Node | undefined {
    return this.#node;
  }

  /** The pod informer (tests and the streaming server read pods through it). */
  get podInformer(): SharedInformer<Pod> {
    return this.#informer;
  }

  async #collectNodeStatus(old: NodeStatus | undefined): Promise<NodeStatus> {
    let runtimeError: string | undefined;
    try {
      await this.#runtime.listPodSandbox();
    } catch (err) {
      runtimeError = (err as Error).message;
    }
    const images = await nodeImages(this.#o.images).catch(() => old?.images ?? []);
    return nodeStatus(
      {
        host: this.#host!,
        maxPods: this.#o.maxPods ?? 110,
        kubeletPort: this.#o.kubeletPort ?? 10250,
        runtimeVersion: this.#runtimeVersion,
        images,
        ...(runtimeError !== undefined ? { runtimeError } : {}),
      },
      old,
    );
  }

  /**
   * Registers the node, starts the lease, node status, pod informer and
   * relist loops, and resolves once the pods bound here are known.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (signal) signal.addEventListener('abort', () => this.#stop.abort(), { once: true });
    const stop = this.#stop.signal;
    this.#host = await hostInfo(this.#o.rootDir, this.#o.nodeIP);
    this.#runtimeVersion = await containerRuntimeVersion(this.#o.runtimeBinary ?? '/usr/bin/runc');
    const initial = await this.#collectNodeStatus(undefined);
    this.#node = await registerNode(this.#client, this.nodeName, nodeLabels(this.nodeName, this.#host), initial, this.#o.podCidr);
    const lease = new NodeLease({
      client: this.#client,
      nodeName: this.nodeName,
      nodeUid: this.#node.metadata.uid ?? '',
      ...(this.#o.leaseRenewIntervalMs !== undefined ? { renewIntervalMs: this.#o.leaseRenewIntervalMs } : {}),
      onError: this.#onError,
    });
    await lease.renew();
    const updater = new NodeStatusUpdater(
      {
        client: this.#client,
        nodeName: this.nodeName,
        collect: (old) => this.#collectNodeStatus(old),
        ...(this.#o.nodeStatusUpdateIntervalMs !== undefined ? { updateIntervalMs: this.#o.nodeStatusUpdateIntervalMs } : {}),
        onError: this.#onError,
      },
      this.#node.status,
    );
    this.#loops.push(lease.run(stop), updater.run(stop), this.#informer.run(stop).catch(this.#onError));
    if (!(await this.#informer.waitForCacheSync(stop))) return;
    // Every pod the runtime still has gets a sync: kept if still bound here, cleaned up if not.
    for (const uid of await this.#runtimeUids()) this.#workers.update(uid);
    this.#loops.push(this.#relistLoop(stop), this.#housekeepingLoop(stop));
  }

  /** Runs until `signal` aborts, then stops the agent's loops (containers keep running). */
  async run(signal: AbortSignal): Promise<void> {
    await this.start(signal);
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.stop();
  }

  /** Stops syncing; the pods' containers keep running, as when a kubelet exits. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#prober.stop();
    await this.#workers.stop();
    await Promise.all(this.#loops);
  }

  async #runtimeUids(): Promise<Set<string>> {
    const uids = new Set<string>();
    for (const s of await this.#runtime.listPodSandbox()) {
      const uid = s.labels[podUidLabel];
      if (uid) uids.add(uid);
    }
    return uids;
  }

  /** PLEG: a change in any container's state re-syncs its pod; runtime objects of unknown pods get a sync that removes them. */
  async #relistLoop(signal: AbortSignal): Promise<void> {
    const interval = this.#o.relistIntervalMs ?? 1000;
    while (!signal.aborted) {
      await sleep(interval, signal);
      if (signal.aborted) return;
      try {
        const next = new Map<string, string>();
        for (const s of await this.#runtime.listPodSandbox()) {
          const uid = s.labels[podUidLabel];
          if (uid) next.set(`sandbox/${s.id}`, `${uid} ${s.state}`);
        }
        for (const c of await this.#runtime.listContainers()) {
          const uid = c.labels[podUidLabel];
          if (uid) next.set(`container/${c.id}`, `${uid} ${c.state}`);
        }
        const changed = new Set<string>();
        for (const [id, v] of next) if (this.#relistState.get(id) !== v) changed.add(v.split(' ')[0]!);
        for (const [id, v] of this.#relistState) if (!next.has(id)) changed.add(v.split(' ')[0]!);
        this.#relistState = next;
        for (const uid of changed) this.#workers.update(uid);
        for (const v of next.values()) {
          const uid = v.split(' ')[0]!;
          if (!this.#uidToKey.has(uid) && !this.#workers.has(uid)) this.#workers.update(uid);
        }
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  /** Pod directories of pods that are neither bound here nor have runtime objects any more. */
  async #housekeepingLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(10_000, signal);
      if (signal.aborted) return;
      try {
        const inRuntime = await this.#runtimeUids();
        for (const uid of await this.#volumes.podUids()) {
          if (this.#uidToKey.has(uid) || this.#workers.has(uid) || inRuntime.has(uid)) continue;
          await this.#volumes.tearDownPod(uid);
        }
        this.#podSync.crashBackoff.gc();
        this.#puller.backoff.gc();
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  #currentPod(uid: string): Pod | undefined {
    const key = this.#uidToKey.get(uid);
    if (key === undefined) return undefined;
    const pod = this.#informer.indexer.getByKey(key);
    return pod && pod.metadata.uid === uid ? pod : undefined;
  }

  async #imageIdsFor(status: RuntimePodStatus): Promise<Map<string, string>> {
    for (const c of status.containers) {
      if (!c.imageRef || this.#imageIds.has(c.imageRef)) continue;
      const img = (await this.#o.images.imageStatus({ image: c.imageRef }).catch(() => ({ image: undefined }))).image;
      if (img) this.#imageIds.set(c.imageRef, img.repoDigests[0] ?? img.id);
    }
    return this.#imageIds;
  }

  async #generateStatus(pod: Pod, runtime: RuntimePodStatus, podIsTerminal: boolean): Promise<PodStatus> {
    const uid = pod.metadata.uid ?? '';
    return generatePodStatus(pod, runtime, {
      hostIP: this.#host!.internalIP,
      runtimeName: this.#o.runtimeName ?? 'runc',
      reasons: this.#podSync.reasonsOf(uid),
      readiness: (id) => this.#prober.readiness(id),
      startup: (id) => this.#prober.startup(id),
      imageIds: await this.#imageIdsFor(runtime),
      podIsTerminal,
      sandboxReady: runtime.sandboxes[0]?.state === 'SANDBOX_READY',
    });
  }

  /** One pass of a pod worker. */
  async #syncPod(uid: string): Promise<PodSyncOutcome> {
    const pod = this.#currentPod(uid);
    const runtime = await getRuntimePodStatus(this.#runtime, uid);

    // Gone from the API (deleted outright, or never ours): kill and remove everything.
    if (!pod) {
      const last = this.#lastKnown.get(uid);
      // A pod this agent never saw (deleted while it was down): the grace period recorded on its containers.
      const recorded = Math.max(0, ...runtime.containers.map((c) => c.podTerminationGracePeriod ?? 0));
      await this.#podSync.killPod(last, runtime, last ? last.metadata.deletionGracePeriodSeconds : recorded);
      await this.#cleanUp(uid, runtime);
      return { done: true };
    }

    // Graceful deletion: stop everything, report it, unmount, then delete the object (grace 0, UID precondition).
    if (pod.metadata.deletionTimestamp) {
      await this.#podSync.killPod(pod, runtime, undefined);
      const after = await getRuntimePodStatus(this.#runtime, uid);
      await this.#status.setPodStatus(pod, await this.#generateStatus(pod, after, true));
      this.#prober.forgetPod(uid);
      await this.#status.deletePod(pod);
      await this.#cleanUp(uid, after);
      return { done: true };
    }

    // A pod that finished stays finished: its sandbox is stopped, its dead containers kept for logs.
    const apiPhase = pod.status?.phase;
    if (this.#finished.has(uid) || apiPhase === 'Succeeded' || apiPhase === 'Failed') {
      if (runtime.containers.some((c) => c.state === 'CONTAINER_RUNNING') || runtime.sandboxes.some((s) => s.state === 'SANDBOX_READY')) {
        await this.#podSync.killPod(pod, runtime, undefined);
      }
      this.#finished.add(uid);
      if (apiPhase !== 'Succeeded' && apiPhase !== 'Failed') {
        await this.#status.setPodStatus(pod, await this.#generateStatus(pod, await getRuntimePodStatus(this.#runtime, uid), true));
      }
      this.#prober.forgetPod(uid);
      return {};
    }

    // activeDeadlineSeconds: the pod fails once it ran longer.
    const deadline = pod.spec.activeDeadlineSeconds;
    const startTime = Date.parse(pod.status?.startTime ?? '');
    if (deadline !== undefined && Number.isFinite(startTime) && Date.now() - startTime >= deadline * 1000) {
      void this.#recorder.event(pod, 'Normal', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      await this.#podSync.killPod(pod, runtime, undefined);
      const after = await getRuntimePodStatus(this.#runtime, uid);
      const status = await this.#generateStatus(pod, after, true);
      status.phase = 'Failed';
      status.reason = 'DeadlineExceeded';
      status.message = 'Pod was active on the node longer than the specified deadline';
      await this.#status.setPodStatus(pod, status);
      this.#finished.add(uid);
      return {};
    }

    const result = await this.#podSync.syncPod(pod, runtime, this.#prober.unhealthy(uid));
    let after = result.changed ? await getRuntimePodStatus(this.#runtime, uid) : runtime;
    // Probe workers first: a container with a readiness probe is not ready before its first success.
    this.#prober.sync(pod, after);
    let status = await this.#generateStatus(pod, after, false);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      // Nothing will run again: stop the sandbox (frees its address) and report the final status.
      await this.#podSync.killPod(pod, after, undefined);
      after = await getRuntimePodStatus(this.#runtime, uid);
      status = await this.#generateStatus(pod, after, true);
      this.#finished.add(uid);
      this.#prober.forgetPod(uid);
    }
    await this.#status.setPodStatus(pod, status);
    await this.#podSync.garbageCollect(after);
    const resync = this.#o.resyncIntervalMs ?? 10_000;
    if (this.#finished.has(uid)) return {};
    return { requeueAfterMs: Math.min(resync, result.retryAfterMs ?? resync) };
  }

  async #cleanUp(uid: string, runtime: RuntimePodStatus): Promise<void> {
    this.#prober.forgetPod(uid);
    await this.#podSync.removePod(runtime);
    await this.#volumes.tearDownPod(uid);
    this.#podSync.forget(uid);
    this.#status.forget(uid);
    this.#finished.delete(uid);
    if (!this.#uidToKey.has(uid)) this.#lastKnown.delete(uid);
  }
}

/** Whether two versions of a pod differ only in status (and bookkeeping metadata). */
function onlyStatusChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = p.metadata;
    return { meta, spec: p.spec };
  };
  return isDeepStrictEqual(strip(a), strip(b));
}
