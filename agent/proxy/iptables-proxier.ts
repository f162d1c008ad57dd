/**
 * The iptables backend, for nodes without `nft`: the layout of kube-proxy's
 * iptables mode (pkg/proxy/iptables/proxier.go) under a PIER- prefix. Our
 * chains are rewritten in one `iptables-restore --noflush` per table, which
 * is atomic per table and leaves every other chain alone; the only edits
 * outside our chains are single jump rules from the built-in chains.
 */
import { createHash } from 'node:crypto';
import { runCommand } from '../host/run-command.ts';
import { commandIn, type CommandTarget, type ProxyBackend } from './proxy-backend.ts';
import { servicePortKey, type ServicePortInfo } from './service-port.ts';

export interface IptablesProxierOptions extends CommandTarget {
  nodeIps: readonly string[];
  localCidr?: string;
  masqueradeMark?: number;
}

const prefix = 'PIER-';
const servicesChain = 'PIER-SERVICES';
const nodePortsChain = 'PIER-NODEPORTS';
const postroutingChain = 'PIER-POSTROUTING';
const markMasqChain = 'PIER-MARK-MASQ';
const externalServicesChain = 'PIER-EXTERNAL-SERVICES';
const jumpComment = 'pier service proxy';

/**
 * Jumps from built-in chains into ours: [table, chain, rule args]. They are
 * inserted in this order on the first sync, so POSTROUTING's masquerade is in
 * place before PREROUTING and OUTPUT start to DNAT: no connection is ever
 * translated to an endpoint without being masqueraded when it must be.
 */
