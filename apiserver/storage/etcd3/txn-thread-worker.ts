/**
 * The worker side of TxnThread: its own `etcd3` client that runs the
 * transactions the API server's event loop posts, and posts each answer
 * (or the error's message) back under the request's id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { noop as noopPolicy } from 'cockatiel';
import { Etcd3, type ITxnRequest } from 'etcd3';

const port = parentPort;
if (!port) throw new Error('txn-thread-worker.ts runs as a worker thread');
const { endpoints } = workerData as { endpoints: string[] };
// As the main client: no circuit breaker, no blind retries of a transaction whose outcome is unknown.
const client = new Etcd3({ hosts: endpoints, faultHandling: { host: () => noopPolicy, global: noopPolicy } });

port.on('message', (message: { id: number; request: ITxnRequest } | 'close') => {
  if (message === 'close') {
    client.close();
    port.close();
    return;
  }
  const { id, request } = message;
  client.kv.txn(request).then(
    (response) => port.postMessage({ id, response }),
    (err: unknown) => port.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
  );
});
