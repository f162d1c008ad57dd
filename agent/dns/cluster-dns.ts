/**
 * Cluster DNS for pods (CoreDNS with the kubernetes and forward plugins):
 * answers names under the cluster domain from Services and EndpointSlices,
 * and forwards everything else to the node's upstream resolvers. Listens on
 * UDP and TCP on the same address and port. It binds only after its caches
 * have synced, so it never answers NXDOMAIN for a Service it has not seen yet.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import { SharedInformerFactory } from '../../client/cache/informer-factory.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { endpointSlicesPath, servicesPath, sliceServiceIndex, sliceServiceKey, type EndpointSlice, type Service } from '../proxy/service-types.ts';
import { decodeMessage, DnsFormatError, encodeMessage, peekQuestion, RecordType, ResponseCode, type DnsMessage, type DnsRecord } from './dns-message.ts';
import { DnsForwarder, parseUpstream, type Upstream } from './dns-forwarder.ts';
import { KubernetesRecords } from './kubernetes-records.ts';
import { parseResolvConf } from './resolv-conf.ts';

export interface ClusterDnsOptions {
  client: RestClient;
  /** Port 0 picks a free port (see address()). */
  listen: { address: string; port: number };
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** `ip` or `ip:port`; default: the nameservers of `resolvConfPath`. */
  upstream?: readonly string[];
  /** Default `/etc/resolv.conf`. */
  resolvConfPath?: string;
  /** TTL of cluster records and of negative answers. Default 5 s, as CoreDNS. */
  ttlSeconds?: number;
  /** Per-upstream deadline for forwarded queries. Default 2 s. */
  forwardTimeoutMs?: number;
  /** Share informers with the rest of the agent. Its owner starts it (before or after run()). */
  informerFactory?: SharedInformerFactory;
  onError?: (err: unknown) => void;
}

/** The largest UDP answer we send to a client that did not advertise more (RFC 1035), and the most we honour. */
const classicUdpSize = 512;
const maxUdpSize = 1232;
const tcpIdleMs = 10_000;

export class ClusterDns {
  readonly #o: ClusterDnsOptions;
  #address: { address: string; port: number } | undefined;
  #listeningWaiters: Array<() => void> = [];
  #records: KubernetesRecords | undefined;
  #forwarder: DnsForwarder | undefined;

  constructor(options: ClusterDnsOptions) {
    this.#o = options;
  }

  /** Where the server listens; undefined until run() has bound its sockets. */
  address(): { address: string; port: number } | undefined {
    return this.#address;
  }

