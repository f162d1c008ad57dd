/**
 * The desired contents of the proxy's nftables table, computed from the
 * service ports alone: the layout of kube-proxy's nftables mode
 * (pkg/proxy/nftables/proxier.go). Traffic to a ClusterIP, external IP or
 * NodePort is looked up in one verdict map and jumps to a per-service-port
 * chain, which picks an endpoint chain with `numgen random mod N`; the
 * endpoint chain DNATs. Ports without endpoints are rejected in filter
 * chains that run before DNAT. Masquerading is a mark set on the way in and
 * acted on in postrouting, so the decision is made where the facts are.
 */
import { createHash } from 'node:crypto';
import { servicePortKey, type ServicePortInfo } from './service-port.ts';

export interface NftChain {
  /** `{ type … hook … priority … ; }` for base chains. */
  hook?: string;
  rules: string[];
}

export interface NftSet {
  kind: 'set' | 'map';
  /** The declaration body, e.g. `type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ;`. */
  spec: string;
  /** Keys (and `: verdict` for maps), keyed by the element key. Dynamic sets have none: the packet path fills them. */
  elements: Map<string, string | undefined>;
  /** Filled by rules (`update @set`): never flushed or diffed, so affinity survives resyncs. */
  dynamic?: boolean;
}

export interface NftRuleset {
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
}

export interface NftablesRulesetOptions {
  /** The node's addresses NodePorts answer on. */
  nodeIps: readonly string[];
  /** Traffic from outside this CIDR to a ClusterIP is masqueraded (kube's detect-local ClusterCIDR/NodeCIDR). */
  localCidr?: string;
  /** The fwmark bit asking for masquerade (kube-proxy's default 0x4000). */
  masqueradeMark?: number;
}

// Chain and set names of the fixed skeleton, as kube-proxy names them.
const servicesChain = 'services';
const markForMasqueradeChain = 'mark-for-masquerade';
const masqueradingChain = 'masquerading';
const rejectChain = 'reject-chain';
const serviceEndpointsCheckChain = 'service-endpoints-check';
const nodePortEndpointsCheckChain = 'nodeport-endpoints-check';
const clusterIpsCheckChain = 'cluster-ips-check';
const serviceIpsMap = 'service-ips';
const serviceNodePortsMap = 'service-nodeports';
const noEndpointServicesMap = 'no-endpoint-services';
const noEndpointNodePortsMap = 'no-endpoint-nodeports';
const clusterIpsSet = 'cluster-ips';
const nodePortIpsSet = 'nodeport-ips';

/**
 * A short stable hash in front of each per-service name keeps names unique
 * even when two ServicePortNames differ only past nft's identifier rules,
 * as kube-proxy's hashAndTruncate.
 */
function hashed(prefix: string, base: string): string {
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8).toUpperCase();
  return `${prefix}-${hash}-${base}`;
}

export function serviceChainName(sp: ServicePortInfo): string {
  return hashed('service', servicePortKey(sp));
}

