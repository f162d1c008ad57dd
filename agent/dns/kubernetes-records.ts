/**
 * The cluster zone's records, per the Kubernetes DNS-Based Service
 * Discovery specification (kubernetes/dns docs/specification.md, 1.1.0) as
 * CoreDNS's kubernetes plugin serves it:
 *
 * - `<svc>.<ns>.svc.<zone>` A: the ClusterIP, or for a headless Service the
 *   ready endpoints' addresses; an ExternalName Service is a CNAME.
 * - `<hostname>.<svc>.<ns>.svc.<zone>` A: a headless Service's endpoint, by
 *   its `hostname` (set from a pod's spec.hostname when its spec.subdomain
 *   names the Service) or its dashed address.
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV, for named ports.
 * - `<a-b-c-d>.<ns>.pod.<zone>` A (CoreDNS `pods insecure`).
 * - `dns-version.<zone>` TXT, and SOA/NS at the apex.
 * - PTR for ClusterIPs and headless endpoint addresses.
 *
 * A name in the zone that does not exist is NXDOMAIN; a name that exists
 * without records of the asked type is NODATA. Both carry the zone's SOA so
 * resolvers can cache the negative answer (RFC 2308).
 */
import type { Lister } from '../../client/cache/lister.ts';
import { endpointsForPort, type ServiceEndpoint } from '../proxy/service-endpoints.ts';
import { isHeadless, sliceServiceIndex, type EndpointSlice, type Service } from '../proxy/service-types.ts';
import { classIN, RecordType, ResponseCode, type DnsQuestion, type DnsRecord } from './dns-message.ts';

/** The DNS schema version this server implements. */
export const dnsSchemaVersion = '1.1.0';

export interface ZoneAnswer {
  rcode: number;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export interface KubernetesRecordsOptions {
  services: Lister<Service>;
  slices: Lister<EndpointSlice>;
  /** e.g. `cluster.local`, no trailing dot. */
  zone: string;
  ttlSeconds: number;
  /** SOA serial. */
  serial: number;
}

interface EndpointAddress {
  ip: string;
  hostname: string;
  ports: Array<{ name: string; protocol: string; port: number }>;
}

export class KubernetesRecords {
  readonly #o: KubernetesRecordsOptions;
  readonly zone: string;

  constructor(options: KubernetesRecordsOptions) {
    this.#o = options;
    this.zone = options.zone.toLowerCase().replace(/\.$/, '');
  }

  /** Whether this server answers for `name` rather than forwarding it. */
  authoritativeFor(name: string): boolean {
    const n = name.toLowerCase();
    return n === this.zone || n.endsWith(`.${this.zone}`);
  }

  /** The answer for a name in the zone, or for a PTR we know; undefined means "forward it". */
  answer(q: DnsQuestion): ZoneAnswer | undefined {
    const name = q.name.toLowerCase();
    if (q.type === RecordType.PTR && name.endsWith('.in-addr.arpa')) return this.#ptr(q);
    if (!this.authoritativeFor(name)) return undefined;
    const labels = name === this.zone ? [] : name.slice(0, -this.zone.length - 1).split('.');
    const records = this.#lookup(labels, q);
    if (records === undefined) return this.#negative(ResponseCode.NXDOMAIN);
    const answers = records.answers.filter((r) => q.type === RecordType.ANY || r.type === q.type || r.type === RecordType.CNAME);
    if (answers.length === 0) return this.#negative(ResponseCode.NOERROR);
    const wanted = new Set(answers.map((r) => r.type));
    return { rcode: ResponseCode.NOERROR, answers, authorities: [], additionals: wanted.has(RecordType.SRV) ? records.additionals : [] };
  }

