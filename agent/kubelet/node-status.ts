/**
 * The Node object as the kubelet registers and reports it
 * (kubelet_node_status.go and pkg/kubelet/nodestatus/setters.go): capacity
 * from the host, allocatable less the default hard-eviction thresholds,
 * addresses, nodeInfo, the kubelet endpoint, the four standard conditions,
 * and the images on the node. Also registerNode (create, or adopt an
 * existing Node) and the updater that refreshes status every 10 s when it
 * changed and every 5 min regardless (nodeStatusReportFrequency).
 */
import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { arch, cpus, hostname, networkInterfaces, release } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { metaNow } from '../../client/api/meta-time.ts';
import type { KubeObject } from '../../client/api/meta.ts';
import { isAlreadyExists, isConflict } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import type { ImageService } from '../cri/api.ts';
import { nodesPath } from './pod-types.ts';
import { sleep } from '../../client/wait/sleep.ts';

export const kubeletVersion = 'v1.32.0-pier';

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface NodeStatus {
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  conditions?: NodeCondition[];
  addresses?: Array<{ type: string; address: string }>;
  daemonEndpoints?: { kubeletEndpoint: { Port: number } };
  nodeInfo?: Record<string, string>;
  images?: Array<{ names: string[]; sizeBytes: number }>;
}

export type Node = KubeObject & { spec?: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean }; status?: NodeStatus };

/** Facts about this host that go into the Node. */
export interface HostInfo {
  cpu: number;
  memoryKi: number;
  ephemeralStorageBytes: number;
  kernelVersion: string;
  osImage: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  architecture: string;
  hostname: string;
  internalIP: string;
}

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

async function readTrim(path: string): Promise<string> {
  return (await readFile(path, 'utf8').catch(() => '')).trim();
}

/** The IPv4 address of the interface holding the default route (kubelet's nodeIP auto-detection, near enough). */
export async function primaryIPv4(): Promise<string | undefined> {
  const routes = await readFile('/proc/net/route', 'utf8').catch(() => '');
  const iface = routes
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === '00000000' && f[7] === '00000000')?.[0];
  const all = networkInterfaces();
  const pick = (name: string) => all[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  if (iface) {
    const ip = pick(iface);
    if (ip) return ip;
  }
  for (const name of Object.keys(all)) {
    const ip = pick(name);
    if (ip) return ip;
  }
  return undefined;
}

export async function hostInfo(rootDir: string, nodeIP?: string): Promise<HostInfo> {
  const meminfo = await readTrim('/proc/meminfo');
  const memoryKi = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0);
  const fs = await statfs(rootDir).catch(() => undefined);
  const osRelease = await readTrim('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? 'Linux';
  return {
    cpu: cpus().length,
    memoryKi,
    ephemeralStorageBytes: fs ? fs.blocks * fs.bsize : 0,
    kernelVersion: release(),
    osImage: pretty,
    machineID: await readTrim('/etc/machine-id'),
    systemUUID: await readTrim('/sys/class/dmi/id/product_uuid'),
    bootID: await readTrim('/proc/sys/kernel/random/boot_id'),
    architecture: goArch[arch()] ?? arch(),
    hostname: hostname(),
    internalIP: nodeIP ?? (await primaryIPv4()) ?? '127.0.0.1',
  };
}

/** `runc://1.1.5+ds1` from `runc --version` (`crun://…` for crun). */
export async function containerRuntimeVersion(binary: string): Promise<string> {
  const name = binary.split('/').pop() ?? 'runc';
  const out = await new Promise<string>((resolve) => execFile(binary, ['--version'], (err, stdout) => resolve(err ? '' : String(stdout))));
  const version = /version\s+(\S+)/.exec(out)?.[1] ?? 'unknown';
  return `${name}://${version}`;
}

/** Default hard eviction (memory.available<100Mi, nodefs.available<10%) comes off allocatable. */
export function nodeResources(host: HostInfo, maxPods: number): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const capacity = {
    cpu: String(host.cpu),
    memory: `${host.memoryKi}Ki`,
    pods: String(maxPods),
    'ephemeral-storage': `${Math.floor(host.ephemeralStorageBytes / 1024)}Ki`,
  };
  const allocatable = {
    cpu: String(host.cpu),
    memory: `${Math.max(0, host.memoryKi - 100 * 1024)}Ki`,
    pods: String(maxPods),
    'ephemeral-storage': String(Math.floor(host.ephemeralStorageBytes * 0.9)),
  };
  return { capacity, allocatable };
}

export interface NodeStatusInputs {
  host: HostInfo;
  maxPods: number;
  kubeletPort: number;
  runtimeVersion: string;
  images?: Array<{ names: string[]; sizeBytes: number }>;
  /** The runtime answers (Ready=True); else Ready=False with this message. */
  runtimeError?: string;
}

