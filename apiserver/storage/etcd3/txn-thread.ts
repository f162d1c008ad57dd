/**
 * etcd transactions on a worker thread. The gRPC client costs the API server
 * about as much CPU per write as everything else a create does (TLS, HTTP,
 * decoding, validation, the watch cache), and Node runs all of that on one
 * event loop. Writes are what a busy cluster does most, so their transactions
 * go to a second thread with its own `etcd3` client; reads and watches stay on
 * the main client. As before, concurrent transactions are independent gRPC
 * calls: each is atomic, and etcd orders them as they arrive.
 *
 * Messages are structured clones, which turn Buffers into plain Uint8Arrays:
 * answers get their Buffers back before anyone calls toString() on them.
 */
import { Worker } from 'node:worker_threads';
import type { ITxnRequest, ITxnResponse } from 'etcd3';

const workerUrl = new URL('./txn-thread-worker.ts', import.meta.url);

type Pending = { resolve: (r: ITxnResponse) => void; reject: (err: Error) => void };

/** Turns every Uint8Array in a cloned answer back into a Buffer over the same memory. */
function reviveBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(reviveBuffers);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = reviveBuffers(v);
    return out;
  }
  return value;
}

export class TxnThread {
  readonly #endpoints: string[];
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #seq = 0;
  #closed = false;

  constructor(endpoints: string[]) {
    this.#endpoints = endpoints;
  }

  txn(request: ITxnRequest): Promise<ITxnResponse> {
    if (this.#closed) return Promise.reject(new Error('the etcd transaction thread is closed'));
    const worker = this.#ensureWorker();
    const id = ++this.#seq;
    return new Promise<ITxnResponse>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A pending request keeps the process alive, as a socket would; an idle thread does not.
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new Error('the etcd transaction thread is closed'));
    if (worker) await worker.terminate();
  }

  /** Started on first use, and again after a crash. */
  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerUrl, { workerData: { endpoints: this.#endpoints } });
    worker.unref();
    worker.on('message', (m: { id: number; response?: ITxnResponse; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(reviveBuffers(m.response) as ITxnResponse);
    });
    const lost = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failAll(new Error(`the etcd transaction thread ${why}`));
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #failAll(err: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
  }
}
