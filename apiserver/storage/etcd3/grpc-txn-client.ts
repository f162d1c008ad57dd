/**
 * etcd's KV.Txn as a gRPC unary call on a GrpcChannel (grpc-channel.ts: one
 * HTTP/2 connection for every call, endpoints in turn, no blind retries),
 * with the wire form of txn-codec.ts.
 */
import { GrpcChannel, GrpcError } from './grpc-channel.ts';
import { decodeTxnResponse, encodeTxnRequest, type TxnRequest, type TxnResponse } from './txn-codec.ts';


const txnPath = '/etcdserverpb.KV/Txn';

export class GrpcTxnClient {
  readonly #channel: GrpcChannel;

  constructor(endpoints: string[]) {
    this.#channel = new GrpcChannel(endpoints);
  }

  async txn(request: TxnRequest): Promise<TxnResponse> {
    const answer = await this.#channel.unary(txnPath, encodeTxnRequest(request));
    try {
      return decodeTxnResponse(answer);
    } catch (err) {
      throw new GrpcError(13, `etcd's Txn answer does not decode: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.#channel.close();
  }
}
