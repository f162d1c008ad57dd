/**
 * A pod's container spec → the CRI ContainerConfig the runtime creates it
 * from (kuberuntime_container.go generateContainerConfig and
 * kubelet_pods.go makeEnvironmentVariables): env with valueFrom and envFrom,
 * `$(VAR)` expansion of env, command and args, ports, resources as cgroup
 * settings (kuberuntime_container_linux.go), and the security context.
 * Problems the user must fix (a missing ConfigMap key, a privileged
 * container on a node that forbids it) are ContainerConfigErrors, which the
 * status shows as CreateContainerConfigError.
 */
import type { ContainerConfig, KeyValue, LinuxContainerResources, LinuxContainerSecurityContext, Mount } from '../cri/api.ts';
import { quantityMilliValue, quantityValue } from '../../client/api/quantity.ts';
import { expand, lookupIn } from './expansion.ts';
import type { ConfigMap, Container, EnvVar, Pod, Secret } from './pod-types.ts';
import { containerAnnotations, containerLabels } from './runtime-labels.ts';

/** Why a container's config could not be made; shown as waiting reason CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** Reads ConfigMaps and Secrets of the pod's namespace; undefined when absent. */
export interface ConfigSource {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** What the kubelet knows about where the pod runs. */
export interface PodRuntimeFacts {
  nodeName: string;
  hostIP: string;
  podIPs: string[];
  /** Node allocatable, for resourceFieldRef on unset limits. */
  nodeAllocatable?: { cpuMilli: number; memoryBytes: number };
  /** Node memory capacity in bytes, for the Burstable oom_score_adj. */
  memoryCapacityBytes?: number;
}

export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  init: boolean;
  restartCount: number;
  /** Image reference the runtime resolves (the pulled image's ID). */
  imageRef: string;
  facts: PodRuntimeFacts;
  configs: ConfigSource;
  /** Mounts of the container's volumes (volumes.ts). */
  mounts: Mount[];
  allowPrivileged: boolean;
  /** --pod-max-pids: applied to each container (a pier CRI extension). */
  podPidsLimit?: number;
}

const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function decodeSecretValue(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

/** metadata.labels['key'] / metadata.annotations['key']. */
function subscript(path: string, field: string): string | undefined {
  const m = new RegExp(`^${field.replace('.', '\\.')}\\['(.*)'\\]$`).exec(path);
  return m?.[1];
}

/** The value of a downward-API fieldRef (fieldpath.ExtractFieldPathAsString plus the kubelet's podIP/hostIP). */
export function fieldRefValue(pod: Pod, fieldPath: string, facts: PodRuntimeFacts): string {
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    case 'status.podIP':
      return facts.podIPs[0] ?? '';
    case 'status.podIPs':
      return facts.podIPs.join(',');
  }
  const label = subscript(fieldPath, 'metadata.labels');
  if (label !== undefined) return pod.metadata.labels?.[label] ?? '';
  const annotation = subscript(fieldPath, 'metadata.annotations');
  if (annotation !== undefined) return pod.metadata.annotations?.[annotation] ?? '';
  throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
}

function resourceFieldRefValue(container: Container, resource: string, divisor: string | undefined, facts: PodRuntimeFacts): string {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const div = divisor ?? '1';
  switch (resource) {
    case 'limits.cpu': {
      const milli = limits.cpu !== undefined ? quantityMilliValue(limits.cpu) : (facts.nodeAllocatable?.cpuMilli ?? 0);
      return String(Math.ceil(milli / quantityMilliValue(div)));
    }
    case 'requests.cpu': {
      const milli = requests.cpu !== undefined ? quantityMilliValue(requests.cpu) : 0;
      return String(Math.ceil(milli / quantityMilliValue(div)));
    }
    case 'limits.memory': {
      const bytes = limits.memory !== undefined ? quantityValue(limits.memory) : (facts.nodeAllocatable?.memoryBytes ?? 0);
      return String(Math.ceil(bytes / quantityValue(div)));
    }
    case 'requests.memory': {
      const bytes = requests.memory !== undefined ? quantityValue(requests.memory) : 0;
      return String(Math.ceil(bytes / quantityValue(div)));
    }
  }
  throw new ContainerConfigError(`unsupported container resource: ${resource}`);
}

/**
 * The container's environment, in order: envFrom sources, then env (each
 * value expanded against what came before it). Later names win.
 */
