/**
 * The Container Runtime Interface, v1, as TypeScript: the messages and the
 * two services of k8s.io/cri-api `pkg/apis/runtime/v1/api.proto`, with the
 * proto's snake_case fields in camelCase and its `oneof`/enums as string
 * unions. Only the fields pier uses are declared; every name that is declared
 * is spelled as in the proto.
 *
 * One deliberate departure: CRI's Exec, Attach and PortForward return a URL
 * of a streaming server that the kubelet proxies to. pier's agent runs the
 * runtime in-process, so here they return live streams instead (see
 * {@link ExecStreams} and {@link RuntimeService.portForward}).
 */
import type { Duplex, Readable, Writable } from 'node:stream';

// ---- shared ---------------------------------------------------------------

export interface KeyValue {
  key: string;
  value: string;
}

/** CRI Int64Value: present means "set", so 0 can be told apart from unset. */
export interface Int64Value {
  value: number;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortMapping {
  protocol?: Protocol;
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

/** CRI NamespaceMode: POD shares with the sandbox, CONTAINER is private, NODE is the host's, TARGET another container's. */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

export interface Capability {
  addCapabilities?: string[];
  dropCapabilities?: string[];
}

// ---- sandboxes ------------------------------------------------------------

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt?: number;
}

export interface DNSConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
}

export interface LinuxPodSandboxConfig {
  /** Parent cgroup of the sandbox, in cgroupfs form (`/kubepods/burstable/pod<uid>`). */
  cgroupParent?: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls?: Record<string, string>;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  /** Directory under which container logs go; ContainerConfig.logPath is relative to it. */
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: LinuxPodSandboxConfig;
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodIP {
  ip: string;
}

export interface PodSandboxNetworkStatus {
  ip: string;
  additionalIps: PodIP[];
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  /** Nanoseconds since the Unix epoch. */
  createdAt: bigint;
  network?: PodSandboxNetworkStatus;
  linux?: { namespaces?: { options?: NamespaceOption } };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus;
  /** With verbose: runtime-specific details, values are JSON (as containerd's `info`). */
  info: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandboxStateValue {
  state: PodSandboxState;
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxStateValue;
  /** Every pair must match (AND). */
  labelSelector?: Record<string, string>;
}

// ---- containers -----------------------------------------------------------

export interface ContainerMetadata {
  name: string;
  attempt?: number;
}

export interface ImageSpec {
  image: string;
  annotations?: Record<string, string>;
}

export type MountPropagation =
  | 'PROPAGATION_PRIVATE'
  | 'PROPAGATION_HOST_TO_CONTAINER'
  | 'PROPAGATION_BIDIRECTIONAL';

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  permissions: string;
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  memorySwapLimitInBytes?: number;
  /**
   * pier extension: CRI v1 has no per-container pids limit (the kubelet sets
   * `pids.max` on the pod cgroup); pier lets a container carry one.
   */
  pidsLimit?: number;
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

export interface LinuxContainerConfig {
  resources?: LinuxContainerResources;
  securityContext?: LinuxContainerSecurityContext;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  /** Replaces the image's Entrypoint (and then its Cmd is dropped). */
  command?: string[];
  /** Replaces the image's Cmd. */
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to PodSandboxConfig.logDirectory. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: LinuxContainerConfig;
}

export type ContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';

/** The reasons the kubelet understands for an exited container. */
export type ContainerExitReason = 'Completed' | 'Error' | 'OOMKilled';

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  /** Nanoseconds since the Unix epoch; 0 when not reached. */
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  image: ImageSpec;
  /** The image ID the container runs. */
  imageRef: string;
  /** CamelCase, one word; '' while running. */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  logPath: string;
  resources?: { linux?: LinuxContainerResources };
}

export interface ContainerStatusResponse {
  status: ContainerStatus;
  /** With verbose: `info` holds JSON with `pid`, `sandboxID`, `runtimeSpec`… (as containerd). */
  info: Record<string, string>;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStateValue {
  state: ContainerState;
}

export interface ContainerFilter {
  id?: string;
  state?: ContainerStateValue;
  podSandboxId?: string;
  /** Every pair must match (AND). */
  labelSelector?: Record<string, string>;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

// ---- streaming (pier: live streams instead of streaming-server URLs) -------

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  /** With tty, stdout carries the terminal and stderr stays empty (as CRI). */
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface AttachRequest {
  containerId: string;
  stdin?: boolean;
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

/**
 * A running exec or attach session. CRI returns the URL of a streaming
 * server (SPDY/WebSocket); pier hands back the streams themselves.
 */
export interface ExecStreams {
  /** Ending it closes the process's stdin. */
  stdin: Writable;
  stdout: Readable;
  /** Empty when tty. */
  stderr: Readable;
  /** Sets the terminal size (no-op without tty). */
  resize(width: number, height: number): Promise<void>;
  /** Resolves with the process's exit code once it exits and its output is drained. */
  exitCode: Promise<number>;
  /** Ends the session (kills the exec'd process). */
  close(): void;
}

// ---- services -------------------------------------------------------------

/** CRI RuntimeService (the sandbox and container RPCs). */
export interface RuntimeService {
  /** Creates and starts a sandbox; returns its ID. On failure nothing is left behind. */
  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  /** Stops every container of the sandbox and reclaims its network. Succeeds when the sandbox is already gone. */
  stopPodSandbox(podSandboxId: string): Promise<void>;
  /** Removes the sandbox and its containers (forcibly). Succeeds when already gone. */
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string, verbose?: boolean): Promise<PodSandboxStatusResponse>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;

  /** Creates a container in a ready sandbox; returns its ID. */
  createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** Signals the container, and kills it after `timeout` seconds. Succeeds when it is already gone. */
  stopContainer(containerId: string, timeout: number): Promise<void>;
  /** Removes the container, killing it if it runs. Succeeds when already gone. */
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  containerStatus(containerId: string, verbose?: boolean): Promise<ContainerStatusResponse>;

  /** Runs a command to completion; `timeout` in seconds (0 = none). */
  execSync(containerId: string, cmd: string[], timeout?: number): Promise<ExecSyncResponse>;
  /** Starts a command in the container and returns its live streams (CRI: a streaming URL). */
  exec(request: ExecRequest): Promise<ExecStreams>;
  /** Connects to the container's main process stdio (CRI: a streaming URL). */
  attach(request: AttachRequest): Promise<ExecStreams>;
  /**
   * Opens a connection to 127.0.0.1:`port` inside the sandbox's network
   * namespace (CRI: a streaming URL that carries many such connections).
   */
  portForward(podSandboxId: string, port: number): Promise<Duplex>;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid?: Int64Value;
  username?: string;
  spec?: ImageSpec;
  pinned?: boolean;
}

export interface ImageFilter {
  image?: ImageSpec;
}

export interface FilesystemIdentifier {
  mountpoint: string;
}

export interface FilesystemUsage {
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
  fsId: FilesystemIdentifier;
  usedBytes: number;
  inodesUsed: number;
}

export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}

/** CRI ImageService. */
export interface ImageService {
  /** Pulls the image; returns its reference (the image ID). */
  pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig): Promise<string>;
  listImages(filter?: ImageFilter): Promise<Image[]>;
  /** undefined when the image is not present (CRI: a nil image, not an error). */
  imageStatus(image: ImageSpec, verbose?: boolean): Promise<{ image?: Image; info: Record<string, string> }>;
  /** Succeeds when the image is already gone. */
  removeImage(image: ImageSpec): Promise<void>;
  imageFsInfo(): Promise<ImageFsInfoResponse>;
}