  /** The records a name owns (any type), or undefined when it does not exist. */
  #lookup(labels: string[], q: DnsQuestion): { answers: DnsRecord[]; additionals: DnsRecord[] } | undefined {
    const none = { answers: [], additionals: [] };
    const [first] = labels;
    const last = labels[labels.length - 1];
    if (labels.length === 0) return { answers: [this.#soa(q.name), this.#record(q.name, RecordType.NS, { kind: 'name', target: `ns.dns.${this.zone}` })], additionals: [] };
    if (labels.length === 1 && first === 'dns-version') return { answers: [this.#record(q.name, RecordType.TXT, { kind: 'TXT', texts: [dnsSchemaVersion] })], additionals: [] };
    if (last === 'pod') {
      if (labels.length === 1) return none;
      if (labels.length === 2) return none; // `<ns>.pod.<zone>` is an empty non-terminal
      if (labels.length === 3 && /^\d{1,3}(-\d{1,3}){3}$/.test(first!) && first!.split('-').every((o) => Number(o) <= 255)) {
        return { answers: [this.#a(q.name, first!.replaceAll('-', '.'))], additionals: [] };
      }
      return undefined;
    }
    if (last !== 'svc') return undefined;
    if (labels.length === 1) return none;
    const namespace = labels[labels.length - 2]!;
    if (labels.length === 2) return this.#o.services.list(namespace).length > 0 ? none : undefined;
    const svcName = labels[labels.length - 3]!;
    const svc = this.#o.services.get(namespace, svcName);
    if (!svc?.spec) return undefined;
    const serviceFqdn = `${svcName}.${namespace}.svc.${this.zone}`;
    if (labels.length === 3) {
      if (svc.spec.type === 'ExternalName') {
        return svc.spec.externalName ? { answers: [this.#record(q.name, RecordType.CNAME, { kind: 'name', target: svc.spec.externalName.replace(/\.$/, '') })], additionals: [] } : undefined;
      }
      const srv = this.#srv(q.name, svc, serviceFqdn, undefined, undefined);
      if (isHeadless(svc.spec)) return { answers: [...this.#endpoints(svc).map((e) => this.#a(q.name, e.ip)), ...srv.answers], additionals: srv.additionals };
      if (!svc.spec.clusterIP) return { answers: srv.answers, additionals: srv.additionals };
      return { answers: [this.#a(q.name, svc.spec.clusterIP), ...srv.answers], additionals: srv.additionals };
    }
    const prefix = labels.slice(0, -3);
    if (prefix.length === 2 && prefix[0]!.startsWith('_') && prefix[1]!.startsWith('_')) {
      const srv = this.#srv(q.name, svc, serviceFqdn, prefix[0]!.slice(1), prefix[1]!.slice(1));
      return srv.answers.length > 0 ? srv : undefined;
    }
    if (prefix.length === 1) {
      if (prefix[0]!.startsWith('_')) return ['_tcp', '_udp', '_sctp'].includes(prefix[0]!) ? none : undefined;
      if (!isHeadless(svc.spec)) return undefined;
      const endpoint = this.#endpoints(svc).find((e) => e.hostname === prefix[0]);
      return endpoint ? { answers: [this.#a(q.name, endpoint.ip)], additionals: [] } : undefined;
    }
    return undefined;
  }

  /** SRV records for the Service's named ports matching `portName`/`protocol` (all when undefined). */
  #srv(owner: string, svc: Service, serviceFqdn: string, portName: string | undefined, protocol: string | undefined): { answers: DnsRecord[]; additionals: DnsRecord[] } {
    const answers: DnsRecord[] = [];
    const additionals: DnsRecord[] = [];
    const ports = (svc.spec?.ports ?? []).filter((p) => p.name && (portName === undefined || p.name.toLowerCase() === portName) && (protocol === undefined || (p.protocol ?? 'TCP').toLowerCase() === protocol));
    if (ports.length === 0) return { answers, additionals };
    if (!isHeadless(svc.spec)) {
      for (const p of ports) answers.push(this.#record(owner, RecordType.SRV, { kind: 'SRV', srv: { priority: 0, weight: 100, port: p.port, target: serviceFqdn } }));
      if (svc.spec?.clusterIP) additionals.push(this.#a(serviceFqdn, svc.spec.clusterIP));
      return { answers, additionals };
    }
    const endpoints = this.#endpoints(svc);
    for (const p of ports) {
      const matching = endpoints.flatMap((e) => e.ports.filter((ep) => ep.name === p.name && ep.protocol === (p.protocol ?? 'TCP')).map((ep) => ({ e, port: ep.port })));
      const weight = matching.length > 0 ? Math.max(1, Math.floor(100 / matching.length)) : 0;
      for (const { e, port } of matching) {
        const target = `${e.hostname}.${serviceFqdn}`;
        answers.push(this.#record(owner, RecordType.SRV, { kind: 'SRV', srv: { priority: 0, weight, port, target } }));
        if (!additionals.some((r) => r.name === target)) additionals.push(this.#a(target, e.ip));
      }
    }
    return { answers, additionals };
  }

  /** A headless Service's endpoints that DNS publishes: ready ones, or all with publishNotReadyAddresses. */
  #endpoints(svc: Service): EndpointAddress[] {
    const slices = this.#o.slices.byIndex(sliceServiceIndex, `${svc.metadata.namespace}/${svc.metadata.name}`);
    const byIp = new Map<string, EndpointAddress>();
    const portSpecs = new Map<string, { name: string; protocol: string }>();
    for (const s of slices) for (const p of s.ports ?? []) portSpecs.set(`${p.name ?? ''}/${p.protocol ?? 'TCP'}`, { name: p.name ?? '', protocol: p.protocol ?? 'TCP' });
    const add = (e: ServiceEndpoint, port?: { name: string; protocol: string }) => {
      if (!e.ready && !svc.spec?.publishNotReadyAddresses) return;
      let entry = byIp.get(e.ip);
      if (!entry) {
        entry = { ip: e.ip, hostname: e.hostname ?? e.ip.replaceAll('.', '-'), ports: [] };
        byIp.set(e.ip, entry);
      }
      if (port && !entry.ports.some((p) => p.name === port.name && p.protocol === port.protocol && p.port === e.port)) entry.ports.push({ ...port, port: e.port });
    };
    for (const port of portSpecs.values()) for (const e of endpointsForPort(slices, port.name, port.protocol)) add(e, port);
    // Endpoints of a Service without ports still have addresses.
    if (portSpecs.size === 0) {
      for (const s of slices) {
        if (s.addressType !== 'IPv4') continue;
        for (const e of s.endpoints ?? []) {
          const ip = e.addresses?.[0];
          if (!ip) continue;
          const ready = e.conditions?.ready ?? true;
          add({ ip, port: 0, ready, serving: ready, terminating: false, ...(e.hostname ? { hostname: e.hostname } : {}) });
        }
      }
    }
    return [...byIp.values()];
  }

  #ptr(q: DnsQuestion): ZoneAnswer | undefined {
    const octets = q.name.toLowerCase().slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4) return undefined;
    const ip = octets.reverse().join('.');
    for (const svc of this.#o.services.list()) {
      const fqdn = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.zone}`;
      if (svc.spec?.clusterIP === ip) return this.#single(q, fqdn);
      if (isHeadless(svc.spec)) {
        const e = this.#endpoints(svc).find((x) => x.ip === ip);
        if (e) return this.#single(q, `${e.hostname}.${fqdn}`);
      }
    }
    return undefined;
  }

  #single(q: DnsQuestion, target: string): ZoneAnswer {
    return { rcode: ResponseCode.NOERROR, answers: [this.#record(q.name, RecordType.PTR, { kind: 'name', target })], authorities: [], additionals: [] };
  }

  #negative(rcode: number): ZoneAnswer {
    return { rcode, answers: [], authorities: [this.#soa(this.zone)], additionals: [] };
  }

  #soa(owner: string): DnsRecord {
    // CoreDNS's values: refresh 2h, retry 30m, expire 1d, negative TTL = the record TTL.
    return this.#record(owner, RecordType.SOA, {
      kind: 'SOA',
      soa: { mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: this.#o.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: this.#o.ttlSeconds },
    });
  }

  #a(owner: string, ip: string): DnsRecord {
    return this.#record(owner, RecordType.A, { kind: 'A', address: ip });
  }

  #record(name: string, type: number, data: DnsRecord['data']): DnsRecord {
    return { name, type, class: classIN, ttl: this.#o.ttlSeconds, data };
  }
}
