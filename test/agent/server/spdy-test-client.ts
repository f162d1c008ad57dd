/**
 * A minimal SPDY/3.1 client for tests: upgrades an HTTPS connection with
 * `Upgrade: SPDY/3.1` (kubectl's fallback) and opens streams the way
 * client-go's port-forward does.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { FrameType, SpdyFrameParser, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, flagFin, uint32, type SpdyFrame } from '../../../agent/server/spdy/frames.ts';
import { HeaderCompressor, HeaderDecompressor } from '../../../agent/server/spdy/header-compression.ts';

export interface ReceivedFrame {
  frame: SpdyFrame;
  headers?: Map<string, string[]>;
}

export class SpdyTestClient {
  readonly socket: TLSSocket;
  readonly frames: ReceivedFrame[] = [];
  readonly responseHead: string;
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private chain: Promise<void> = Promise.resolve();
  closed = false;

  private constructor(socket: TLSSocket, responseHead: string, rest: Buffer) {
    this.socket = socket;
    this.responseHead = responseHead;
    const parser = new SpdyFrameParser();
    const onData = (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        this.chain = this.chain.then(async () => {
          const entry: ReceivedFrame = { frame };
          if (frame.kind === 'control' && (frame.type === FrameType.SynReply || frame.type === FrameType.SynStream)) {
            entry.headers = decodeHeaderBlock(await this.decompressor.decompress(frame.payload.subarray(frame.type === FrameType.SynReply ? 4 : 10)));
          }
          this.frames.push(entry);
        });
      }
    };
    socket.on('data', onData);
    socket.on('close', () => (this.closed = true));
    if (rest.length > 0) onData(rest);
  }

  /** Sends the upgrade; resolves with the client on 101 and rejects with the response head otherwise. */
  static async connect(port: number, path: string, headers: Record<string, string>): Promise<SpdyTestClient> {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const lines = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: SPDY/3.1', 'Content-Length: 0'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    let buffered = Buffer.alloc(0);
    const head = await new Promise<{ head: string; rest: Buffer }>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end >= 0) {
          socket.off('data', onData);
          resolve({ head: buffered.subarray(0, end).toString(), rest: buffered.subarray(end + 4) });
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`connection closed: ${buffered.toString()}`)));
    });
    if (!head.head.startsWith('HTTP/1.1 101')) {
      socket.destroy();
      throw new Error(`${head.head}\r\n\r\n${head.rest.toString()}`);
    }
    return new SpdyTestClient(socket, head.head, head.rest);
  }

  async synStream(id: number, headers: [string, string][], fin = false): Promise<void> {
    const block = await this.compressor.compress(encodeHeaderBlock(headers));
    this.socket.write(controlFrame(FrameType.SynStream, fin ? flagFin : 0, Buffer.concat([uint32(id, 0), Buffer.from([0, 0]), block])));
  }

  data(id: number, data: Buffer | string, fin = false): void {
    this.socket.write(dataFrame(id, fin ? flagFin : 0, Buffer.from(data)));
  }

  ping(id: number): void {
    this.socket.write(controlFrame(FrameType.Ping, 0, uint32(id)));
  }

  /** DATA received on a stream, and whether it was FINished. */
  received(id: number): { data: string; fin: boolean } {
    let data = '';
    let fin = false;
    for (const { frame } of this.frames) {
      if (frame.kind === 'data' && frame.streamId === id) {
        data += frame.data.toString();
        if (frame.flags & flagFin) fin = true;
      }
    }
    return { data, fin };
  }

  async waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.map((f) => f.frame.kind === 'data' ? { data: f.frame.streamId, flags: f.frame.flags, text: f.frame.data.toString() } : { type: f.frame.type }))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.destroy();
    this.compressor.close();
    this.decompressor.close();
  }
}
