/**
 * The worker side of TxnThread: its own gRPC connection to etcd that runs
 * the transactions the API server's event loop posts, and posts the answers
 * (or the errors' messages) back under the requests' ids, one message per
 * turn of this thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GrpcTxnClient } from './grpc-txn-client.ts';
import type { TxnRequest } from './txn-codec.ts';
import type { TxnThreadAnswer } from './txn-thread.ts';

if (!parentPort) throw new Error('txn-thread-worker.ts runs as a worker thread');
const port = parentPort;
const { endpoints } = workerData as { endpoints: string[] };
const client = new GrpcTxnClient(endpoints);

let outbox: TxnThreadAnswer[] = [];
function answer(a: TxnThreadAnswer): void {
  if (outbox.length === 0) {
    setImmediate(() => {
      const batch = outbox;
      outbox = [];
      port.postMessage(batch);
    });
  }
  outbox.push(a);
}

port.on('message', (batch: [number, TxnRequest][]) => {
  for (const [id, request] of batch) {
    client.txn(request).then(
      // Puts and deletes answer with no key-values: leave the array out rather than clone empty ones.
      (res) => answer(res.responses.some((kvs) => kvs.length > 0) ? [id, res.revision, res.succeeded, res.responses] : [id, res.revision, res.succeeded]),
      (err: unknown) => answer([id, err instanceof Error ? err.message : String(err)]),
    );
  }
});
