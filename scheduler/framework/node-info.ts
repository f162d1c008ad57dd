/**
 * framework.NodeInfo: a node plus the pods the scheduler counts on it
 * (bound or assumed), with their summed requests and host ports kept
 * incrementally so filters and scores are O(1) per node.
 */
import { addResource, computePodResourceRequest, emptyResource, resourceFromList, type Resource } from './resource.ts';
import type { Node, Pod } from './types.ts';

/** A pod with its requests computed once, when it enters the cache. */
export interface PodInfo {
  pod: Pod;
  requests: Resource;
  nonZeroRequests: Resource;
}

export function newPodInfo(pod: Pod): PodInfo {
  return { pod, requests: computePodResourceRequest(pod), nonZeroRequests: computePodResourceRequest(pod, true) };
}

export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

/** Host ports a pod asks for: containers and sidecar init containers, hostPort > 0 only. */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const containers = [...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec.containers ?? [])];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ hostIP: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export const wildcardIP = '0.0.0.0';

/** framework.HostPortInfo: ip -> "protocol/port" set. */
export class HostPortInfo {
  private readonly byIP = new Map<string, Map<string, number>>();

  add(p: HostPort, delta = 1): void {
    let ports = this.byIP.get(p.hostIP);
    if (!ports) this.byIP.set(p.hostIP, (ports = new Map()));
    const key = `${p.protocol}/${p.port}`;
    const n = (ports.get(key) ?? 0) + delta;
    if (n > 0) ports.set(key, n);
    else ports.delete(key);
    if (ports.size === 0) this.byIP.delete(p.hostIP);
  }

  /** 0.0.0.0 conflicts with every address, and every address with 0.0.0.0. */
  checkConflict(p: HostPort): boolean {
    const key = `${p.protocol}/${p.port}`;
    if (p.hostIP === wildcardIP) {
      for (const ports of this.byIP.values()) if (ports.has(key)) return true;
      return false;
    }
    return (this.byIP.get(p.hostIP)?.has(key) ?? false) || (this.byIP.get(wildcardIP)?.has(key) ?? false);
  }

  get size(): number {
    return this.byIP.size;
  }
}

export class NodeInfo {
  readonly node: Node;
  readonly name: string;
  readonly allocatable: Resource;
  readonly pods: PodInfo[] = [];
  /** Sum of pod requests, what NodeResourcesFit filters on. */
  readonly requested: Resource = emptyResource();
  /** Same with cpu/memory defaults for request-less pods, what scoring uses. */
  readonly nonZeroRequested: Resource = emptyResource();
  readonly usedPorts = new HostPortInfo();
  /** Bumped on every change, so a snapshot can tell what moved. */
  generation = 0;

  constructor(node: Node, pods: readonly Pod[] = []) {
    this.node = node;
    this.name = node.metadata.name ?? '';
    this.allocatable = resourceFromList(node.status?.allocatable ?? node.status?.capacity);
    for (const p of pods) this.addPod(p);
  }

  addPod(pod: Pod | PodInfo): PodInfo {
    const info = 'pod' in pod && 'requests' in pod ? (pod as PodInfo) : newPodInfo(pod as Pod);
    this.pods.push(info);
    this.update(info, 1);
    return info;
  }

  /** Removes by uid (or namespace/name when uid is unset); returns whether it was there. */
  removePod(pod: Pod): boolean {
    const i = this.pods.findIndex((p) => samePod(p.pod, pod));
    if (i < 0) return false;
    const [info] = this.pods.splice(i, 1);
    if (info) this.update(info, -1);
    return true;
  }

  private update(info: PodInfo, sign: 1 | -1): void {
    addResource(this.requested, info.requests, sign);
    addResource(this.nonZeroRequested, info.nonZeroRequests, sign);
    for (const p of podHostPorts(info.pod)) this.usedPorts.add(p, sign);
    this.generation++;
  }
}

function samePod(a: Pod, b: Pod): boolean {
  if (a.metadata.uid && b.metadata.uid) return a.metadata.uid === b.metadata.uid;
  return a.metadata.namespace === b.metadata.namespace && a.metadata.name === b.metadata.name;
}
