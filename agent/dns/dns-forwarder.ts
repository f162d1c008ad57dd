/**
 * Forwards queries cluster DNS does not own to upstream servers (CoreDNS's
 * `forward . /etc/resolv.conf`): the client's query bytes go out unchanged
 * except for a fresh random ID, each upstream is tried in turn with its own
 * deadline, over the transport the client used.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';

export interface Upstream {
  address: string;
  port: number;
}

/** `1.2.3.4`, `1.2.3.4:5353`, `[fd00::1]:53` or `fd00::1`. */
export function parseUpstream(text: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { address: bracketed[1]!, port: Number(bracketed[2] ?? 53) };
  if (isIPv6(text)) return { address: text, port: 53 };
  const [address = '', port] = text.split(':');
  return { address, port: Number(port ?? 53) };
}

export class DnsForwarder {
  readonly upstreams: readonly Upstream[];
  readonly #timeoutMs: number;

  constructor(upstreams: readonly Upstream[], timeoutMs: number) {
    this.upstreams = upstreams;
    this.#timeoutMs = timeoutMs;
  }

  /** The upstream's answer with the client's ID restored, or undefined when none answered. */
  async forward(query: Buffer, overTcp: boolean): Promise<Buffer | undefined> {
    if (query.length < 12) return undefined;
    const clientId = query.readUInt16BE(0);
    const id = randomInt(0, 0x10000);
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    for (const upstream of this.upstreams) {
      // The client's transport, as CoreDNS's forward plugin: a UDP client
      // that gets TC retries over TCP itself.
      const answer = overTcp ? await this.#tcp(upstream, out, id) : await this.#udp(upstream, out, id);
      if (answer === undefined) continue;
      const reply = Buffer.from(answer);
      reply.writeUInt16BE(clientId, 0);
      return reply;
    }
    return undefined;
  }

  #udp(upstream: Upstream, query: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket(isIPv6(upstream.address) ? 'udp6' : 'udp4');
      const finish = (value: Buffer | undefined) => {
        clearTimeout(timer);
        socket.close();
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.#timeoutMs);
      socket.on('error', () => finish(undefined));
      socket.on('message', (msg, rinfo) => {
        // Only the server we asked, answering the question we sent (spoofing and stray replies are ignored).
        if (msg.length >= 12 && msg.readUInt16BE(0) === id && rinfo.port === upstream.port) finish(msg);
      });
      socket.send(query, upstream.port, upstream.address, (err) => err && finish(undefined));
    });
  }

  #tcp(upstream: Upstream, query: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.address, port: upstream.port });
      let buffered = Buffer.alloc(0);
      const finish = (value: Buffer | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.#timeoutMs);
      socket.on('error', () => finish(undefined));
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(query.length);
        socket.write(Buffer.concat([length, query]));
      });
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length < 2) return;
        const n = buffered.readUInt16BE(0);
        if (buffered.length < 2 + n) return;
        const msg = buffered.subarray(2, 2 + n);
        finish(msg.length >= 12 && msg.readUInt16BE(0) === id ? msg : undefined);
      });
      socket.on('end', () => finish(undefined));
    });
  }
}
