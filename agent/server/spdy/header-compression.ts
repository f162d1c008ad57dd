/**
 * SPDY/3 header-block compression: one zlib stream per direction for the
 * whole connection, primed with the SPDY dictionary, each block ending in a
 * sync flush. Node's zlib streams are asynchronous, so blocks go through a
 * queue that keeps them in connection order.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { spdy3HeaderDictionary } from './header-dictionary.ts';

abstract class SyncFlushCodec {
  private readonly stream: Deflate | Inflate;
  private chain: Promise<unknown> = Promise.resolve();
  private output: Buffer[] = [];
  private failure: Error | undefined;

  constructor(stream: Deflate | Inflate) {
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => this.output.push(chunk));
    stream.on('error', (err) => (this.failure = err));
  }

  protected process(input: Buffer): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.failure) {
          reject(this.failure);
          return;
        }
        this.output = [];
        this.stream.write(input);
        this.stream.flush(constants.Z_SYNC_FLUSH, () => {
          // Output of a flush is pushed before its callback; a tick later covers engines that emit 'data' asynchronously.
          setImmediate(() => (this.failure ? reject(this.failure) : resolve(Buffer.concat(this.output))));
        });
      });
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.stream.destroy();
  }
}

export class HeaderCompressor extends SyncFlushCodec {
  constructor() {
    super(createDeflate({ dictionary: spdy3HeaderDictionary }));
  }

  compress(block: Buffer): Promise<Buffer> {
    return this.process(block);
  }
}

export class HeaderDecompressor extends SyncFlushCodec {
  constructor() {
    super(createInflate({ dictionary: spdy3HeaderDictionary }));
  }

  decompress(block: Buffer): Promise<Buffer> {
    return this.process(block);
  }
}
