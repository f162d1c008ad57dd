/**
 * A node in a box for the service proxy tests, built only from network
 * namespaces so the host's own links, routes and rules are never touched:
 *
 *   endpoint e1 (.11/25) ─┐
 *   endpoint e2 (.12/25) ─┤ bridge pxbr (.1/25) in "node" ── veth (.129/25) ── client (.130/25)
 *   endpoint e3 (.13/25) ─┘
 *
 * The endpoints sit in the pod CIDR (the lower /25 of a free 10.235.x.0/24);
 * the client is outside it and reaches them only through the node, which
 * routes and runs the proxy's rules. Deleting the namespaces removes every
 * link and nft table with them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { freeSubnet, netnsNames, sh, trySh, uniqueSuffix } from '../network/network-fixture.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Fails (never skips) with one line when something the tests need is missing. */
export async function requireProxyPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) assert.fail('service proxy tests need root (network namespaces, nftables): run them as root');
  for (const [tool, pkg] of [['ip', 'iproute2'], ['nsenter', 'util-linux'], ['nft', 'nftables'], ['iptables-restore', 'iptables']] as const) {
    if ((await trySh('sh', ['-c', `command -v ${tool}`])) === undefined) assert.fail(`${tool} is missing: apt-get install ${pkg}`);
  }
}

export interface ProxyTopology {
  prefix: string;
  /** `10.235.x.` */
  base: string;
  podCidr: string;
  nodeNetns: string;
  clientNetns: string;
  /** The node's address on the client side (NodePorts are tested on it). */
  nodeIp: string;
  /** The node's address on the bridge: what masqueraded traffic comes from. */
  nodeBridgeIp: string;
  endpoints: Array<{ name: string; netns: string; ip: string }>;
  /** Runs probe-client.ts in a namespace (default: the client's). */
  probe(proto: 'tcp' | 'udp', host: string, port: number, count: number, options?: { netns?: string; timeoutMs?: number }): Promise<Array<{ body?: string; error?: string; ms: number }>>;
  destroy(): Promise<void>;
}

export const tcpPort = 8080;
export const udpPort = 8053;

export async function createProxyTopology(endpointCount = 3): Promise<ProxyTopology> {
  const suffix = uniqueSuffix();
  const prefix = `pxt${suffix}`;
  const subnet = await freeSubnet(235);
  const base = subnet.replace(/0\/24$/, '');
  const names = { node: `${prefix}-node`, client: `${prefix}-client` };
  const endpoints = Array.from({ length: endpointCount }, (_, i) => ({ name: `e${i + 1}`, netns: `/run/netns/${prefix}-e${i + 1}`, ip: `${base}${11 + i}` }));
  const servers: ChildProcess[] = [];
  const created: string[] = [];
  const topology: ProxyTopology = {
    prefix,
    base,
    podCidr: `${base}0/25`,
    nodeNetns: `/run/netns/${names.node}`,
    clientNetns: `/run/netns/${names.client}`,
    nodeIp: `${base}129`,
    nodeBridgeIp: `${base}1`,
    endpoints,
    async probe(proto, host, port, count, options = {}) {
      const out = await sh('nsenter', [`--net=${options.netns ?? topology.clientNetns}`, '--', process.execPath, join(here, 'probe-client.ts'), proto, host, String(port), String(count), String(options.timeoutMs ?? 3000)], 120_000);
      return JSON.parse(out) as Array<{ body?: string; error?: string; ms: number }>;
    },
    async destroy() {
      for (const s of servers) s.kill('SIGKILL');
      for (const name of created) await trySh('ip', ['netns', 'delete', name]);
    },
  };
  try {
    const add = async (name: string) => {
      await sh('ip', ['netns', 'add', name]);
      created.push(name);
      await sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    };
    const inNode = (...args: string[]) => sh('ip', ['-n', names.node, ...args]);
    await add(names.node);
    await add(names.client);
    await sh('nsenter', [`--net=${topology.nodeNetns}`, '--', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    // The kernel limits ICMP errors per destination and, on this kernel, a
    // new destination starts with no budget: the first port-unreachable a
    // UDP reject sends to the client would be dropped. TCP resets are not limited.
    await sh('nsenter', [`--net=${topology.nodeNetns}`, '--', 'sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0']);
    await inNode('link', 'add', 'pxbr', 'type', 'bridge');
    await inNode('addr', 'add', `${topology.nodeBridgeIp}/25`, 'dev', 'pxbr');
    await inNode('link', 'set', 'pxbr', 'up');
    await inNode('link', 'add', 'to-client', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', names.client);
    await inNode('addr', 'add', `${topology.nodeIp}/25`, 'dev', 'to-client');
    await inNode('link', 'set', 'to-client', 'up');
    // A default route, as a real node has (to a gateway that never answers):
    // traffic for an address nobody serves reaches the forward hook, and
    // the proxy's rejects, instead of dying in routing.
    await inNode('route', 'add', 'default', 'via', `${base}131`);
    await sh('ip', ['-n', names.client, 'addr', 'add', `${base}130/25`, 'dev', 'eth0']);
    await sh('ip', ['-n', names.client, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', names.client, 'route', 'add', 'default', 'via', topology.nodeIp]);
    for (const ep of endpoints) {
      const ns = `${prefix}-${ep.name}`;
      await add(ns);
      await inNode('link', 'add', `to-${ep.name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await inNode('link', 'set', `to-${ep.name}`, 'master', 'pxbr', 'up');
      // As the CNI bridge plugin's hairpinMode: a pod reaching itself through a Service goes back out its own port.
      await inNode('link', 'set', `to-${ep.name}`, 'type', 'bridge_slave', 'hairpin', 'on');
      await sh('ip', ['-n', ns, 'addr', 'add', `${ep.ip}/25`, 'dev', 'eth0']);
      await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', topology.nodeBridgeIp]);
      const server = spawn('nsenter', [`--net=${ep.netns}`, '--', process.execPath, join(here, 'echo-server.ts'), ep.name, String(tcpPort), String(udpPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        const lines = createInterface({ input: server.stdout! });
        lines.on('line', (line) => line === 'listening' && resolve());
        server.on('exit', (code) => reject(new Error(`echo server ${ep.name} exited with ${code}`)));
      });
    }
  } catch (err) {
    await topology.destroy();
    throw err;
  }
  return topology;
}

/** Namespaces of this topology still present (for the leftover check). */
export async function leftoverNamespaces(prefix: string): Promise<string[]> {
  return (await netnsNames()).filter((n) => n.startsWith(prefix));
}
