/**
 * PodNetwork over the reference CNI plugins, the way containerd's CRI plugin
 * wires a sandbox: a `loopback` network for `lo`, then one network list
 * (bridge + host-local IPAM, then portmap for hostPorts) for eth0. Also owns
 * the node's bridge, its IPAM state and the host-gateway routes to other
 * nodes' pod CIDRs (issues 4 and 6).
 */
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { PodNetwork, PodNetworkSandbox, PodNetworkStatus } from '../cri/pod-network.ts';
import { CniConfig } from './cni-config.ts';
import { pluginVersion } from './cni-plugin.ts';
import type { CniResult, NetworkConfigList, RuntimeConf } from './cni-types.ts';
import { negotiateCniVersion } from './cni-version.ts';
import { teardownIpMasq } from './ip-masquerade.ts';
import { ipv4AddressInCidr, normalizeIpv4Cidr } from './ipv4-cidr.ts';
import {
  createNetworkNamespace,
  defaultNetnsDir,
  networkNamespaceExists,
  removeNetworkNamespace,
  runInNetworkNamespace,
} from './network-namespace.ts';
import { PodCidrRoutes, type PodCidrRoute, type PodCidrRouteSyncResult } from './pod-cidr-routes.ts';
import { CommandError, runCommand } from '../host/run-command.ts';

export const defaultBridgeName = 'pier0';
export const defaultPluginDirs: readonly string[] = ['/usr/lib/cni', '/opt/cni/bin'];
export const defaultNetworkName = 'pier';
/** The pod's interface, as every CRI runtime names it. */
export const podInterfaceName = 'eth0';
/** containerd's (go-cni's) name for the loopback network. */
const loopbackNetworkName = 'cni-loopback';

export interface CniPodNetworkOptions {
  /** This node's pod CIDR (spec.podCIDR), e.g. 10.88.0.0/24. */
  podCidr: string;
  /** Linux bridge the pods' veths join; default pier0. At most 15 characters. */
  bridgeName?: string;
  /** Where plugin binaries are looked up, in order; default /usr/lib/cni, /opt/cni/bin. */
  pluginDirs?: readonly string[];
  /** Under the agent root: host-local IPAM state (ipam/) and cached ADD results (results/). */
  dataDir: string;
  /** Where createNetns puts namespaces; default /run/netns. */
  netnsDir?: string;
  /** Pod interface and bridge MTU; default is the bridge plugin's (1500). */
  mtu?: number;
  /** CNI network name; it also names iptables chains and IPAM state. Default pier. */
  networkName?: string;
  /** Routing protocol number marking syncPodCidrRoutes' routes. */
  routeProtocol?: number;
  /** Keep the pod CIDR routes in this namespace instead of the agent's (tests use a scratch one). */
  routeNetnsPath?: string;
  /** Per-plugin-call time limit in milliseconds. */
  pluginTimeoutMs?: number;
}

export interface CniPodNetworkCleanupResult {
  /** True when the bridge and IPAM state were removed. */
  cleaned: boolean;
  /** Sandbox IDs still holding an address; cleanup leaves everything while any remain. */
  remainingSandboxes: string[];
}

export class CniPodNetwork implements PodNetwork {
  readonly podCidr: string;
  readonly bridgeName: string;
  readonly networkName: string;
  /** The bridge's address: the pods' default gateway. */
  readonly gateway: string;
  readonly #pluginDirs: readonly string[];
  readonly #ipamDir: string;
  readonly #netnsDir: string;
  readonly #mtu: number | undefined;
  readonly #cni: CniConfig;
  readonly #routes: PodCidrRoutes;
  #version: Promise<string> | undefined;

