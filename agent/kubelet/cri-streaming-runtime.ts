/**
 * The agent server's StreamingRuntime over the CRI runtime: a pod's
 * containers and sandbox are found by the kubelet's labels (pod namespace,
 * name, container name), newest instance first, so `kubectl logs
 * --previous` reads the instance before it. Exec, attach and port-forward
 * go to the runtime as they are.
 */
import type { Duplex } from 'node:stream';
import type { Container, ExecStreams, RuntimeService } from '../cri/api.ts';
import type { StreamOptions, StreamingContainer, StreamingRuntime, StreamingSandbox, StreamingSession } from '../server/streaming-runtime.ts';
import { containerNameLabel, containerRestartCountAnnotation, containerTypeAnnotation, podNameLabel, podNamespaceLabel } from './runtime-labels.ts';

/** The pod's spec container names, to pick the default container (the first) when none is named. */
export type PodContainerNames = (namespace: string, podName: string) => string[] | undefined;

export class CriStreamingRuntime implements StreamingRuntime {
  readonly #runtime: RuntimeService;
  readonly #containerNames: PodContainerNames | undefined;

  constructor(runtime: RuntimeService, containerNames?: PodContainerNames) {
    this.#runtime = runtime;
    this.#containerNames = containerNames;
  }

  async findSandbox(namespace: string, podName: string): Promise<StreamingSandbox | undefined> {
    const sandboxes = await this.#runtime.listPodSandbox({ labelSelector: { [podNamespaceLabel]: namespace, [podNameLabel]: podName } });
    const ready = sandboxes.filter((s) => s.state === 'SANDBOX_READY').sort((a, b) => (b.createdAt > a.createdAt ? 1 : -1));
    return ready[0] ? { sandboxId: ready[0].id } : undefined;
  }

  async findContainer(namespace: string, podName: string, containerName: string | undefined): Promise<StreamingContainer | undefined> {
    const sandboxes = await this.#runtime.listPodSandbox({ labelSelector: { [podNamespaceLabel]: namespace, [podNameLabel]: podName } });
    const name = containerName ?? this.#containerNames?.(namespace, podName)?.[0];
    const all: Container[] = [];
    for (const s of sandboxes) {
      for (const c of await this.#runtime.listContainers({ podSandboxId: s.id })) {
        if (c.annotations[containerTypeAnnotation] === 'init' && containerName === undefined) continue;
        if (name !== undefined && c.labels[containerNameLabel] !== name) continue;
        all.push(c);
      }
    }
    const restarts = (c: Container) => Number(c.annotations[containerRestartCountAnnotation] ?? c.metadata.attempt ?? 0);
    all.sort((a, b) => restarts(b) - restarts(a) || (b.createdAt > a.createdAt ? 1 : -1));
    const current = all[0];
    if (!current) return undefined;
    const status = (await this.#runtime.containerStatus(current.id)).status;
    const found: StreamingContainer = { containerId: current.id, logPath: status.logPath, running: status.state === 'CONTAINER_RUNNING' };
    const previous = all.find((c) => c.id !== current.id && c.labels[containerNameLabel] === current.labels[containerNameLabel]);
    if (previous) found.previousLogPath = (await this.#runtime.containerStatus(previous.id)).status.logPath;
    return found;
  }

  async exec(containerId: string, cmd: string[], opts: StreamOptions): Promise<StreamingSession> {
    return sessionOf(await this.#runtime.exec({ containerId, cmd, tty: opts.tty, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr }), opts);
  }

  async attach(containerId: string, opts: StreamOptions): Promise<StreamingSession> {
    return sessionOf(await this.#runtime.attach({ containerId, tty: opts.tty, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr }), opts);
  }

  portForward(sandboxId: string, port: number): Promise<Duplex> {
    return this.#runtime.portForward(sandboxId, port);
  }
}

/** The streams the caller asked for (a tty has no separate stderr). */
function sessionOf(s: ExecStreams, opts: StreamOptions): StreamingSession {
  return {
    ...(opts.stdin ? { stdin: s.stdin } : {}),
    ...(opts.stdout ? { stdout: s.stdout } : {}),
    ...(opts.stderr && !opts.tty ? { stderr: s.stderr } : {}),
    resize: (w, h) => s.resize(w, h),
    exitCode: s.exitCode,
    close: () => s.close(),
  };
}