export function buildNftablesRuleset(servicePorts: readonly ServicePortInfo[], options: NftablesRulesetOptions): NftRuleset {
  const mark = `0x${(options.masqueradeMark ?? 0x4000).toString(16)}`;
  const chains = new Map<string, NftChain>();
  const sets = new Map<string, NftSet>();
  const chain = (name: string, rules: string[], hook?: string) => chains.set(name, hook ? { hook, rules } : { rules });
  const set = (name: string, kind: 'set' | 'map', spec: string) => {
    const s: NftSet = { kind, spec, elements: new Map() };
    sets.set(name, s);
    return s.elements;
  };

  // Base chains. Filter chains sit at dstnat-10 so rejects see the original
  // destination; the output post-DNAT check sits after NAT (kube's priorities).
  chain('filter-input', [`ct state new jump ${nodePortEndpointsCheckChain}`, `ct state new jump ${serviceEndpointsCheckChain}`], '{ type filter hook input priority -110 ; policy accept ; }');
  chain('filter-forward', [`ct state new jump ${serviceEndpointsCheckChain}`, `ct state new jump ${clusterIpsCheckChain}`], '{ type filter hook forward priority -110 ; policy accept ; }');
  chain('filter-output', [`ct state new jump ${serviceEndpointsCheckChain}`], '{ type filter hook output priority -110 ; policy accept ; }');
  chain('filter-output-post-dnat', [`ct state new jump ${clusterIpsCheckChain}`], '{ type filter hook output priority -90 ; policy accept ; }');
  chain('nat-prerouting', [`jump ${servicesChain}`], '{ type nat hook prerouting priority -100 ; policy accept ; }');
  chain('nat-output', [`jump ${servicesChain}`], '{ type nat hook output priority -100 ; policy accept ; }');
  chain('nat-postrouting', [`jump ${masqueradingChain}`], '{ type nat hook postrouting priority 100 ; policy accept ; }');

  chain(markForMasqueradeChain, [`mark set mark or ${mark}`]);
  // The mark is cleared before masquerading so a packet re-entering the
  // stack (e.g. via a tunnel) is not masqueraded twice.
  chain(masqueradingChain, [`mark and ${mark} == 0 return`, `mark set mark xor ${mark}`, 'masquerade fully-random']);
  // TCP gets a reset, everything else ICMP port-unreachable: both fail the
  // client's connect at once instead of after a timeout.
  chain(rejectChain, ['meta l4proto tcp reject with tcp reset', 'reject']);
  chain(servicesChain, [
    `ip daddr . meta l4proto . th dport vmap @${serviceIpsMap}`,
    `ip daddr @${nodePortIpsSet} meta l4proto . th dport vmap @${serviceNodePortsMap}`,
  ]);
  chain(serviceEndpointsCheckChain, [`ip daddr . meta l4proto . th dport vmap @${noEndpointServicesMap}`]);
  chain(nodePortEndpointsCheckChain, [`ip daddr @${nodePortIpsSet} meta l4proto . th dport vmap @${noEndpointNodePortsMap}`]);
  // A ClusterIP on a port no Service has: nothing would answer, so say so.
  chain(clusterIpsCheckChain, [`ip daddr @${clusterIpsSet} reject`]);

  const serviceIps = set(serviceIpsMap, 'map', 'type ipv4_addr . inet_proto . inet_service : verdict ;');
  const serviceNodePorts = set(serviceNodePortsMap, 'map', 'type inet_proto . inet_service : verdict ;');
  const noEndpointServices = set(noEndpointServicesMap, 'map', 'type ipv4_addr . inet_proto . inet_service : verdict ;');
  const noEndpointNodePorts = set(noEndpointNodePortsMap, 'map', 'type inet_proto . inet_service : verdict ;');
  const clusterIps = set(clusterIpsSet, 'set', 'type ipv4_addr ;');
  const nodePortIps = set(nodePortIpsSet, 'set', 'type ipv4_addr ;');
  for (const ip of options.nodeIps) if (!ip.includes(':')) nodePortIps.set(ip, undefined);

  for (const sp of servicePorts) {
    const base = servicePortKey(sp);
    const proto = sp.protocol;
    clusterIps.set(sp.clusterIP, undefined);
    const clusterKey = `${sp.clusterIP} . ${proto} . ${sp.port}`;
    const externalKeys = sp.externalIPs.map((ip) => `${ip} . ${proto} . ${sp.port}`);
    const nodePortKey = sp.nodePort > 0 ? `${proto} . ${sp.nodePort}` : undefined;

    if (sp.endpoints.length === 0) {
      noEndpointServices.set(clusterKey, `goto ${rejectChain}`);
      for (const key of externalKeys) noEndpointServices.set(key, `goto ${rejectChain}`);
      if (nodePortKey) noEndpointNodePorts.set(nodePortKey, `goto ${rejectChain}`);
      continue;
    }

    const serviceChain = hashed('service', base);
    const endpointChains = sp.endpoints.map((ep) => hashed('endpoint', `${base}__${ep.ip}/${ep.port}`));
    const serviceRules: string[] = [];
    if (sp.affinityTimeoutSeconds !== undefined) {
      // One dynamic set per endpoint remembering its clients; the timeout is
      // part of the name so a changed timeout gets a fresh set.
      sp.endpoints.forEach((ep, i) => {
        const affinitySet = hashed('affinity', `${base}__${ep.ip}/${ep.port}__${sp.affinityTimeoutSeconds}`);
        sets.set(affinitySet, {
          kind: 'set',
          spec: `type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinityTimeoutSeconds}s ;`,
          elements: new Map(),
          dynamic: true,
        });
        serviceRules.push(`ip saddr @${affinitySet} goto ${endpointChains[i]}`);
      });
    }
    if (options.localCidr) {
      serviceRules.unshift(`ip daddr ${sp.clusterIP} ${proto} dport ${sp.port} ip saddr != ${options.localCidr} jump ${markForMasqueradeChain}`);
    }
    serviceRules.push(`numgen random mod ${sp.endpoints.length} vmap { ${endpointChains.map((c, i) => `${i} : goto ${c}`).join(', ')} }`);
    chain(serviceChain, serviceRules);

    sp.endpoints.forEach((ep, i) => {
      const rules = [
        // Hairpin: a pod reaching itself through its Service must not see its own address as the source.
        `ip saddr ${ep.ip} jump ${markForMasqueradeChain}`,
      ];
      if (sp.affinityTimeoutSeconds !== undefined) {
        rules.push(`update @${hashed('affinity', `${base}__${ep.ip}/${ep.port}__${sp.affinityTimeoutSeconds}`)} { ip saddr }`);
      }
      rules.push(`meta l4proto ${proto} dnat to ${ep.ip}:${ep.port}`);
      chain(endpointChains[i]!, rules);
    });

    serviceIps.set(clusterKey, `goto ${serviceChain}`);
    if (externalKeys.length > 0 || nodePortKey) {
      // externalTrafficPolicy Cluster: the endpoint may be anywhere, so the
      // reply must come back through this node.
      const externalChain = hashed('external', base);
      chain(externalChain, [`jump ${markForMasqueradeChain}`, `goto ${serviceChain}`]);
      for (const key of externalKeys) serviceIps.set(key, `goto ${externalChain}`);
      if (nodePortKey) serviceNodePorts.set(nodePortKey, `goto ${externalChain}`);
    }
  }
  return { chains, sets };
}

/** The number of rules across all chains (anonymous vmaps count as one rule). */
export function countRules(ruleset: NftRuleset): number {
  let n = 0;
  for (const c of ruleset.chains.values()) n += c.rules.length;
  return n;
}