  constructor(options: CniPodNetworkOptions) {
    this.podCidr = normalizeIpv4Cidr(options.podCidr);
    this.gateway = ipv4AddressInCidr(this.podCidr, 1);
    this.bridgeName = options.bridgeName ?? defaultBridgeName;
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.bridgeName)) {
      throw new Error(`bridge name ${JSON.stringify(this.bridgeName)} must be 1-15 characters of [A-Za-z0-9_.-] (IFNAMSIZ)`);
    }
    this.networkName = options.networkName ?? defaultNetworkName;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(this.networkName)) {
      throw new Error(`network name ${JSON.stringify(this.networkName)} is not a valid CNI network name`);
    }
    this.#pluginDirs = options.pluginDirs ?? defaultPluginDirs;
    this.#ipamDir = join(options.dataDir, 'ipam');
    this.#netnsDir = options.netnsDir ?? defaultNetnsDir;
    this.#mtu = options.mtu;
    this.#cni = new CniConfig({
      pluginDirs: this.#pluginDirs,
      cacheDir: join(options.dataDir, 'results'),
      ...(options.pluginTimeoutMs !== undefined ? { timeoutMs: options.pluginTimeoutMs } : {}),
    });
    this.#routes = new PodCidrRoutes({
      ...(options.routeProtocol !== undefined ? { protocol: options.routeProtocol } : {}),
      ...(options.routeNetnsPath !== undefined ? { netnsPath: options.routeNetnsPath } : {}),
    });
  }

  async createNetns(sandboxId: string): Promise<string> {
    return createNetworkNamespace(`pier-${sandboxId}`, this.#netnsDir);
  }

  async removeNetns(netnsPath: string): Promise<void> {
    await removeNetworkNamespace(netnsPath);
  }

  async setUp(sandbox: PodNetworkSandbox): Promise<PodNetworkStatus> {
    for (const p of sandbox.portMappings) {
      // portmap accepts a malformed hostIP on ADD and then cannot undo its rules.
      if (p.hostIp && isIP(p.hostIp) === 0) throw new Error(`port mapping ${p.hostPort}: hostIP ${JSON.stringify(p.hostIp)} is not an IP address`);
      if (!Number.isInteger(p.hostPort) || p.hostPort < 0 || p.hostPort > 65535) throw new Error(`invalid hostPort ${p.hostPort}`);
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) throw new Error(`invalid containerPort ${p.containerPort}`);
    }
    const [loopback, pod] = await Promise.all([this.loopbackConfigList(), this.networkConfigList()]);
    try {
      await this.#cni.addNetworkList(loopback, this.#runtimeConf(sandbox, 'lo'));
      const result = await this.#cni.addNetworkList(pod, this.#runtimeConf(sandbox, podInterfaceName));
      return statusFromResult(result);
    } catch (err) {
      // SPEC.md: after a failed ADD the runtime should DEL the whole list, so a
      // half-made attachment never keeps its address or port rules.
      await this.tearDown(sandbox).catch(() => {});
      throw err;
    }
  }

  async tearDown(sandbox: PodNetworkSandbox): Promise<void> {
    const [loopback, pod] = await Promise.all([this.loopbackConfigList(), this.networkConfigList()]);
    const rt = this.#runtimeConf(sandbox, podInterfaceName);
    if (await networkNamespaceExists(sandbox.netnsPath)) {
      await this.#cni.delNetworkList(pod, rt);
      await this.#cni.delNetworkList(loopback, this.#runtimeConf(sandbox, 'lo'));
      return;
    }
    // Without the namespace the bridge plugin still frees the address and
    // portmap its rules, but the masquerade chain needs the pod IPs, which
    // only the cached ADD result still knows. Loopback has nothing to undo.
    const cached = await this.#cni.getCachedResult(pod.name, rt);
    await this.#cni.delNetworkList(pod, rt);
    if (cached) {
      const ips = (cached.ips ?? []).map((ip) => ip.address.split('/')[0] ?? ip.address);
      await teardownIpMasq(pod.name, sandbox.id, ips);
    }
    await rm(join(this.#cni.cacheDir, `${loopbackNetworkName}-${sandbox.id}-lo.json`), { force: true });
  }

  async status(sandbox: PodNetworkSandbox): Promise<PodNetworkStatus | undefined> {
    if (!(await networkNamespaceExists(sandbox.netnsPath))) return undefined;
    let text: string;
    try {
      text = await runInNetworkNamespace(sandbox.netnsPath, 'ip', ['-j', 'addr', 'show', 'dev', podInterfaceName]);
    } catch (err) {
      if (err instanceof CommandError && /does not exist|cannot find device/i.test(err.stderr)) return undefined;
      throw err;
    }
    const links = JSON.parse(text.trim() || '[]') as Array<{
      addr_info?: Array<{ family?: string; local?: string; scope?: string }>;
    }>;
    const global = links.flatMap((l) => l.addr_info ?? []).filter((a) => a.scope === 'global' && a.local);
    const ips = [
      ...global.filter((a) => a.family === 'inet').map((a) => a.local as string),
      ...global.filter((a) => a.family === 'inet6').map((a) => a.local as string),
    ];
    const ip = ips[0];
    return ip === undefined ? undefined : { ip, ips };
  }

  /** CNI CHECK of the sandbox's eth0 attachment; throws CniError when it drifted. */
  async check(sandbox: PodNetworkSandbox): Promise<void> {
    await this.#cni.checkNetworkList(await this.networkConfigList(), this.#runtimeConf(sandbox, podInterfaceName));
  }

  /**
   * Keeps exactly `routes` as this agent's host-gateway routes to other nodes'
   * pod CIDRs. A route for this node's own pod CIDR is ignored: the bridge
   * already routes it.
   */
  async syncPodCidrRoutes(routes: readonly PodCidrRoute[]): Promise<PodCidrRouteSyncResult> {
    return this.#routes.sync(routes.filter((r) => normalizeIpv4Cidr(r.podCidr) !== this.podCidr));
  }

  /** The list run for eth0: bridge (with host-local IPAM), then portmap. */
  async networkConfigList(): Promise<NetworkConfigList> {
    return {
      cniVersion: await this.#cniVersion(),
      name: this.networkName,
      plugins: [
        {
          type: 'bridge',
          bridge: this.bridgeName,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ...(this.#mtu !== undefined ? { mtu: this.#mtu } : {}),
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: this.podCidr, gateway: this.gateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: this.#ipamDir,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    };
  }

  /** The separate list that brings up `lo`, as containerd's loopback network. */
  async loopbackConfigList(): Promise<NetworkConfigList> {
    return { cniVersion: await this.#cniVersion(), name: loopbackNetworkName, plugins: [{ type: 'loopback' }] };
  }

  /**
   * For tests and `pier` shutdown: when no sandbox holds an address, deletes
   * the bridge, the IPAM state and the cached results. With sandboxes left it
   * changes nothing and names them. Pod CIDR routes are left to their owner,
   * syncPodCidrRoutes([]), since other nodes' pods stay reachable that way
   * across an agent restart.
   */
  async cleanup(): Promise<CniPodNetworkCleanupResult> {
    const remainingSandboxes = [
      ...new Set([...(await this.#ipamHolders()), ...(await this.#cni.cachedContainerIds(this.networkName))]),
    ].sort();
    if (remainingSandboxes.length > 0) return { cleaned: false, remainingSandboxes };

    await this.#deleteBridge();
    await rm(join(this.#ipamDir, this.networkName), { recursive: true, force: true });
    await rmdir(this.#ipamDir).catch(() => {});
    // Loopback results can outlive an eth0 attachment only after a crash; they hold nothing.
    for (const id of await this.#cni.cachedContainerIds(loopbackNetworkName)) {
      await rm(join(this.#cni.cacheDir, `${loopbackNetworkName}-${id}-lo.json`), { force: true });
    }
    await rmdir(this.#cni.cacheDir).catch(() => {});
    return { cleaned: true, remainingSandboxes: [] };
  }

  #runtimeConf(sandbox: PodNetworkSandbox, ifName: string): RuntimeConf {
    return {
      containerId: sandbox.id,
      netns: sandbox.netnsPath,
      ifName,
      // As containerd: IgnoreUnknown lets plugins skip the K8S_ keys they do not know.
      args: [
        ['IgnoreUnknown', '1'],
        ['K8S_POD_NAMESPACE', sandbox.podNamespace],
        ['K8S_POD_NAME', sandbox.podName],
        ['K8S_POD_INFRA_CONTAINER_ID', sandbox.id],
        ['K8S_POD_UID', sandbox.podUid],
      ],
      capabilityArgs: {
        // As containerd's toCNIPortMappings: hostPort 0 means no mapping.
        portMappings: sandbox.portMappings
          .filter((p) => p.hostPort > 0)
          .map((p) => ({
            hostPort: p.hostPort,
            containerPort: p.containerPort,
            protocol: p.protocol.toLowerCase(),
            ...(p.hostIp ? { hostIP: p.hostIp } : {}),
          })),
      },
    };
  }

  /** Asks the plugins once which spec version they share (CNI_COMMAND=VERSION). */
  #cniVersion(): Promise<string> {
    this.#version ??= (async () => {
      const types = ['loopback', 'bridge', 'host-local', 'portmap'];
      const infos = await Promise.all(types.map(async (type) => ({ type, info: await pluginVersion(type, this.#pluginDirs) })));
      return negotiateCniVersion(infos);
    })().catch((err: unknown) => {
      this.#version = undefined;
      throw err;
    });
    return this.#version;
  }

  /** Sandbox IDs in host-local's reservation files (each named by IP: "<id>\r\n<ifname>"). */
  async #ipamHolders(): Promise<string[]> {
    const dir = join(this.#ipamDir, this.networkName);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const ids: string[] = [];
    for (const name of names) {
      if (!/^[0-9a-f.:]+$/i.test(name)) continue; // lock, last_reserved_ip.N
      const text = await readFile(join(dir, name), 'utf8').catch(() => '');
      const id = text.split(/\r?\n/)[0]?.trim();
      if (id) ids.push(id);
    }
    return ids;
  }

  async #deleteBridge(): Promise<void> {
    let text: string;
    try {
      text = await runCommand('ip', ['-j', '-d', 'link', 'show', 'dev', this.bridgeName]);
    } catch (err) {
      if (err instanceof CommandError && /does not exist|cannot find device/i.test(err.stderr)) return;
      throw err;
    }
    const [link] = JSON.parse(text) as Array<{ linkinfo?: { info_kind?: string } }>;
    // Never delete a same-named device that is not a bridge: it is not ours.
    if (link?.linkinfo?.info_kind !== 'bridge') throw new Error(`${this.bridgeName} exists but is not a bridge; left alone`);
    await runCommand('ip', ['link', 'delete', 'dev', this.bridgeName, 'type', 'bridge']);
  }
}

/** The pod's addresses from the final Result: those on interfaces inside the sandbox, IPv4 first. */
export function statusFromResult(result: CniResult): PodNetworkStatus {
  const interfaces = result.interfaces ?? [];
  const addresses = (result.ips ?? [])
    .filter((ip) => ip.interface === undefined || interfaces[ip.interface]?.sandbox !== undefined)
    .map((ip) => ip.address.split('/')[0] ?? ip.address);
  const ips = [...addresses.filter((a) => !a.includes(':')), ...addresses.filter((a) => a.includes(':'))];
  const ip = ips[0];
  if (ip === undefined) throw new Error(`CNI result has no address for the pod: ${JSON.stringify(result)}`);
  return { ip, ips };
}