export async function makeEnvironmentVariables(
  pod: Pod,
  container: Container,
  facts: PodRuntimeFacts,
  configs: ConfigSource,
): Promise<KeyValue[]> {
  const namespace = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>();
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const configMap = async (name: string) => {
    if (!configMaps.has(name)) configMaps.set(name, await configs.getConfigMap(namespace, name));
    return configMaps.get(name);
  };
  const secret = async (name: string) => {
    if (!secrets.has(name)) secrets.set(name, await configs.getSecret(namespace, name));
    return secrets.get(name);
  };

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = await configMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        // Invalid names are skipped (the kubelet records an InvalidEnvironmentVariableNames event).
        if (envVarName.test(prefix + k)) env.set(prefix + k, v);
      }
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const s = await secret(name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      for (const [k, v] of Object.entries(s.data ?? {})) {
        if (envVarName.test(prefix + k)) env.set(prefix + k, decodeSecretValue(v));
      }
    }
  }

  for (const e of container.env ?? []) {
    const value = await envValue(e, pod, container, facts, configMap, secret, env);
    if (value !== undefined) env.set(e.name, value);
  }
  return [...env].map(([key, value]) => ({ key, value }));
}

async function envValue(
  e: EnvVar,
  pod: Pod,
  container: Container,
  facts: PodRuntimeFacts,
  configMap: (name: string) => Promise<ConfigMap | undefined>,
  secret: (name: string) => Promise<Secret | undefined>,
  env: ReadonlyMap<string, string>,
): Promise<string | undefined> {
  const namespace = pod.metadata.namespace ?? 'default';
  if (e.value !== undefined && e.value !== null && e.value !== '') return expand(e.value, lookupIn(env));
  const from = e.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return fieldRefValue(pod, from.fieldRef.fieldPath, facts);
  if (from.resourceFieldRef) return resourceFieldRefValue(container, from.resourceFieldRef.resource, from.resourceFieldRef.divisor, facts);
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = await configMap(name);
    if (!cm) {
      if (optional) return undefined;
      throw new ContainerConfigError(`configmap "${name}" not found`);
    }
    const v = cm.data?.[key] ?? (cm.binaryData?.[key] !== undefined ? decodeSecretValue(cm.binaryData[key]) : undefined);
    if (v === undefined) {
      if (optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
    }
    return v;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const s = await secret(name);
    if (!s) {
      if (optional) return undefined;
      throw new ContainerConfigError(`secret "${name}" not found`);
    }
    const v = s.data?.[key];
    if (v === undefined) {
      if (optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
    }
    return decodeSecretValue(v);
  }
  return '';
}

const minShares = 2;
const sharesPerCpu = 1024;
const quotaPeriod = 100_000;
const minQuotaPeriod = 1000;

/** MilliCPUToShares: requests → cpu.shares (2 for none). */
export function milliCpuToShares(milli: number): number {
  if (milli === 0) return minShares;
  return Math.max(minShares, Math.floor((milli * sharesPerCpu) / 1000));
}

/** MilliCPUToQuota: limits → CFS quota over a 100 ms period. */
export function milliCpuToQuota(milli: number, period = quotaPeriod): number {
  if (milli === 0) return 0;
  return Math.max(minQuotaPeriod, Math.floor((milli * period) / 1000));
}

/** The pod's QoS class (v1qos.GetPodQOS), over containers and init containers. */
export function podQosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  let anySet = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const q = req[r];
      const l = lim[r];
      if ((q !== undefined && quantityMilliValue(q) > 0) || (l !== undefined && quantityMilliValue(l) > 0)) anySet = true;
      if (l === undefined || quantityMilliValue(l) === 0) guaranteed = false;
      else if (q !== undefined && quantityMilliValue(q) !== quantityMilliValue(l)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** GetContainerOOMScoreAdjust (pkg/kubelet/qos/policy.go). */
export function oomScoreAdj(pod: Pod, container: Container, memoryCapacityBytes: number): number {
  const qos = podQosClass(pod);
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const request = container.resources?.requests?.memory;
  const bytes = request !== undefined ? quantityValue(request) : 0;
  const adj = 1000 - Math.floor((1000 * bytes) / Math.max(1, memoryCapacityBytes));
  if (adj < 2) return 2;
  if (adj >= 1000) return 999;
  return adj;
}

export function containerResources(pod: Pod, container: Container, facts: PodRuntimeFacts, podPidsLimit?: number): LinuxContainerResources {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const cpuRequest = requests.cpu !== undefined ? quantityMilliValue(requests.cpu) : 0;
  const cpuLimit = limits.cpu !== undefined ? quantityMilliValue(limits.cpu) : 0;
  const out: LinuxContainerResources = {
    cpuShares: milliCpuToShares(cpuRequest === 0 && cpuLimit !== 0 ? cpuLimit : cpuRequest),
  };
  if (cpuLimit > 0) {
    out.cpuPeriod = quotaPeriod;
    out.cpuQuota = milliCpuToQuota(cpuLimit);
  }
  if (limits.memory !== undefined) {
    const bytes = quantityValue(limits.memory);
    if (bytes > 0) out.memoryLimitInBytes = bytes;
  }
  if (facts.memoryCapacityBytes) out.oomScoreAdj = oomScoreAdj(pod, container, facts.memoryCapacityBytes);
  if (podPidsLimit !== undefined && podPidsLimit > 0) out.pidsLimit = podPidsLimit;
  return out;
}

/** The CRI security context; throws for a privileged container when the node forbids it. */
export function containerSecurityContext(pod: Pod, container: Container, allowPrivileged: boolean): LinuxContainerSecurityContext {
  const sc = container.securityContext ?? {};
  const psc = pod.spec.securityContext ?? {};
  if (sc.privileged && !allowPrivileged) {
    throw new ContainerConfigError(
      `container ${container.name} requests privileged mode, but privileged containers are not allowed on this node (start the agent with --allow-privileged)`,
    );
  }
  const out: LinuxContainerSecurityContext = {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  if (runAsUser !== undefined) out.runAsUser = { value: runAsUser };
  if (runAsGroup !== undefined) out.runAsGroup = { value: runAsGroup };
  const groups = [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])];
  if (groups.length > 0) out.supplementalGroups = groups;
  if (sc.readOnlyRootFilesystem) out.readonlyRootfs = true;
  if (sc.privileged) out.privileged = true;
  if (sc.capabilities?.add?.length || sc.capabilities?.drop?.length) {
    out.capabilities = {
      ...(sc.capabilities.add?.length ? { addCapabilities: sc.capabilities.add } : {}),
      ...(sc.capabilities.drop?.length ? { dropCapabilities: sc.capabilities.drop } : {}),
    };
  }
  // AddNoNewPrivileges: only an explicit allowPrivilegeEscalation: false sets it (and never when privileged).
  if (sc.allowPrivilegeEscalation === false && !sc.privileged) out.noNewPrivs = true;
  return out;
}

/** runAsNonRoot with a numeric user 0 is refused (verifyRunAsNonRoot). */
function verifyRunAsNonRoot(pod: Pod, container: Container, security: LinuxContainerSecurityContext): void {
  const nonRoot = container.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
  if (!nonRoot) return;
  if (security.runAsUser?.value === 0) {
    throw new ContainerConfigError(`container's runAsUser breaks non-root policy (pod: "${pod.metadata.name ?? ''}", container: ${container.name})`);
  }
}

/** The container's log file under the pod's log directory: `<container>/<restartCount>.log`. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}

export async function generateContainerConfig(input: ContainerConfigInput): Promise<ContainerConfig> {
  const { pod, container, restartCount, facts } = input;
  const security = containerSecurityContext(pod, container, input.allowPrivileged);
  verifyRunAsNonRoot(pod, container, security);
  const envs = await makeEnvironmentVariables(pod, container, facts, input.configs);
  const lookup = lookupIn(new Map(envs.map((e) => [e.key, e.value])));
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt: restartCount },
    image: { image: input.imageRef },
    envs,
    mounts: input.mounts,
    labels: containerLabels(pod, container),
    annotations: containerAnnotations(pod, container, restartCount, input.init),
    logPath: containerLogPath(container.name, restartCount),
    linux: { resources: containerResources(pod, container, facts, input.podPidsLimit), securityContext: security },
  };
  if (container.command?.length) config.command = container.command.map((c) => expand(c, lookup));
  if (container.args?.length) config.args = container.args.map((a) => expand(a, lookup));
  if (container.workingDir) config.workingDir = container.workingDir;
  if (container.stdin) config.stdin = true;
  if (container.stdinOnce) config.stdinOnce = true;
  if (container.tty) config.tty = true;
  return config;
}
