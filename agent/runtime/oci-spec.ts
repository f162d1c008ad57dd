/**
 * Builds the OCI runtime-spec `config.json` of a container bundle. Pure: every
 * host fact (cgroup path, netns path, capability list) comes in as input, so
 * the defaults are table-tested without runc.
 */
import type { LinuxContainerResources, Mount as CriMount } from '../cri/api.ts';

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: {
      devices: { allow: boolean; access: string; type?: string; major?: number; minor?: number }[];
      cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
      memory?: { limit?: number; swap?: number };
      pids?: { limit: number };
    };
    maskedPaths: string[];
    readonlyPaths: string[];
  };
  annotations?: Record<string, string>;
}

/** containerd's default capability set (`oci.WithDefaultCapabilities` / `populateDefaultUnixSpec`). */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability by number (linux/capability.h); a host knows those up to /proc/sys/kernel/cap_last_cap. */
export const allCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** runc's default spec (`runc spec`). */
export const defaultMaskedPaths: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];
export const defaultReadonlyPaths: readonly string[] = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

export interface ContainerSpecInput {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids?: number[];
  terminal: boolean;
  hostname: string;
  /** Relative to the bundle, or absolute. */
  rootfsPath: string;
  readonlyRootfs: boolean;
  /** undefined: the node's network namespace. */
  netnsPath: string | undefined;
  cgroupsPath: string;
  privileged: boolean;
  /** The capabilities the host kernel knows (privileged containers get all of them). */
  hostCapabilities: readonly string[];
  capAdd?: string[];
  capDrop?: string[];
  noNewPrivileges?: boolean;
  resources?: LinuxContainerResources;
  /** CRI mounts of the container, and the sandbox's /etc files. */
  mounts: CriMount[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  annotations?: Record<string, string>;
}

/** `NET_ADMIN`, `cap_net_admin` → `CAP_NET_ADMIN`. */
export function normalizeCapability(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** containerd's order: drop ALL first, then add, then drop named ones. */
export function resolveCapabilities(input: Pick<ContainerSpecInput, 'privileged' | 'hostCapabilities' | 'capAdd' | 'capDrop'>): string[] {
  if (input.privileged) return [...input.hostCapabilities];
  const add = (input.capAdd ?? []).map(normalizeCapability);
  const drop = (input.capDrop ?? []).map(normalizeCapability);
  let caps: string[] = drop.includes('CAP_ALL') ? [] : [...defaultCapabilities];
  caps = add.includes('CAP_ALL') ? [...input.hostCapabilities] : [...new Set([...caps, ...add])];
  return caps.filter((c) => !drop.includes(c) && input.hostCapabilities.includes(c));
}

export function propagationOption(propagation: CriMount['propagation']): string {
  switch (propagation) {
    case 'PROPAGATION_BIDIRECTIONAL':
      return 'rshared';
    case 'PROPAGATION_HOST_TO_CONTAINER':
      return 'rslave';
    default:
      return 'rprivate';
  }
}

export function criMountToOci(m: CriMount): OciMount {
  return {
    destination: m.containerPath,
    type: 'bind',
    source: m.hostPath,
    options: ['rbind', propagationOption(m.propagation), m.readonly ? 'ro' : 'rw'],
  };
}

export function buildContainerSpec(input: ContainerSpecInput): OciSpec {
  const caps = resolveCapabilities(input);
  const sysOptions = ['nosuid', 'noexec', 'nodev', input.privileged ? 'rw' : 'ro'];
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // Without a private network namespace a fresh sysfs can't be mounted; bind the host's instead.
    input.netnsPath === undefined
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', ...sysOptions] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOptions },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ...input.mounts.map(criMountToOci),
  ];
  const namespaces: { type: string; path?: string }[] = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
  ];
  if (input.netnsPath !== undefined) namespaces.push({ type: 'network', path: input.netnsPath });

  const r = input.resources;
  const resources: OciSpec['linux']['resources'] = {
    devices: [{ allow: input.privileged, access: 'rwm' }],
  };
  if (r) {
    const cpu: NonNullable<OciSpec['linux']['resources']['cpu']> = {};
    if (r.cpuShares) cpu.shares = r.cpuShares;
    if (r.cpuQuota) cpu.quota = r.cpuQuota;
    if (r.cpuPeriod) cpu.period = r.cpuPeriod;
    if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
    if (r.cpusetMems) cpu.mems = r.cpusetMems;
    if (Object.keys(cpu).length > 0) resources.cpu = cpu;
    if (r.memoryLimitInBytes) {
      // As containerd: swap equal to the limit means "no swap", so the limit is what triggers the OOM killer.
      resources.memory = { limit: r.memoryLimitInBytes, swap: r.memorySwapLimitInBytes || r.memoryLimitInBytes };
    }
    if (r.pidsLimit) resources.pids = { limit: r.pidsLimit };
  }

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: input.terminal,
      user: { uid: input.uid, gid: input.gid, ...(input.additionalGids?.length ? { additionalGids: input.additionalGids } : {}) },
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // runc's default; a higher hard limit than the agent's own is refused.
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: input.noNewPrivileges ?? false,
      ...(r?.oomScoreAdj !== undefined ? { oomScoreAdj: r.oomScoreAdj } : {}),
    },
    root: { path: input.rootfsPath, readonly: input.readonlyRootfs },
    hostname: input.hostname,
    mounts,
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources,
      maskedPaths: input.privileged ? [] : (input.maskedPaths ?? [...defaultMaskedPaths]),
      readonlyPaths: input.privileged ? [] : (input.readonlyPaths ?? [...defaultReadonlyPaths]),
    },
  };
  if (input.annotations && Object.keys(input.annotations).length > 0) spec.annotations = input.annotations;
  return spec;
}
