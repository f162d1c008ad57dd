/**
 * A DNS client and a fake upstream server for the cluster DNS tests, built
 * on the same wire codec, so the tests speak real UDP and TCP.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { classIN, decodeMessage, encodeMessage, RecordType, ResponseCode, type DnsMessage, type DnsRecord } from '../../../agent/dns/dns-message.ts';

export function query(name: string, type: number, options: { edns?: number } = {}): Buffer {
  return encodeMessage({
    id: randomInt(0, 0x10000),
    flags: { qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0 },
    questions: [{ name, type, class: classIN }],
    answers: [],
    authorities: [],
    additionals: options.edns ? [{ name: '', type: RecordType.OPT, class: options.edns, ttl: 0, data: { kind: 'raw', bytes: Buffer.alloc(0) } }] : [],
  });
}

export function udpExchange(server: { address: string; port: number }, msg: Buffer, timeoutMs = 5000): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP answer'));
    }, timeoutMs);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      try {
        resolve(decodeMessage(reply));
      } catch (err) {
        reject(err);
      }
    });
    socket.send(msg, server.port, server.address);
  });
}

export function tcpExchange(server: { address: string; port: number }, msg: Buffer, timeoutMs = 5000): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.address, port: server.port });
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no TCP answer'));
    }, timeoutMs);
    socket.on('error', reject);
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      socket.write(Buffer.concat([len, msg]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(decodeMessage(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
      }
    });
  });
}

export interface FakeUpstream {
  address: string;
  port: number;
  /** Names asked, lower-cased. */
  asked: string[];
  close(): Promise<void>;
}

/**
 * An upstream resolver answering from `records` (name → A address), never
 * answering names in `silent`, and NXDOMAIN for the rest; UDP and TCP.
 */
export async function startFakeUpstream(address: string, records: Record<string, string>, silent: readonly string[]): Promise<FakeUpstream> {
  const asked: string[] = [];
  const answer = (msg: Buffer): Buffer | undefined => {
    const q = decodeMessage(msg);
    const name = q.questions[0]?.name.toLowerCase() ?? '';
    asked.push(name);
    if (silent.includes(name)) return undefined;
    const ip = records[name];
    const answers: DnsRecord[] = ip && q.questions[0]?.type === RecordType.A ? [{ name: q.questions[0].name, type: RecordType.A, class: classIN, ttl: 30, data: { kind: 'A', address: ip } }] : [];
    return encodeMessage({ ...q, flags: { ...q.flags, qr: true, ra: true, rcode: ip ? ResponseCode.NOERROR : ResponseCode.NXDOMAIN }, answers, additionals: [] });
  };
  const udp: Socket = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const reply = answer(msg);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(0, address, resolve));
  const port = (udp.address() as { port: number }).port;
  const sockets = new Set<TcpSocket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => {
      const reply = answer(chunk.subarray(2, 2 + chunk.readUInt16BE(0)));
      if (!reply) return;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      socket.end(Buffer.concat([len, reply]));
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, address, resolve);
  });
  return {
    address,
    port,
    asked,
    close: async () => {
      udp.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
