/**
 * etcd transactions on a worker thread. Node runs TLS, HTTP, decoding,
 * validation and the watch cache of every request on one event loop; writes
 * are what a busy cluster does most, so their transactions (protobuf encoding,
 * HTTP/2 framing, the gRPC call) go to a second thread with its own connection
 * (grpc-txn-client.ts). Reads and watches stay on the main client. As before,
 * concurrent transactions are independent gRPC calls: each is atomic, and etcd
 * orders them as they arrive.
 *
 * Messages are kept flat (tuples of strings and numbers) because structured
 * cloning costs per object: a request is `[id, TxnRequest]`, an answer
 * `[id, revision, succeeded, responses?]` or `[id, error message]`. Each side
 * sends what one turn of its event loop produced as one message (flushed by
 * setImmediate), because every message also wakes the other thread, which
 * cost more than the cloning. Key-values of a failed compare arrive as
 * Uint8Arrays and get their Buffers back here.
 */
import { Worker } from 'node:worker_threads';
import type { TxnKeyValue, TxnRequest, TxnResponse } from './txn-codec.ts';

const workerUrl = new URL('./txn-thread-worker.ts', import.meta.url);

type Pending = { resolve: (r: TxnResponse) => void; reject: (err: Error) => void };

/** What the worker posts back. */
export type TxnThreadAnswer = [id: number, revision: string, succeeded: boolean, responses?: TxnKeyValue[][]] | [id: number, error: string];

function reviveKeyValue(kv: TxnKeyValue): TxnKeyValue {
  return { ...kv, key: Buffer.from(kv.key.buffer, kv.key.byteOffset, kv.key.byteLength), value: Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength) };
}

export class TxnThread {
  readonly #endpoints: string[];
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #seq = 0;
  #closed = false;
  /** Requests of this event-loop turn, posted together. */
  #outbox: [number, TxnRequest][] = [];

  constructor(endpoints: string[]) {
    this.#endpoints = endpoints;
  }

  txn(request: TxnRequest): Promise<TxnResponse> {
    if (this.#closed) return Promise.reject(new Error('the etcd transaction thread is closed'));
    const worker = this.#ensureWorker();
    const id = ++this.#seq;
    return new Promise<TxnResponse>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A pending request keeps the process alive, as a socket would; an idle thread does not.
      if (this.#pending.size === 1) worker.ref();
      if (this.#outbox.length === 0) setImmediate(() => this.#flush(worker));
      this.#outbox.push([id, request]);
    });
  }

  #flush(worker: Worker): void {
    const batch = this.#outbox;
    this.#outbox = [];
    // A crashed or closed worker has already failed these requests.
    if (this.#worker === worker) worker.postMessage(batch);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#outbox = [];
    this.#failAll(new Error('the etcd transaction thread is closed'));
    if (worker) await worker.terminate();
  }

  /** Started on first use, and again after a crash. */
  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerUrl, { workerData: { endpoints: this.#endpoints } });
    worker.unref();
    worker.on('message', (answers: TxnThreadAnswer[]) => {
      for (const answer of answers) this.#settle(answer);
      if (this.#pending.size === 0) worker.unref();
    });
    const lost = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#outbox = [];
      this.#failAll(new Error(`the etcd transaction thread ${why}`));
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #settle(answer: TxnThreadAnswer): void {
    const id = answer[0];
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    if (answer.length === 2) return p.reject(new Error(answer[1]));
    const [, revision, succeeded, responses] = answer;
    p.resolve({ revision, succeeded, responses: responses ? responses.map((kvs) => kvs.map(reviveKeyValue)) : [] });
  }

  #failAll(err: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
  }
}
