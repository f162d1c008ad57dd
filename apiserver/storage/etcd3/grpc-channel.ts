/**
 * gRPC calls to etcd over node:http2, without a generic gRPC client: one
 * HTTP/2 connection multiplexes every call, as grpc-go's does. A connection
 * that fails, closes or receives GOAWAY fails its calls (nothing is retried:
 * the outcome of a write is then unknown) and the next call connects again,
 * trying the endpoints in turn.
 *
 * gRPC over HTTP/2 (grpc's PROTOCOL-HTTP2.md): a POST to the method's path
 * with `content-type: application/grpc` and `te: trailers`; each message is a
 * 1-byte compressed flag and a 4-byte big-endian length before the protobuf
 * bytes, and DATA frames cut that stream of messages anywhere; the outcome is
 * the `grpc-status` trailer (or header, for a trailers-only answer), with
 * `grpc-message` percent-encoded.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE, HTTP2_HEADER_STATUS, NGHTTP2_CANCEL } = constants;

/** gRPC status code names (grpc's doc/statuscodes.md), for error messages. */
const grpcCodeNames = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/** A gRPC call's failure: its status code and details (`14 UNAVAILABLE: ...`). */
export class GrpcError extends Error {
  readonly code: number;
  /** The message without the code (etcd's grpc-message, or what went wrong on this side). */
  readonly details: string;
  constructor(code: number, details: string) {
    super(`${code} ${grpcCodeNames[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'GrpcError';
    this.code = code;
    this.details = details;
  }
}

/**
 * The per-stream flow-control window we grant etcd. Node's default (64 KiB)
 * makes a watch replaying megabytes of history wait for a WINDOW_UPDATE every
 * 64 KiB; a larger window costs nothing until etcd actually sends.
 */
const streamWindowBytes = 1 << 20;
const sessionWindowBytes = 8 << 20;

/** One message in its gRPC frame (uncompressed). */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * Cuts the DATA bytes of a call into its messages: a chunk may hold many
 * messages, and a message may span many chunks. Whole messages inside one
 * chunk are handed out as views of it, without copying.
 */
export class MessageDeframer {
  /** Chunks of an incomplete frame (its 5-byte prefix may itself be split). */
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** The body length of the frame being assembled, once its prefix is complete; -1 before. */
  #need = -1;

  /** Bytes held of an incomplete message: non-zero when a call ends means its last message was cut off. */
  get pendingBytes(): number {
    return this.#partBytes;
  }

  /** Feeds one chunk, calling onMessage for each message it completes. Throws GrpcError on a compressed message. */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let pos = 0;
    if (this.#partBytes > 0) {
      pos = this.#continue(chunk, onMessage);
      if (pos < 0) return;
    }
    while (chunk.length - pos >= 5) {
      if (chunk[pos] !== 0) throw new GrpcError(13, 'etcd sent a compressed gRPC message, which was not asked for');
      const length = chunk.readUInt32BE(pos + 1);
      if (chunk.length - pos - 5 < length) {
        this.#need = length;
        break;
      }
      onMessage(chunk.subarray(pos + 5, pos + 5 + length));
      pos += 5 + length;
    }
    if (pos < chunk.length) this.#hold(pos === 0 ? chunk : chunk.subarray(pos));
  }

  #hold(part: Buffer): void {
    this.#parts.push(part);
    this.#partBytes += part.length;
  }

  /** Completes the held frame from `chunk`; returns where the rest of the chunk starts, or -1 if it was all taken. */
  #continue(chunk: Buffer, onMessage: (message: Buffer) => void): number {
    if (this.#need < 0) {
      // The prefix itself was split: gather its 5 bytes first.
      const missing = 5 - this.#partBytes;
      if (missing > chunk.length) {
        this.#hold(chunk);
        return -1;
      }
      const prefix = Buffer.concat([...this.#parts, chunk.subarray(0, missing)]);
      if (prefix[0] !== 0) throw new GrpcError(13, 'etcd sent a compressed gRPC message, which was not asked for');
      this.#need = prefix.readUInt32BE(1);
      this.#parts = [prefix];
      this.#partBytes = 5;
      chunk = chunk.subarray(missing);
      const taken = this.#continue(chunk, onMessage);
      return taken < 0 ? -1 : taken + missing;
    }
    const missing = 5 + this.#need - this.#partBytes;
    if (missing > chunk.length) {
      this.#hold(chunk);
      return -1;
    }
    const whole = Buffer.concat([...this.#parts, chunk.subarray(0, missing)], this.#partBytes + missing);
    this.#parts = [];
    this.#partBytes = 0;
    this.#need = -1;
    onMessage(whole.subarray(5));
    return missing;
  }
}

/** The call's outcome from `grpc-status`/`grpc-message` (trailers, or the headers of a trailers-only answer); undefined for OK or absent. */
function statusError(headers: IncomingHttpHeaders): GrpcError | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(raw);
  if (code === 0) return undefined;
  const message = headers['grpc-message'];
  let details = typeof message === 'string' ? message : '';
  try {
    details = decodeURIComponent(details);
  } catch {
    // Keep the raw text if it is not valid percent-encoding.
  }
  return new GrpcError(code, details);
}

/** What a call reports: its messages, then exactly one onEnd. */
interface GrpcCallHandlers {
  /** One message from etcd (a view of the received bytes; copy what must outlive the turn's processing if memory matters). */
  onMessage(message: Buffer): void;
  /** The call ended: undefined for grpc-status 0, else why (etcd's status, a lost connection, a reset stream). */
  onEnd(error: GrpcError | undefined): void;
}

/** One call on the connection: its request goes out with end(), its answers and outcome reach the handlers. */
class Call {
  readonly #handlers: GrpcCallHandlers;
  #stream: ClientHttp2Stream | undefined;
  readonly #deframer = new MessageDeframer();
  #failure: GrpcError | undefined;
  #statusSeen = false;
  #over = false;

  constructor(handlers: GrpcCallHandlers) {
    this.#handlers = handlers;
  }

  /** Starts the call on `session`; on failure to start, reports it on the next tick (handlers are set up by then). */
  open(session: ClientHttp2Session | GrpcError, path: string): void {
    let stream: ClientHttp2Stream;
    try {
      if (session instanceof GrpcError) throw session;
      stream = session.request({
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_PATH]: path,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [HTTP2_HEADER_TE]: 'trailers',
      });
    } catch (err) {
      const failure = err instanceof GrpcError ? err : new GrpcError(14, (err as Error).message);
      process.nextTick(() => this.#finish(failure));
      return;
    }
    this.#stream = stream;
    const onMessage = (message: Buffer): void => {
      if (!this.#over) this.#handlers.onMessage(message);
    };
    stream.on('response', (headers) => {
      const status = Number(headers[HTTP2_HEADER_STATUS]);
      if (status !== 200) this.#failure ??= new GrpcError(14, `etcd answered HTTP ${status} to a gRPC call`);
      else this.#failure ??= statusError(headers);
      if (headers['grpc-status'] !== undefined) this.#statusSeen = true;
    });
    stream.on('trailers', (trailers) => {
      this.#statusSeen = true;
      this.#failure ??= statusError(trailers);
    });
    stream.on('data', (chunk: Buffer) => {
      if (this.#over) return;
      try {
        this.#deframer.push(chunk, onMessage);
      } catch (err) {
        // A message that does not deframe or decode (or whose handler fails) ends the call: later ones cannot be trusted either.
        this.#failure ??= err instanceof GrpcError ? err : new GrpcError(13, `handling etcd's answer failed: ${(err as Error).message}`);
        stream.close(NGHTTP2_CANCEL);
      }
    });
    // etcd's status has arrived: close this side too, so the stream closes even if etcd does not reset it.
    stream.on('end', () => {
      if (!stream.writableEnded) stream.end();
    });
    stream.on('error', (err) => {
      this.#failure ??= new GrpcError(14, err.message);
    });
    stream.on('close', () => {
      if (this.#failure) return this.#finish(this.#failure);
      if (!this.#statusSeen) return this.#finish(new GrpcError(14, `the connection to etcd ended before the call's status (HTTP/2 code ${stream.rstCode ?? 0})`));
      const pending = this.#deframer.pendingBytes;
      if (pending > 0) return this.#finish(new GrpcError(13, `etcd's last gRPC message is truncated (${pending} bytes of it arrived)`));
      this.#finish(undefined);
    });
  }

  #finish(error: GrpcError | undefined): void {
    if (this.#over) return;
    this.#over = true;
    this.#handlers.onEnd(error);
  }

  end(message?: Uint8Array): void {
    const stream = this.#stream;
    if (this.#over || !stream || stream.destroyed || stream.writableEnded) return;
    if (message) stream.end(frame(message));
    else stream.end();
  }
}

export class GrpcChannel {
  readonly #endpoints: string[];
  #next = 0;
  #session: ClientHttp2Session | undefined;
  #closed = false;

  constructor(endpoints: string[]) {
    if (endpoints.length === 0) throw new Error('no etcd endpoints');
    this.#endpoints = endpoints;
  }

  /** A unary call: the one answer message's bytes, or a GrpcError. */
  unary(path: string, request: Uint8Array): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new GrpcError(1, 'the etcd client is closed'));
    return new Promise<Buffer>((resolve, reject) => {
      let answer: Buffer | undefined;
      const call = new Call({
        onMessage: (m) => {
          answer ??= m;
        },
        onEnd: (err) => {
          if (err) reject(err);
          else if (!answer) reject(new GrpcError(13, `etcd answered ${path} with no message`));
          else resolve(answer);
        },
      });
      call.open(this.#connect(), path);
      call.end(request);
    });
  }

  /** No new calls; calls under way finish, then the connection closes. */
  close(): void {
    this.#closed = true;
    this.#session?.close();
    this.#session = undefined;
  }

  /** The live connection, or a new one to the next endpoint. */
  #connect(): ClientHttp2Session | GrpcError {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const endpoint = this.#endpoints[this.#next++ % this.#endpoints.length]!;
    let session: ClientHttp2Session;
    try {
      session = connect(endpoint, { settings: { initialWindowSize: streamWindowBytes } });
    } catch (err) {
      return new GrpcError(14, `cannot connect to etcd at ${endpoint}: ${(err as Error).message}`);
    }
    const forget = () => {
      if (this.#session === session) this.#session = undefined;
    };
    // Errors reach the calls' streams; the session only has to be forgotten so the next call reconnects.
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(sessionWindowBytes);
      } catch {
        // The session closed meanwhile.
      }
    });
    this.#session = session;
    return session;
  }
}
