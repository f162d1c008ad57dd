/**
 * CNI 1.0 wire types (containernetworking/cni SPEC.md sections 1, 2 and 5):
 * the network configuration a runtime writes to a plugin's stdin and the
 * Result a plugin prints on ADD.
 */

/** CNI_COMMAND values this runtime issues (GC and STATUS arrived in 1.1). */
export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

/** One plugin's configuration inside a list; `type` names its binary. */
export interface NetworkConfig {
  type: string;
  /** Capabilities the plugin accepts through `runtimeConfig` (CONVENTIONS.md). */
  capabilities?: Record<string, boolean>;
  [field: string]: unknown;
}

/** A network configuration list (a .conflist): plugins run in order on ADD. */
export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  /** When true the runtime must not call CHECK for this list. */
  disableCheck?: boolean;
  plugins: NetworkConfig[];
}

/** The per-attachment parameters a runtime passes in the environment. */
export interface RuntimeConf {
  /** CNI_CONTAINERID: the sandbox ID. */
  containerId: string;
  /** CNI_NETNS: path of the network namespace. */
  netns: string;
  /** CNI_IFNAME: the interface to create inside the namespace. */
  ifName: string;
  /** CNI_ARGS pairs, joined as `K=V;K=V`. */
  args: Array<[string, string]>;
  /** Values for `runtimeConfig`, handed only to plugins declaring the capability. */
  capabilityArgs: Record<string, unknown>;
}

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  /** The netns path when the interface lives in the sandbox; absent on the host. */
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR notation, e.g. 10.88.0.5/24. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
  /** Only in results older than 1.0.0. */
  version?: '4' | '6';
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A plugin's ADD Result (SPEC.md section 5). */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
  [field: string]: unknown;
}

/** What a plugin prints for CNI_COMMAND=VERSION. */
export interface CniVersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}
