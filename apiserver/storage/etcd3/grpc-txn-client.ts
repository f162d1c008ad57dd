/**
 * etcd's KV.Txn as a gRPC unary call over node:http2, with the wire form of
 * txn-codec.ts. One HTTP/2 connection multiplexes every call, as grpc-go's
 * does; a connection that fails or closes fails its calls (the outcome of a
 * write then is unknown, so nothing is retried blindly) and the next call
 * connects again, trying the endpoints in turn.
 *
 * gRPC over HTTP/2 (grpc's PROTOCOL-HTTP2.md): a POST to /etcdserverpb.KV/Txn
 * with `content-type: application/grpc` and `te: trailers`; each message is a
 * 1-byte compressed flag and a 4-byte big-endian length before the protobuf
 * bytes; the outcome is the `grpc-status` trailer (or header, for a
 * trailers-only answer), with `grpc-message` percent-encoded.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { decodeTxnResponse, encodeTxnRequest, type TxnRequest, type TxnResponse } from './txn-codec.ts';

const txnPath = '/etcdserverpb.KV/Txn';
const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE, HTTP2_HEADER_STATUS } = constants;

/** gRPC status code names (grpc's doc/statuscodes.md), for error messages. */
const grpcCodeNames = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

export class GrpcError extends Error {
  readonly code: number;
  constructor(code: number, details: string) {
    super(`${code} ${grpcCodeNames[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'GrpcError';
    this.code = code;
  }
}

function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The one message of a unary answer, from the DATA bytes. */
function unframe(data: Buffer): Buffer {
  if (data.length < 5) throw new GrpcError(13, `etcd sent a gRPC answer of ${data.length} bytes, shorter than a message frame`);
  if (data[0] !== 0) throw new GrpcError(13, 'etcd sent a compressed gRPC message, which was not asked for');
  const length = data.readUInt32BE(1);
  if (data.length < 5 + length) throw new GrpcError(13, `etcd's gRPC message is truncated: ${data.length - 5} of ${length} bytes`);
  return data.subarray(5, 5 + length);
}

/** The call's outcome from `grpc-status`/`grpc-message` (trailers, or the headers of a trailers-only answer). */
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

export class GrpcTxnClient {
  readonly #endpoints: string[];
  #next = 0;
  #session: ClientHttp2Session | undefined;
  #closed = false;

  constructor(endpoints: string[]) {
    if (endpoints.length === 0) throw new Error('no etcd endpoints');
    this.#endpoints = endpoints;
  }

  txn(request: TxnRequest): Promise<TxnResponse> {
    if (this.#closed) return Promise.reject(new GrpcError(1, 'the etcd client is closed'));
    const session = this.#connect();
    const body = frame(encodeTxnRequest(request));
    return new Promise<TxnResponse>((resolve, reject) => {
      const stream = session.request({
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_PATH]: txnPath,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [HTTP2_HEADER_TE]: 'trailers',
      });
      const chunks: Buffer[] = [];
      let failure: GrpcError | undefined;
      let trailersSeen = false;
      stream.on('response', (headers) => {
        const status = Number(headers[HTTP2_HEADER_STATUS]);
        if (status !== 200) failure = new GrpcError(14, `etcd answered HTTP ${status} to a gRPC call`);
        else failure = statusError(headers);
        if (headers['grpc-status'] !== undefined) trailersSeen = true;
      });
      stream.on('trailers', (trailers) => {
        trailersSeen = true;
        failure ??= statusError(trailers);
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => {
        failure ??= new GrpcError(14, err.message);
      });
      stream.on('close', () => {
        if (failure) return reject(failure);
        if (!trailersSeen) return reject(new GrpcError(14, `the connection to etcd ended before the call's status (HTTP/2 code ${stream.rstCode ?? 0})`));
        try {
          resolve(decodeTxnResponse(unframe(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
        } catch (err) {
          reject(err instanceof GrpcError ? err : new GrpcError(13, `etcd's Txn answer does not decode: ${(err as Error).message}`));
        }
      });
      stream.end(body);
    });
  }

  close(): void {
    this.#closed = true;
    this.#session?.close();
    this.#session = undefined;
  }

  /** The live connection, or a new one to the next endpoint. */
  #connect(): ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const endpoint = this.#endpoints[this.#next++ % this.#endpoints.length]!;
    const session = connect(endpoint);
    const forget = () => {
      if (this.#session === session) this.#session = undefined;
    };
    // Errors reach the calls' streams; the session only has to be forgotten so the next call reconnects.
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    this.#session = session;
    return session;
  }
}
