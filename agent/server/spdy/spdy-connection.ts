/**
 * The server side of a SPDY/3.1 connection over any byte stream (a raw
 * upgraded socket, or the byte stream inside kubectl's WebSocket tunnel), as
 * far as Kubernetes' streaming protocols need it: the client opens every
 * stream; each SYN_STREAM is answered with a SYN_REPLY (kubectl waits for
 * it); PINGs are echoed; DATA flows both ways with FIN half-closes. Like
 * spdystream, flow-control windows are not enforced.
 */
import { Duplex } from 'node:stream';
import { FrameType, RstStatus, SpdyFrameParser, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, flagFin, uint32 } from './frames.ts';
import { HeaderCompressor, HeaderDecompressor } from './header-compression.ts';

/** The largest DATA payload sent in one frame. */
const maxDataPayload = 32 * 1024;

/** One client-opened stream: a Duplex whose writes become DATA frames and whose end() sends FIN. */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: ReadonlyMap<string, string[]>;
  private readonly connection: SpdyConnection;
  /** The client sent FIN (or RST): nothing more will be pushed. */
  remoteClosed = false;

  constructor(connection: SpdyConnection, id: number, headers: ReadonlyMap<string, string[]>) {
    super({ allowHalfOpen: true });
    this.connection = connection;
    this.id = id;
    this.headers = headers;
  }

  header(name: string): string | undefined {
    return this.headers.get(name)?.[0];
  }

  override _read(): void {
    // Data is pushed as frames arrive; spdystream does not flow-control either.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const frames: Buffer[] = [];
    for (let offset = 0; offset < chunk.length; offset += maxDataPayload) {
      frames.push(dataFrame(this.id, 0, chunk.subarray(offset, offset + maxDataPayload)));
    }
    this.connection.send(frames).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.connection.send([dataFrame(this.id, flagFin, Buffer.alloc(0))]).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.connection.forget(this);
    callback(error);
  }

  /** Called by the connection for incoming DATA. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length > 0) this.push(data);
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
    }
  }

  /** Aborts the stream with RST_STREAM CANCEL. */
  reset(): void {
    void this.connection.send([controlFrame(FrameType.RstStream, 0, uint32(this.id, RstStatus.Cancel))]).catch(() => undefined);
    this.destroy();
  }
}

export interface SpdyConnectionEvents {
  /** A new client stream, already answered with SYN_REPLY. */
  onStream(stream: SpdyStream): void;
  /** The transport ended or failed; every stream is destroyed. */
  onClose?(err: Error | undefined): void;
}

export class SpdyConnection {
  private readonly transport: Duplex;
  private readonly parser = new SpdyFrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly events: SpdyConnectionEvents;
  /** Frames leave in order: a SYN_REPLY must precede its stream's DATA, and compression is asynchronous. */
  private writeChain: Promise<void> = Promise.resolve();
  /** Incoming frames are handled in order too, since header decompression is asynchronous. */
  private readChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(transport: Duplex, events: SpdyConnectionEvents) {
    this.transport = transport;
    this.events = events;
    transport.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = this.parser.push(chunk);
      } catch (err) {
        this.close(err as Error);
        return;
      }
      for (const frame of frames) {
        this.readChain = this.readChain.then(() => this.handle(frame)).catch((err: Error) => this.close(err));
      }
    });
    transport.on('end', () => this.close(undefined));
    transport.on('close', () => this.close(undefined));
    transport.on('error', (err) => this.close(err));
  }

  /** Queues raw frames; resolves once the transport accepted them. */
  send(frames: Buffer[] | (() => Promise<Buffer[]>)): Promise<void> {
    const run = async () => {
      if (this.closed) throw new Error('SPDY connection closed');
      const list = typeof frames === 'function' ? await frames() : frames;
      for (const frame of list) {
        if (!this.transport.write(frame)) await new Promise<void>((resolve) => this.transport.once('drain', resolve));
      }
    };
    const result = this.writeChain.then(run, run);
    this.writeChain = result.catch(() => undefined);
    return result;
  }

  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

  close(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.streams.values()) stream.destroy();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
    this.transport.destroy();
    this.events.onClose?.(err);
  }

  private async handle(frame: ReturnType<SpdyFrameParser['push']>[number]): Promise<void> {
    if (this.closed) return;
    if (frame.kind === 'data') {
      // DATA for a stream already torn down here (e.g. the client's late FIN) is dropped, as spdystream does.
      this.streams.get(frame.streamId)?.receive(frame.data, (frame.flags & flagFin) !== 0);
      return;
    }
    const p = frame.payload;
    switch (frame.type) {
      case FrameType.SynStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.decompressor.decompress(p.subarray(10)));
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        const reply = this.compressor.compress(encodeHeaderBlock([]));
        await this.send(async () => [controlFrame(FrameType.SynReply, 0, Buffer.concat([uint32(id), await reply]))]);
        if (frame.flags & flagFin) stream.receive(Buffer.alloc(0), true);
        this.events.onStream(stream);
        return;
      }
      case FrameType.Headers:
      case FrameType.SynReply:
        // Keep the shared zlib state in step even though the headers are not used.
        await this.decompressor.decompress(p.subarray(4));
        return;
      case FrameType.RstStream: {
        const stream = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        if (stream) {
          stream.remoteClosed = true;
          stream.destroy();
        }
        return;
      }
      case FrameType.Ping:
        await this.send([controlFrame(FrameType.Ping, 0, p.subarray(0, 4))]);
        return;
      case FrameType.GoAway:
        this.close(undefined);
        return;
      default:
        // SETTINGS and WINDOW_UPDATE: nothing to do without flow control.
        return;
    }
  }
}
