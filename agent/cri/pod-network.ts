/**
 * The seam between the runtime's sandboxes and pod networking (in containerd's
 * CRI plugin: the CNI setup run inside RunPodSandbox and the teardown in
 * StopPodSandbox). agent/cri uses only this; agent/network implements it with
 * the CNI plugins (loopback, bridge, host-local, portmap).
 */

/** CRI PortMapping for a hostPort. */
export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

/** What the network needs to know about a sandbox. */
export interface PodNetworkSandbox {
  /** The sandbox ID (CNI's container ID). */
  id: string;
  podName: string;
  podNamespace: string;
  podUid: string;
  /** Path of the network namespace, e.g. /run/netns/pier-<id>. */
  netnsPath: string;
  portMappings: PortMapping[];
}

export interface PodNetworkStatus {
  /** The pod's primary IP (IPv4). */
  ip: string;
  /** Every address the pod got, primary first. */
  ips: string[];
}

export interface PodNetwork {
  /** Creates a network namespace for a new sandbox; returns its path. */
  createNetns(sandboxId: string): Promise<string>;
  /** Removes the namespace made by createNetns. Idempotent. */
  removeNetns(netnsPath: string): Promise<void>;
  /** Wires the namespace (CNI ADD). */
  setUp(sandbox: PodNetworkSandbox): Promise<PodNetworkStatus>;
  /** Unwires it (CNI DEL), freeing its IP and host-port rules. Idempotent. */
  tearDown(sandbox: PodNetworkSandbox): Promise<void>;
  /** The sandbox's current address, from inside its namespace. */
  status(sandbox: PodNetworkSandbox): Promise<PodNetworkStatus | undefined>;
}