function nodeConditions(inputs: NodeStatusInputs, old: NodeCondition[] | undefined, now: string): NodeCondition[] {
  const make = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const prev = old?.find((c) => c.type === type);
    return {
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      reason,
      message,
    };
  };
  return [
    make('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    make('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    make('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    inputs.runtimeError === undefined
      ? make('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      : make('Ready', 'False', 'KubeletNotReady', `container runtime is down: ${inputs.runtimeError}`),
  ];
}

export function nodeStatus(inputs: NodeStatusInputs, old: NodeStatus | undefined, now = metaNow()): NodeStatus {
  const { capacity, allocatable } = nodeResources(inputs.host, inputs.maxPods);
  return {
    capacity,
    allocatable,
    conditions: nodeConditions(inputs, old?.conditions, now),
    addresses: [
      { type: 'InternalIP', address: inputs.host.internalIP },
      { type: 'Hostname', address: inputs.host.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: inputs.kubeletPort } },
    nodeInfo: {
      machineID: inputs.host.machineID,
      systemUUID: inputs.host.systemUUID,
      bootID: inputs.host.bootID,
      kernelVersion: inputs.host.kernelVersion,
      osImage: inputs.host.osImage,
      containerRuntimeVersion: inputs.runtimeVersion,
      kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: inputs.host.architecture,
    },
    images: inputs.images ?? [],
  };
}

/** Equal apart from heartbeat times (what decides a report before nodeStatusReportFrequency). */
export function nodeStatusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined) =>
    s && JSON.parse(JSON.stringify({ ...s, conditions: (s.conditions ?? []).map(({ lastHeartbeatTime: _h, ...rest }) => rest) }));
  return !isDeepStrictEqual(strip(a), strip(b));
}

export function nodeLabels(nodeName: string, host: HostInfo): Record<string, string> {
  return {
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': host.architecture,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': host.architecture,
  };
}

/** The node's images for status.images (kubelet reports at most 50, largest first). */
export async function nodeImages(images: ImageService): Promise<Array<{ names: string[]; sizeBytes: number }>> {
  const list = await images.listImages();
  return list
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size }))
    .filter((i) => i.names.length > 0)
    .sort((a, b) => b.sizeBytes - a.sizeBytes || (a.names[0]! < b.names[0]! ? -1 : 1))
    .slice(0, 50);
}

/**
 * registerWithAPIServer: creates the Node with its status; when it exists
 * already (a restarted agent), adopts it: labels are reconciled, an unset
 * spec.podCIDR is filled from `podCidr`, and the status is rewritten.
 */
export async function registerNode(client: RestClient, nodeName: string, labels: Record<string, string>, status: NodeStatus, podCidr?: string): Promise<Node> {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName,
      labels,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: podCidr ? { podCIDR: podCidr, podCIDRs: [podCidr] } : {},
    status,
  };
  try {
    return await client.create<Node>(nodesPath, node);
  } catch (err) {
    if (!isAlreadyExists(err) && !isConflict(err)) throw err;
  }
  const existing = await client.get<Node>({ ...nodesPath, name: nodeName });
  const patch: Record<string, unknown> = { metadata: { labels } };
  if (podCidr && !existing.spec?.podCIDR) patch.spec = { podCIDR: podCidr, podCIDRs: [podCidr] };
  await client.patch({ ...nodesPath, name: nodeName }, 'merge', patch);
  return client.patch<Node>({ ...nodesPath, name: nodeName, subresource: 'status' }, 'merge', {
    status: { ...status, conditions: nodeConditionsFrom(status, existing.status) },
  });
}

function nodeConditionsFrom(status: NodeStatus, old: NodeStatus | undefined): NodeCondition[] {
  return (status.conditions ?? []).map((c) => {
    const prev = old?.conditions?.find((o) => o.type === c.type);
    return prev && prev.status === c.status && prev.lastTransitionTime ? { ...c, lastTransitionTime: prev.lastTransitionTime } : c;
  });
}

export interface NodeStatusUpdaterOptions {
  client: RestClient;
  nodeName: string;
  /** Builds the current status (host facts, runtime health, images). */
  collect: (old: NodeStatus | undefined) => Promise<NodeStatus>;
  /** How often status is computed (nodeStatusUpdateFrequency); 10 s. */
  updateIntervalMs?: number;
  /** How often it is written even when unchanged (nodeStatusReportFrequency); 5 min. */
  reportIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export class NodeStatusUpdater {
  readonly #o: NodeStatusUpdaterOptions;
  #last: NodeStatus | undefined;
  #lastReport = 0;

  constructor(options: NodeStatusUpdaterOptions, initial?: NodeStatus) {
    this.#o = options;
    this.#last = initial;
    if (initial) this.#lastReport = Date.now();
  }

  /** Computes the status and writes it if it changed or the report interval passed; returns whether it wrote. */
  async update(force = false): Promise<boolean> {
    const next = await this.#o.collect(this.#last);
    const due = Date.now() - this.#lastReport >= (this.#o.reportIntervalMs ?? 300_000);
    if (!force && !due && !nodeStatusChanged(this.#last, next)) return false;
    const written = await this.#o.client.patch<Node>({ ...nodesPath, name: this.#o.nodeName, subresource: 'status' }, 'merge', { status: next });
    this.#last = written.status ?? next;
    this.#lastReport = Date.now();
    return true;
  }

  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#o.updateIntervalMs ?? 10_000;
    while (!signal.aborted) {
      await sleep(interval, signal);
      if (signal.aborted) return;
      try {
        await this.update();
      } catch (err) {
        this.#o.onError?.(err);
      }
    }
  }
}