  /** Resolves once the sockets are bound (after the caches synced). */
  whenListening(): Promise<{ address: string; port: number }> {
    if (this.#address) return Promise.resolve(this.#address);
    return new Promise((resolve) => this.#listeningWaiters.push(() => resolve(this.#address!)));
  }

  /** The upstream servers forwarded to. */
  upstreams(): readonly Upstream[] {
    return this.#forwarder?.upstreams ?? this.#resolveUpstreams();
  }

  async run(signal: AbortSignal): Promise<void> {
    const ownFactory = !this.#o.informerFactory;
    const factory = this.#o.informerFactory ?? new SharedInformerFactory(this.#o.client, this.#o.onError ? { onError: this.#o.onError } : {});
    const services = factory.informerFor<Service>(servicesPath);
    const slices = factory.informerFor<EndpointSlice>(endpointSlicesPath, { [sliceServiceIndex]: sliceServiceKey });
    this.#records = new KubernetesRecords({
      services: services.lister,
      slices: slices.lister,
      zone: this.#o.clusterDomain ?? 'cluster.local',
      ttlSeconds: this.#o.ttlSeconds ?? 5,
      serial: Math.floor(Date.now() / 1000),
    });
    this.#forwarder = new DnsForwarder(this.#resolveUpstreams(), this.#o.forwardTimeoutMs ?? 2000);
    // A shared factory is started by its owner; informers asked for after that start at once.
    if (ownFactory) factory.start(signal);
    let udp: Socket | undefined;
    let tcp: Server | undefined;
    const connections = new Set<TcpSocket>();
    try {
      if (!(await factory.waitForCacheSync(signal))) return;
      ({ udp, tcp } = await this.#bind(connections));
      this.#address = { address: this.#o.listen.address, port: (udp.address() as { port: number }).port };
      for (const wake of this.#listeningWaiters.splice(0)) wake();
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      udp?.close();
      for (const c of connections) c.destroy();
      await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
      this.#address = undefined;
      if (ownFactory) await factory.shutdown();
    }
  }

  /** Answers one query message (either transport). Exposed for tests and for in-process callers. */
  async handle(query: Buffer, overTcp: boolean): Promise<Buffer | undefined> {
    let msg: DnsMessage;
    try {
      msg = decodeMessage(query);
    } catch (err) {
      if (!(err instanceof DnsFormatError)) throw err;
      return this.#errorReply(query, ResponseCode.FORMERR);
    }
    if (msg.flags.qr) return undefined;
    const opt = msg.additionals.find((r) => r.type === RecordType.OPT);
    const udpSize = overTcp ? 65535 : Math.min(maxUdpSize, Math.max(classicUdpSize, opt?.class ?? classicUdpSize));
    const q = msg.questions[0];
    if (msg.flags.opcode !== 0) return this.#reply(msg, ResponseCode.NOTIMP, [], [], [], opt, udpSize, false);
    if (msg.questions.length !== 1 || !q) return this.#reply(msg, ResponseCode.FORMERR, [], [], [], opt, udpSize, false);
    const local = this.#records!.answer(q);
    if (local) return this.#reply(msg, local.rcode, local.answers, local.authorities, local.additionals, opt, udpSize, true);
    const forwarded = await this.#forwarder!.forward(query, overTcp);
    if (forwarded) return forwarded;
    return this.#reply(msg, ResponseCode.SERVFAIL, [], [], [], opt, udpSize, false);
  }

  #reply(query: DnsMessage, rcode: number, answers: DnsRecord[], authorities: DnsRecord[], additionals: DnsRecord[], opt: DnsRecord | undefined, maxSize: number, authoritative: boolean): Buffer {
    const extra = opt ? [...additionals, { name: '', type: RecordType.OPT, class: maxUdpSize, ttl: 0, data: { kind: 'raw' as const, bytes: Buffer.alloc(0) } }] : additionals;
    return encodeMessage(
      {
        id: query.id,
        flags: { qr: true, opcode: query.flags.opcode, aa: authoritative, tc: false, rd: query.flags.rd, ra: true, ad: false, cd: query.flags.cd, rcode },
        questions: query.questions,
        answers,
        authorities,
        additionals: extra,
      },
      maxSize,
    );
  }

  /** An error answer for a query we could not decode, echoing what we could read of it. */
  #errorReply(query: Buffer, rcode: number): Buffer | undefined {
    const peek = peekQuestion(query);
    if (!peek || (peek.flags & 0x8000) !== 0) return undefined;
    return encodeMessage({
      id: peek.id,
      flags: { qr: true, opcode: (peek.flags >> 11) & 0xf, aa: false, tc: false, rd: (peek.flags & 0x0100) !== 0, ra: true, ad: false, cd: false, rcode },
      questions: peek.question ? [peek.question] : [],
      answers: [],
      authorities: [],
      additionals: [],
    });
  }

  #resolveUpstreams(): Upstream[] {
    const listed = this.#o.upstream ?? parseResolvConf(readFileSync(this.#o.resolvConfPath ?? '/etc/resolv.conf', 'utf8')).nameservers;
    // Never forward to ourselves: a resolv.conf naming this server would loop.
    return listed.map(parseUpstream).filter((u) => !(u.address === this.#o.listen.address && u.port === (this.#address?.port ?? this.#o.listen.port)));
  }

  async #bind(connections: Set<TcpSocket>): Promise<{ udp: Socket; tcp: Server }> {
    // With port 0 the UDP port is chosen first; TCP may find it taken, so try again.
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: isIPv6(this.#o.listen.address) ? 'udp6' : 'udp4' });
      udp.on('message', (msg, rinfo) => {
        this.handle(msg, false).then(
          (reply) => reply && udp.send(reply, rinfo.port, rinfo.address),
          (err) => this.#report(err),
        );
      });
      udp.on('error', (err) => this.#report(err));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.#o.listen.port, this.#o.listen.address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      const port = (udp.address() as { port: number }).port;
      const tcp = createServer((socket) => this.#serveTcp(socket, connections));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, this.#o.listen.address, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
        return { udp, tcp };
      } catch (err) {
        udp.close();
        if (this.#o.listen.port !== 0 || attempt >= 10) throw err;
      }
    }
  }

  #serveTcp(socket: TcpSocket, connections: Set<TcpSocket>): void {
    connections.add(socket);
    socket.setTimeout(tcpIdleMs, () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    // Answers go out in query order even when a forwarded one is slow (RFC 7766 allows either; order is simpler for clients).
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const n = buffered.readUInt16BE(0);
        if (buffered.length < 2 + n) break;
        const query = Buffer.from(buffered.subarray(2, 2 + n));
        buffered = buffered.subarray(2 + n);
        chain = chain.then(async () => {
          const reply = await this.handle(query, true).catch((err) => {
            this.#report(err);
            return undefined;
          });
          if (!reply || socket.destroyed) return;
          const length = Buffer.alloc(2);
          length.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([length, reply]));
        });
      }
    });
  }

  #report(err: unknown): void {
    if (this.#o.onError) this.#o.onError(err);
    else console.warn(`cluster dns: ${err instanceof Error ? err.message : String(err)}`);
  }
}
