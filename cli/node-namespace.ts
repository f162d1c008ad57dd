/**
 * Extra nodes on one Linux machine (`pier up --nodes N`): each node is a
 * network namespace of its own, joined to a host bridge by a veth, so what
 * passes between nodes really crosses a network (and can be cut, as a
 * cable can). Layout for prefix `pier` and subnet 172.31.0.0/24:
 *
 *   host:  bridge pier-nodes 172.31.0.1/24 ── pier-v2 ─┐ ── pier-v3 ─┐
 *   netns pier-node-2: eth0 172.31.0.2/24, default via 172.31.0.1
 *   netns pier-node-3: eth0 172.31.0.3/24, ...
 *
 * Only the bridge, the veths and the namespaces are created on the host;
 * the host's routes and packet filter are not touched. Inside each
 * namespace, IPv4 forwarding is switched on: a node routes for its pods.
 */
import { runCommand, CommandError } from '../agent/host/run-command.ts';
import { ipv4AddressInCidr, normalizeIpv4Cidr, parseIpv4Cidr } from '../agent/network/ipv4-cidr.ts';

export const defaultNodeSubnet = '172.31.0.0/24';
export const defaultNodePrefix = 'pier';

/** One node's namespace. */
export interface NodeNamespace {
  /** Namespace and Node name: `<prefix>-node-<index>`. */
  name: string;
  index: number;
  /** `/run/netns/<name>`. */
  netnsPath: string;
  /** The node's address on the host bridge (its InternalIP). */
  address: string;
  hostVeth: string;
}

export interface NodeNamespacesOptions {
  /** Names everything created: bridge `<prefix>-nodes`, netns `<prefix>-node-N`, veth `<prefix>-vN`. At most 9 characters. */
  prefix?: string;
  /** A /24 (or larger) for the bridge: .1 is the host, .N is node N. */
  subnet?: string;
}

export class NodeNamespaces {
  readonly prefix: string;
  readonly subnet: string;
  readonly bridgeName: string;
  /** The host's address on the bridge: where nodes reach the API server. */
  readonly hostAddress: string;
  readonly #prefixLength: number;

