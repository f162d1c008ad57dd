/**
 * Readiness, liveness and startup probes (kubelet's prober and
 * prober/worker.go): one timer loop per running container and probe,
 * honouring initialDelaySeconds, periodSeconds, timeoutSeconds and the
 * success/failure thresholds. Readiness starts false and liveness true;
 * liveness and readiness wait for a startup probe to pass. Results reach
 * the pod worker through `onChange`, which re-syncs the pod: its status
 * shows readiness, and a failed liveness probe gets the container killed.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { RuntimeService } from '../cri/api.ts';
import type { ContainerEventSink } from './image-puller.ts';
import type { Container, Pod, Probe } from './pod-types.ts';
import type { RuntimePodStatus } from './runtime-pod.ts';

export type ProbeType = 'readiness' | 'liveness' | 'startup';

export type ProbeResult = { ok: true } | { ok: false; output: string };

const probeNames: Record<ProbeType, string> = { readiness: 'Readiness', liveness: 'Liveness', startup: 'Startup' };

function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`couldn't find port ${port} in container ${container.name}`);
  return named.containerPort;
}

/** Runs one probe against a container at `podIP`. */
export async function runProbe(runtime: RuntimeService, probe: Probe, container: Container, containerId: string, podIP: string): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec?.command?.length) {
      const r = await runtime.execSync(containerId, probe.exec.command, Math.ceil(timeoutMs / 1000));
      const output = (r.stdout.toString() + r.stderr.toString()).trim();
      return r.exitCode === 0 ? { ok: true } : { ok: false, output: output || `command ${JSON.stringify(probe.exec.command)} exited with ${r.exitCode}` };
    }
    if (probe.httpGet) {
      const g = probe.httpGet;
      const port = resolvePort(g.port, container);
      const host = g.host || podIP;
      const scheme = (g.scheme ?? 'HTTP').toLowerCase();
      const path = g.path ?? '/';
      const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
      const code = await new Promise<number>((resolve, reject) => {
        const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
        for (const h of g.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
        const req = (scheme === 'https' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
        req.on('error', reject);
        req.end();
      });
      return code >= 200 && code < 400 ? { ok: true } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` };
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, container);
      const host = probe.tcpSocket.host || podIP;
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host, port, timeout: timeoutMs });
        s.once('connect', () => {
          s.destroy();
          resolve();
        });
        s.once('timeout', () => {
          s.destroy();
          reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
        });
        s.once('error', (err) => reject(new Error(`dial tcp ${host}:${port}: ${err.message}`)));
      });
      return { ok: true };
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}

interface ProbeWorker {
  uid: string;
  containerId: string;
  type: ProbeType;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  /** Current result; undefined until the first decision. */
  result: boolean;
  successes: number;
  failures: number;
  /** Liveness or startup failed past its threshold: the container must be restarted. */
  tripped: boolean;
}

export interface ProberOptions {
  runtime: RuntimeService;
  event: ContainerEventSink;
  /** The pod's result changed (re-sync it). */
  onChange: (uid: string) => void;
}

export class Prober {
  readonly #o: ProberOptions;
  readonly #workers = new Map<string, ProbeWorker>();

  constructor(options: ProberOptions) {
    this.#o = options;
  }

  #get(containerId: string, type: ProbeType): ProbeWorker | undefined {
    return this.#workers.get(`${containerId}/${type}`);
  }

  /** Readiness of a container: undefined when it has no readiness probe. */
  readiness(containerId: string): boolean | undefined {
    return this.#get(containerId, 'readiness')?.result;
  }

  startup(containerId: string): boolean | undefined {
    return this.#get(containerId, 'startup')?.result;
  }

  /** Containers whose liveness (or startup) probe has failed past its threshold. */
  unhealthy(uid: string): Set<string> {
    const out = new Set<string>();
    for (const w of this.#workers.values()) {
      if (w.uid === uid && w.tripped) out.add(w.containerId);
    }
    return out;
  }

  /** Starts workers for the pod's running containers' probes and stops those of containers no longer running. */
  sync(pod: Pod, status: RuntimePodStatus): void {
    const uid = pod.metadata.uid ?? '';
    const podIP = status.sandboxes[0]?.ips[0] ?? '127.0.0.1';
    const wanted = new Set<string>();
    for (const c of status.containers) {
      if (c.state !== 'CONTAINER_RUNNING' || c.init) continue;
      const spec = pod.spec.containers.find((x) => x.name === c.name);
      if (!spec) continue;
      const probes: Array<[ProbeType, Probe | undefined]> = [
        ['startup', spec.startupProbe],
        ['readiness', spec.readinessProbe],
        ['liveness', spec.livenessProbe],
      ];
      for (const [type, probe] of probes) {
        if (!probe) continue;
        const key = `${c.id}/${type}`;
        wanted.add(key);
        if (this.#workers.has(key)) continue;
        const w: ProbeWorker = { uid, containerId: c.id, type, timer: undefined, stopped: false, result: type === 'liveness', successes: 0, failures: 0, tripped: false };
        this.#workers.set(key, w);
        const delay = (probe.initialDelaySeconds ?? 0) * 1000;
        w.timer = setTimeout(() => void this.#tick(w, pod, spec, probe, podIP), delay);
      }
    }
    for (const [key, w] of this.#workers) {
      if (w.uid === uid && !wanted.has(key)) this.#stop(key, w);
    }
  }

  async #tick(w: ProbeWorker, pod: Pod, container: Container, probe: Probe, podIP: string): Promise<void> {
    if (w.stopped) return;
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    // Liveness and readiness wait for the startup probe.
    const startup = this.#get(w.containerId, 'startup');
    if (w.type !== 'startup' && startup && !startup.result) {
      w.timer = setTimeout(() => void this.#tick(w, pod, container, probe, podIP), period);
      return;
    }
    if (w.type === 'startup' && w.result) return; // done once it passed
    const r = await runProbe(this.#o.runtime, probe, container, w.containerId, podIP);
    if (w.stopped) return;
    const before = w.result;
    if (r.ok) {
      w.failures = 0;
      w.successes++;
      if (w.successes >= (w.type === 'readiness' ? (probe.successThreshold ?? 1) : 1)) w.result = true;
    } else {
      w.successes = 0;
      w.failures++;
      this.#o.event(pod, container, 'Warning', 'Unhealthy', `${probeNames[w.type]} probe failed: ${r.output}`);
      if (w.failures >= (probe.failureThreshold ?? 3)) {
        w.result = false;
        if (w.type !== 'readiness') w.tripped = true;
      }
    }
    const livenessTripped = w.tripped;
    if (before !== w.result || livenessTripped) this.#o.onChange(w.uid);
    // A container that failed liveness is about to be killed; its worker ends with it.
    if (!livenessTripped) w.timer = setTimeout(() => void this.#tick(w, pod, container, probe, podIP), period);
  }

  #stop(key: string, w: ProbeWorker): void {
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    this.#workers.delete(key);
  }

  forgetPod(uid: string): void {
    for (const [key, w] of this.#workers) if (w.uid === uid) this.#stop(key, w);
  }

  stop(): void {
    for (const [key, w] of this.#workers) this.#stop(key, w);
  }
}
