/**
 * Plays the kubelet for pods bound to simulated nodes, as kwok does: a bound
 * pod is reported Running and Ready with a running status per container, a
 * pod marked for graceful deletion is finished off (deleted with grace 0 and a
 * uid precondition, as the kubelet does once its containers stopped), and a
 * pod that may finish (restartPolicy Never/OnFailure) and carries the
 * simulation annotations ends Succeeded or Failed after its run time. No
 * container runs anywhere.
 */
import { metaNow } from '../../client/api/meta-time.ts';
import type { KubeObject } from '../../client/api/meta.ts';
import { SharedInformer } from '../../client/cache/shared-informer.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import { isNotFound } from '../../client/rest/api-error.ts';
import type { ConcurrencyLimiter } from '../../client/rest/concurrency-limiter.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';

/** Exit code of every container of a finishing pod (Jobs in tests); absent = the pod runs forever. */
export const simulatedExitCodeAnnotation = 'simnodes.pier.dev/exit-code';
/** Seconds a finishing pod runs before it exits. Default 0. */
export const simulatedRunSecondsAnnotation = 'simnodes.pier.dev/run-seconds';

interface Container {
  name: string;
  image?: string;
}
type Pod = KubeObject & {
  spec: { nodeName?: string; restartPolicy?: string; containers: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    startTime?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
  };
};

const podsPath = { group: '', version: 'v1', plural: 'pods' } as const;

export interface PodSimulatorOptions {
  client: RestClient;
  limiter: ConcurrencyLimiter;
  /** Node name → node index (for addresses); pods on other nodes are ignored. */
  nodes: ReadonlyMap<string, { index: number; ip: string }>;
  /** Parallel syncs. */
  workers: number;
  onError: (err: unknown) => void;
}

export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function podCondition(type: string, now: string) {
  return { type, status: 'True', lastProbeTime: null, lastTransitionTime: now };
}

export class PodSimulator {
  readonly #o: PodSimulatorOptions;
  readonly #informer: SharedInformer<Pod>;
  readonly #queue = new RateLimitingQueue<string>();
  /** Per node, the next pod address suffix. */
  readonly #nextAddress = new Map<string, number>();

  constructor(options: PodSimulatorOptions) {
    this.#o = options;
    // Only assigned pods: the pending ones are the scheduler's, not ours.
    this.#informer = new SharedInformer<Pod>(options.client, { path: podsPath, fieldSelector: 'spec.nodeName!=', onError: options.onError });
    const enqueue = (pod: Pod) => {
      if (pod.spec.nodeName !== undefined && options.nodes.has(pod.spec.nodeName)) this.#queue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    };
    this.#informer.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, pod) => enqueue(pod),
      onDelete: (obj) => {
        const pod = unwrapTombstone(obj);
        if (pod) this.#queue.forget(`${pod.metadata.namespace}/${pod.metadata.name}`);
      },
    });
  }

  get informer(): SharedInformer<Pod> {
    return this.#informer;
  }

  async run(signal: AbortSignal): Promise<void> {
    const informer = this.#informer.run(signal);
    signal.addEventListener('abort', () => this.#queue.shutDown(), { once: true });
    const workers = Array.from({ length: this.#o.workers }, () => this.#worker());
    await Promise.all([informer, ...workers]);
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        await this.#sync(key);
        this.#queue.forget(key);
      } catch (err) {
        this.#o.onError(err);
        this.#queue.addRateLimited(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #sync(key: string): Promise<void> {
    const pod = this.#informer.indexer.getByKey(key);
    if (!pod || pod.spec.nodeName === undefined) return;
    const node = this.#o.nodes.get(pod.spec.nodeName);
    if (!node) return;
    const { namespace, name, uid } = pod.metadata;
    const path = { ...podsPath, namespace: namespace!, name: name! };
    if (pod.metadata.deletionTimestamp) {
      try {
        await this.#o.limiter.run(() => this.#o.client.delete(path, { gracePeriodSeconds: 0, preconditions: { uid: uid! } }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const exitCode = this.#finishingExitCode(pod);
    if (isRunningAndReady(pod)) {
      if (exitCode === undefined) return;
      const runMs = Number(pod.metadata.annotations?.[simulatedRunSecondsAnnotation] ?? '0') * 1000;
      const startedAt = Date.parse(pod.status?.startTime ?? '') || Date.now();
      const remaining = startedAt + runMs - Date.now();
      if (remaining > 0) {
        this.#queue.addAfter(key, remaining);
        return;
      }
      await this.#o.limiter.run(() => this.#o.client.patch({ ...path, subresource: 'status' }, 'merge', this.#finishedStatus(pod, exitCode)));
      return;
    }
    await this.#o.limiter.run(() => this.#o.client.patch({ ...path, subresource: 'status' }, 'merge', this.#runningStatus(pod, node)));
  }

  #finishingExitCode(pod: Pod): number | undefined {
    const text = pod.metadata.annotations?.[simulatedExitCodeAnnotation];
    if (text === undefined || (pod.spec.restartPolicy ?? 'Always') === 'Always') return undefined;
    const code = Number(text);
    return Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1;
  }

  #podIp(pod: Pod, node: { index: number; ip: string }): string {
    if (pod.status?.podIP) return pod.status.podIP;
    const n = this.#nextAddress.get(pod.spec.nodeName!) ?? 0;
    this.#nextAddress.set(pod.spec.nodeName!, n + 1);
    return `10.${128 + ((node.index >> 8) & 127)}.${node.index & 255}.${(n % 254) + 1}`;
  }

  #runningStatus(pod: Pod, node: { index: number; ip: string }): object {
    const now = metaNow();
    const podIP = this.#podIp(pod, node);
    return {
      status: {
        phase: 'Running',
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((t) => podCondition(t, now)),
        hostIP: node.ip,
        hostIPs: [{ ip: node.ip }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: pod.status?.startTime ?? now,
        initContainerStatuses: (pod.spec.initContainers ?? []).map((c) => ({
          ...this.#containerIdentity(pod, c),
          ready: true,
          started: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } },
          lastState: {},
        })),
        containerStatuses: pod.spec.containers.map((c) => ({
          ...this.#containerIdentity(pod, c),
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
          lastState: {},
        })),
      },
    };
  }

  #finishedStatus(pod: Pod, exitCode: number): object {
    const now = metaNow();
    const startedAt = pod.status?.startTime ?? now;
    const notReady = (type: string) => ({ type, status: 'False', reason: 'PodCompleted', lastProbeTime: null, lastTransitionTime: now });
    return {
      status: {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        conditions: [
          podCondition('PodScheduled', now),
          podCondition('Initialized', now),
          { ...notReady('PodReadyToStartContainers') },
          notReady('Ready'),
          notReady('ContainersReady'),
        ],
        containerStatuses: pod.spec.containers.map((c) => ({
          ...this.#containerIdentity(pod, c),
          ready: false,
          started: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now } },
          lastState: {},
        })),
      },
    };
  }

  #containerIdentity(pod: Pod, c: Container) {
    return {
      name: c.name,
      image: c.image ?? '',
      imageID: `simulated://${c.image ?? ''}`,
      containerID: `simulated://${pod.metadata.uid ?? ''}/${c.name}`,
    };
  }
}