  constructor(options: NodeNamespacesOptions = {}) {
    this.prefix = options.prefix ?? defaultNodePrefix;
    if (!/^[a-z0-9]([a-z0-9-]{0,7}[a-z0-9])?$/.test(this.prefix)) {
      throw new Error(`node prefix ${JSON.stringify(this.prefix)} must be 1-9 lowercase letters, digits or '-' (it names interfaces)`);
    }
    this.subnet = normalizeIpv4Cidr(options.subnet ?? defaultNodeSubnet);
    this.#prefixLength = parseIpv4Cidr(this.subnet).prefix;
    if (this.#prefixLength > 28) throw new Error(`node subnet ${this.subnet} is too small: use a /24`);
    this.bridgeName = `${this.prefix}-nodes`;
    this.hostAddress = ipv4AddressInCidr(this.subnet, 1);
  }

  /** The namespace for node `index` (2 and up; node 1 is the host), not yet created. */
  node(index: number): NodeNamespace {
    if (!Number.isInteger(index) || index < 2 || index > 99) throw new Error(`node index ${index} must be 2..99`);
    const name = `${this.prefix}-node-${index}`;
    return { name, index, netnsPath: `/run/netns/${name}`, address: ipv4AddressInCidr(this.subnet, index), hostVeth: `${this.prefix}-v${index}` };
  }

  /**
   * Creates the host bridge (if absent) with the host address. Refuses a
   * subnet some other interface already routes, so the host's own networks
   * are never shadowed.
   */
  async ensureBridge(): Promise<void> {
    const routes = JSON.parse(await runCommand('ip', ['-j', '-4', 'route', 'show', 'table', 'main'])) as Array<{ dst: string; dev?: string }>;
    for (const r of routes) {
      if (r.dev === this.bridgeName || r.dst === 'default' || !r.dst.includes('/')) continue;
      if (overlaps(r.dst, this.subnet)) throw new Error(`node subnet ${this.subnet} overlaps ${r.dst} on ${r.dev ?? '?'}: pass another --node-subnet`);
    }
    if (!(await linkExists(this.bridgeName))) {
      await runCommand('ip', ['link', 'add', this.bridgeName, 'type', 'bridge']);
    }
    const addrs = JSON.parse(await runCommand('ip', ['-j', '-4', 'addr', 'show', 'dev', this.bridgeName])) as Array<{ addr_info?: Array<{ local?: string }> }>;
    if (!addrs.some((l) => l.addr_info?.some((a) => a.local === this.hostAddress))) {
      await runCommand('ip', ['addr', 'add', `${this.hostAddress}/${this.#prefixLength}`, 'dev', this.bridgeName]);
    }
    await runCommand('ip', ['link', 'set', this.bridgeName, 'up']);
  }

  /** Creates node `index`'s namespace and its link to the bridge (idempotent). */
  async add(index: number): Promise<NodeNamespace> {
    const node = this.node(index);
    if (!(await netnsExists(node.name))) await runCommand('ip', ['netns', 'add', node.name]);
    if (!(await linkExists(node.hostVeth))) {
      await runCommand('ip', ['link', 'add', node.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.name]);
    }
    await runCommand('ip', ['link', 'set', node.hostVeth, 'master', this.bridgeName, 'up']);
    const inNs = (args: string[]) => runCommand('ip', ['-n', node.name, ...args]);
    await inNs(['link', 'set', 'lo', 'up']);
    await inNs(['addr', 'replace', `${node.address}/${this.#prefixLength}`, 'dev', 'eth0']);
    await inNs(['link', 'set', 'eth0', 'up']);
    await inNs(['route', 'replace', 'default', 'via', this.hostAddress]);
    await runCommand('nsenter', [`--net=${node.netnsPath}`, '--', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    // Pods on one node talk over its pod bridge; ClusterIP replies between them need conntrack to see bridged frames.
    await runCommand('nsenter', [`--net=${node.netnsPath}`, '--', 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1']).catch(() => undefined);
    return node;
  }

  /** Cuts node `index` off the network (its host veth goes down), as pulling a cable. */
  async disconnect(index: number): Promise<void> {
    await runCommand('ip', ['link', 'set', this.node(index).hostVeth, 'down']);
  }

  async reconnect(index: number): Promise<void> {
    await runCommand('ip', ['link', 'set', this.node(index).hostVeth, 'up']);
  }

  /** Deletes node `index`'s namespace (its veth goes with it). Idempotent. */
  async remove(index: number): Promise<void> {
    const node = this.node(index);
    if (await netnsExists(node.name)) await runCommand('ip', ['netns', 'delete', node.name]).catch(() => undefined);
    if (await linkExists(node.hostVeth)) await runCommand('ip', ['link', 'delete', node.hostVeth]).catch(() => undefined);
  }

  /** Deletes every `<prefix>-node-*` namespace, their veths and the bridge. Idempotent. */
  async removeAll(): Promise<void> {
    const pattern = new RegExp(`^${this.prefix}-node-(\\d+)$`);
    for (const name of await netnsNames()) {
      const m = pattern.exec(name);
      if (m) await this.remove(Number(m[1]));
    }
    if (await linkExists(this.bridgeName)) await runCommand('ip', ['link', 'delete', this.bridgeName, 'type', 'bridge']).catch(() => undefined);
  }
}

function overlaps(a: string, b: string): boolean {
  const x = parseIpv4Cidr(a);
  const y = parseIpv4Cidr(b);
  const prefix = Math.min(x.prefix, y.prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((x.network & mask) >>> 0) === ((y.network & mask) >>> 0);
}

async function linkExists(name: string): Promise<boolean> {
  try {
    await runCommand('ip', ['link', 'show', 'dev', name]);
    return true;
  } catch (err) {
    if (err instanceof CommandError) return false;
    throw err;
  }
}

async function netnsNames(): Promise<string[]> {
  const text = await runCommand('ip', ['netns', 'list']);
  return text.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

async function netnsExists(name: string): Promise<boolean> {
  return (await netnsNames()).includes(name);
}
