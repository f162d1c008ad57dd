/**
 * resolv.conf, both ways: reading the node's (the upstream servers cluster
 * DNS forwards to, and the search domains a pod inherits) and writing a
 * pod's for dnsPolicy ClusterFirst, as the kubelet's dns.Configurer does.
 */

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [keyword, ...values] = line.split(/\s+/);
    // As glibc: the last search/domain line wins.
    if (keyword === 'nameserver' && values[0]) conf.nameservers.push(values[0]);
    else if (keyword === 'search' || keyword === 'domain') conf.searches = values;
    else if (keyword === 'options') conf.options.push(...values);
  }
  return conf;
}

export interface PodResolvConfOptions {
  /** The cluster DNS service address(es). */
  nameservers: readonly string[];
  namespace: string;
  clusterDomain?: string;
  /** The node's search domains, appended after the cluster's (kubelet does the same). */
  hostSearches?: readonly string[];
  /** Default `ndots:5`. */
  options?: readonly string[];
}

/** The kubelet's cap on search domains (apis/core/validation MaxDNSSearchPaths). */
const maxSearches = 32;

/** A pod's /etc/resolv.conf for dnsPolicy ClusterFirst. */
export function renderPodResolvConf(options: PodResolvConfOptions): string {
  const zone = (options.clusterDomain ?? 'cluster.local').replace(/\.$/, '');
  const searches = [`${options.namespace}.svc.${zone}`, `svc.${zone}`, zone, ...(options.hostSearches ?? [])];
  const unique = searches.filter((s, i) => s && searches.indexOf(s) === i).slice(0, maxSearches);
  const lines = [
    ...options.nameservers.map((ns) => `nameserver ${ns}`),
    `search ${unique.join(' ')}`,
    `options ${(options.options ?? ['ndots:5']).join(' ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