const jumps: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['nat', 'POSTROUTING', ['-m', 'comment', '--comment', jumpComment, '-j', postroutingChain]],
  ['nat', 'PREROUTING', ['-m', 'comment', '--comment', jumpComment, '-j', servicesChain]],
  ['nat', 'OUTPUT', ['-m', 'comment', '--comment', jumpComment, '-j', servicesChain]],
  ['filter', 'INPUT', ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', jumpComment, '-j', externalServicesChain]],
  ['filter', 'FORWARD', ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', jumpComment, '-j', servicesChain]],
  ['filter', 'FORWARD', ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', jumpComment, '-j', externalServicesChain]],
  ['filter', 'OUTPUT', ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', jumpComment, '-j', servicesChain]],
];

/** iptables chain names are at most 28 characters: prefix plus 16 hash digits. */
function chainName(kind: 'SVC' | 'SEP' | 'EXT', base: string): string {
  return `${prefix}${kind}-${createHash('sha256').update(base).digest('hex').slice(0, 16).toUpperCase()}`;
}

interface IptablesRules {
  nat: { chains: string[]; rules: string[] };
  filter: { chains: string[]; rules: string[] };
}

export function buildIptablesRules(servicePorts: readonly ServicePortInfo[], options: IptablesProxierOptions): IptablesRules {
  const mark = `0x${(options.masqueradeMark ?? 0x4000).toString(16)}`;
  const nat = { chains: [servicesChain, nodePortsChain, postroutingChain, markMasqChain], rules: [] as string[] };
  const filter = { chains: [servicesChain, externalServicesChain], rules: [] as string[] };
  nat.rules.push(
    `-A ${postroutingChain} -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A ${postroutingChain} -j MARK --xor-mark ${mark}`,
    `-A ${postroutingChain} -j MASQUERADE --random-fully`,
    `-A ${markMasqChain} -j MARK --or-mark ${mark}`,
  );
  const nodeIps = options.nodeIps.filter((ip) => !ip.includes(':'));
  for (const sp of servicePorts) {
    const base = servicePortKey(sp);
    const p = `-p ${sp.protocol}`;
    const comment = `-m comment --comment "${base}"`;
    const dests = [sp.clusterIP, ...sp.externalIPs];
    if (sp.endpoints.length === 0) {
      const reject = sp.protocol === 'tcp' ? '-j REJECT --reject-with tcp-reset' : '-j REJECT';
      for (const ip of dests) filter.rules.push(`-A ${servicesChain} ${comment} -d ${ip}/32 ${p} --dport ${sp.port} ${reject}`);
      if (sp.nodePort > 0) for (const ip of nodeIps) filter.rules.push(`-A ${externalServicesChain} ${comment} -d ${ip}/32 ${p} --dport ${sp.nodePort} ${reject}`);
      continue;
    }
    const svc = chainName('SVC', base);
    nat.chains.push(svc);
    nat.rules.push(`-A ${servicesChain} ${comment} -d ${sp.clusterIP}/32 ${p} --dport ${sp.port} -j ${svc}`);
    if (options.localCidr) nat.rules.push(`-A ${svc} ${comment} ! -s ${options.localCidr} -d ${sp.clusterIP}/32 ${p} --dport ${sp.port} -j ${markMasqChain}`);
    const seps = sp.endpoints.map((ep) => chainName('SEP', `${base}__${ep.ip}/${ep.port}`));
    if (sp.affinityTimeoutSeconds !== undefined) {
      seps.forEach((sep) => nat.rules.push(`-A ${svc} ${comment} -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${sp.affinityTimeoutSeconds} --reap -j ${sep}`));
    }
    seps.forEach((sep, i) => {
      const remaining = seps.length - i;
      const pick = remaining > 1 ? `-m statistic --mode random --probability ${(1 / remaining).toFixed(10)} ` : '';
      nat.rules.push(`-A ${svc} ${comment} ${pick}-j ${sep}`);
      const ep = sp.endpoints[i]!;
      nat.chains.push(sep);
      nat.rules.push(`-A ${sep} ${comment} -s ${ep.ip}/32 -j ${markMasqChain}`);
      const affinity = sp.affinityTimeoutSeconds !== undefined ? `-m recent --name ${sep} --mask 255.255.255.255 --rsource --set ` : '';
      nat.rules.push(`-A ${sep} ${comment} ${p} ${affinity}-j DNAT --to-destination ${ep.ip}:${ep.port}`);
    });
    if (sp.externalIPs.length > 0 || sp.nodePort > 0) {
      const ext = chainName('EXT', base);
      nat.chains.push(ext);
      nat.rules.push(`-A ${ext} ${comment} -j ${markMasqChain}`, `-A ${ext} ${comment} -j ${svc}`);
      for (const ip of sp.externalIPs) nat.rules.push(`-A ${servicesChain} ${comment} -d ${ip}/32 ${p} --dport ${sp.port} -j ${ext}`);
      if (sp.nodePort > 0) nat.rules.push(`-A ${nodePortsChain} ${comment} ${p} --dport ${sp.nodePort} -j ${ext}`);
    }
  }
  // NodePorts last, as kube-proxy: a ClusterIP match is cheaper and more specific.
  for (const ip of nodeIps) nat.rules.push(`-A ${servicesChain} -d ${ip}/32 -j ${nodePortsChain}`);
  return { nat, filter };
}

export class IptablesProxier implements ProxyBackend {
  readonly name = 'iptables';
  readonly #options: IptablesProxierOptions;
  #applied: string | undefined;
  #rules = 0;

  constructor(options: IptablesProxierOptions) {
    this.#options = options;
  }

  async sync(servicePorts: readonly ServicePortInfo[], full: boolean): Promise<boolean> {
    const desired = buildIptablesRules(servicePorts, this.#options);
    const text = JSON.stringify(desired);
    if (!full && this.#applied === text) return false;
    this.#applied = undefined;
    for (const table of ['nat', 'filter'] as const) {
      const { chains, rules } = desired[table];
      const stale = (await this.#ourChains(table)).filter((c) => !chains.includes(c));
      const lines = [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...stale.map((c) => `:${c} - [0:0]`), ...rules, ...stale.map((c) => `-X ${c}`), 'COMMIT', ''];
      await this.#run('iptables-restore', ['-w', '--noflush'], lines.join('\n'));
    }
    await this.#ensureJumps();
    this.#applied = text;
    this.#rules = desired.nat.rules.length + desired.filter.rules.length;
    return true;
  }

  rulesCount(): number {
    return this.#applied ? this.#rules : 0;
  }

  async cleanup(): Promise<void> {
    this.#applied = undefined;
    for (const [table, chain, args] of [...jumps].reverse()) {
      // Delete every copy: a crash between -C and -I cannot have made more than one, but be thorough.
      for (let i = 0; i < 10; i++) {
        const ok = await this.#run('iptables', ['-w', '-t', table, '-D', chain, ...args]).then(() => true, () => false);
        if (!ok) break;
      }
    }
    for (const table of ['nat', 'filter'] as const) {
      const chains = await this.#ourChains(table);
      if (chains.length === 0) continue;
      const lines = [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''];
      await this.#run('iptables-restore', ['-w', '--noflush'], lines.join('\n'));
    }
  }

  async #ensureJumps(): Promise<void> {
    for (const [table, chain, args] of jumps) {
      const present = await this.#run('iptables', ['-w', '-t', table, '-C', chain, ...args]).then(() => true, () => false);
      if (!present) await this.#run('iptables', ['-w', '-t', table, '-I', chain, '1', ...args]);
    }
  }

  async #ourChains(table: string): Promise<string[]> {
    const dump = await this.#run('iptables-save', ['-t', table]);
    return dump.split('\n').filter((l) => l.startsWith(`:${prefix}`)).map((l) => l.slice(1).split(' ')[0]!);
  }

  async #run(file: string, args: string[], input?: string): Promise<string> {
    const [f, argv] = commandIn(this.#options, file, args);
    return runCommand(f, argv, { ...(input !== undefined ? { input } : {}), timeoutMs: 120_000 });
  }
}
