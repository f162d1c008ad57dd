/**
 * A small typed REST client for the pier API server: JSON over HTTPS with a
 * keep-alive agent, bearer token and the cluster CA. Every non-2xx answer
 * throws an ApiError carrying the server's Status. Uses node:https rather than
 * @kubernetes/client-node because informers need a watch that reports 410 and
 * ERROR events to the caller instead of hiding them.
 */
import { Agent, request } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { KubeList, KubeObject, Status, WatchEvent } from '../api/meta.ts';
import type { ClusterAccess } from '../kubeconfig.ts';
import { ApiError } from './api-error.ts';
import { resourceUrlPath, type ResourcePath } from './resource-path.ts';

export interface RestClientOptions extends ClusterAccess {
  /** Concurrent sockets to the server (watches hold one each). Default 256. */
  maxSockets?: number;
  /** Per-request deadline for non-watch requests, in ms. Default 60 s. */
  requestTimeoutMs?: number;
  /** Sent as User-Agent, e.g. `pier-scheduler`. */
  userAgent?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface GetOptions extends RequestOptions {
  resourceVersion?: string;
}

export interface ListOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** `"0"` lets the server answer from its watch cache; `""` asks for a consistent read. */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  limit?: number;
  continue?: string;
}

export interface WriteOptions extends RequestOptions {
  dryRun?: 'All';
  fieldManager?: string;
}

/** The patch flavours and their content types (apimachinery types.PatchType). */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const patchContentType: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only. */
  force?: boolean;
}

export interface DeleteOptions extends RequestOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: 'All';
}

export interface WatchOptions extends RequestOptions {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  labelSelector?: string;
  fieldSelector?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err instanceof Error && err.name === 'AbortError');
}

export class RestClient {
  readonly server: string;
  readonly #token: string;
  readonly #agent: Agent;
  /**
   * Watches get sockets that close when the stream ends: a finished watch's
   * socket parked in the keep-alive pool holds a shutting-down server open
   * until its keep-alive timeout.
   */
  readonly #watchAgent: Agent;
  readonly #requestTimeoutMs: number;
  readonly #userAgent: string;

  constructor(options: RestClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.#token = options.token;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#userAgent = options.userAgent ?? 'pier-client';
    // One TLS context for every connection: given only `ca`, each new socket would parse the CA again.
    const secureContext = createSecureContext({ ca: options.caPem });
    this.#agent = new Agent({ secureContext, keepAlive: true, maxSockets: options.maxSockets ?? 256 });
    this.#watchAgent = new Agent({ secureContext, keepAlive: false });
  }

  get<T extends KubeObject = KubeObject>(path: ResourcePath, options: GetOptions = {}): Promise<T> {
    return this.#json<T>('GET', `${resourceUrlPath(path)}${queryString({ resourceVersion: options.resourceVersion })}`, undefined, undefined, options.signal);
  }

  /** GETs a path that names no resource, e.g. discovery's `/apis` or `/api/v1` (client-go RESTClient.Get().AbsPath). */
  getAbsPath<T = unknown>(urlPath: string, options: RequestOptions = {}): Promise<T> {
    return this.#json<T>('GET', urlPath, undefined, undefined, options.signal);
  }

  list<T extends KubeObject = KubeObject>(path: ResourcePath, options: ListOptions = {}): Promise<KubeList<T>> {
    const query = queryString({
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resourceVersion: options.resourceVersion,
      resourceVersionMatch: options.resourceVersionMatch,
      limit: options.limit,
      continue: options.continue,
    });
    return this.#json<KubeList<T>>('GET', `${resourceUrlPath(path)}${query}`, undefined, undefined, options.signal);
  }

  /** POSTs to the collection (or to a subresource such as `binding`) named by `path`. */
  create<T extends KubeObject = KubeObject>(path: ResourcePath, body: T, options: WriteOptions = {}): Promise<T> {
    const query = queryString({ dryRun: options.dryRun, fieldManager: options.fieldManager });
    return this.#json<T>('POST', `${resourceUrlPath(path)}${query}`, JSON.stringify(body), 'application/json', options.signal);
  }

  /** PUT: `body.metadata.resourceVersion` makes it a compare-and-swap (409 Conflict when stale). */
  update<T extends KubeObject = KubeObject>(path: ResourcePath, body: T, options: WriteOptions = {}): Promise<T> {
    const query = queryString({ dryRun: options.dryRun, fieldManager: options.fieldManager });
    return this.#json<T>('PUT', `${resourceUrlPath(path)}${query}`, JSON.stringify(body), 'application/json', options.signal);
  }

  patch<T extends KubeObject = KubeObject>(path: ResourcePath, patchType: PatchType, body: unknown, options: PatchOptions = {}): Promise<T> {
    const query = queryString({ dryRun: options.dryRun, fieldManager: options.fieldManager, force: options.force });
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return this.#json<T>('PATCH', `${resourceUrlPath(path)}${query}`, payload, patchContentType[patchType], options.signal);
  }

  /** Answers the object (graceful deletion or finalizers pending) or a Success Status. */
  delete<T extends KubeObject = KubeObject>(path: ResourcePath, options: DeleteOptions = {}): Promise<T | Status> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.propagationPolicy !== undefined) body.propagationPolicy = options.propagationPolicy;
    if (options.preconditions !== undefined) body.preconditions = options.preconditions;
    const query = queryString({ dryRun: options.dryRun });
    return this.#json<T | Status>('DELETE', `${resourceUrlPath(path)}${query}`, JSON.stringify(body), 'application/json', options.signal);
  }

  /**
   * Watches a collection. The request is sent when iteration starts; a non-2xx
   * answer (e.g. 410 Expired) throws ApiError from the first `next()`. In-stream
   * ERROR events are yielded as they come. The iteration ends when the server
   * ends the stream (timeoutSeconds) or `signal` aborts; a broken connection throws.
   */
  async *watch<T extends KubeObject = KubeObject>(path: ResourcePath, options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const query = queryString({
      watch: 'true',
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    });
    const signal = options.signal;
    if (signal?.aborted) return;
    let res: IncomingMessage;
    try {
      res = await this.#send('GET', `${resourceUrlPath(path)}${query}`, undefined, undefined, signal, 0, this.#watchAgent);
    } catch (err) {
      if (isAbort(err, signal)) return;
      throw err;
    }
    try {
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
        const text = await readBody(res);
        throw ApiError.fromResponse(res.statusCode ?? 0, parseJson(text), text);
      }
      res.setEncoding('utf8');
      let buffer = '';
      for await (const chunk of res as AsyncIterable<string>) {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line !== '') yield parseWatchEvent<T>(line);
        }
      }
      // An aborted socket can end the iteration without an error; say so rather than pretend a clean end.
      if (!res.complete && !signal?.aborted) throw new Error(`watch ${path.plural}: connection closed before the stream ended`);
      if (buffer.trim() !== '') yield parseWatchEvent<T>(buffer.trim());
    } catch (err) {
      if (isAbort(err, signal)) return;
      throw err;
    } finally {
      res.destroy();
    }
  }

  /** Closes idle keep-alive sockets; in-flight requests finish. */
  close(): void {
    this.#agent.destroy();
    this.#watchAgent.destroy();
  }

  async #json<T>(method: string, urlPath: string, body: string | undefined, contentType: string | undefined, signal: AbortSignal | undefined): Promise<T> {
    const res = await this.#send(method, urlPath, body, contentType, signal, this.#requestTimeoutMs);
    const text = await readBody(res);
    const json = parseJson(text);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw ApiError.fromResponse(code, json, text);
    if (json === undefined) throw new Error(`${method} ${urlPath}: the server answered ${code} with a body that is not JSON`);
    return json as T;
  }

  #send(method: string, urlPath: string, body: string | undefined, contentType: string | undefined, signal: AbortSignal | undefined, timeoutMs: number, agent: Agent = this.#agent): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const headers: Record<string, string | number> = {
        authorization: `Bearer ${this.#token}`,
        accept: 'application/json',
        'user-agent': this.#userAgent,
      };
      if (body !== undefined) {
        headers['content-type'] = contentType ?? 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(`${this.server}${urlPath}`, { method, agent, headers, ...(signal ? { signal } : {}) }, resolve);
      req.on('error', reject);
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
      }
      req.end(body);
    });
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('connection closed while reading the response')));
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseWatchEvent<T>(line: string): WatchEvent<T> {
  const event = parseJson(line) as { type?: unknown; object?: unknown } | undefined;
  if (!event || typeof event.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
    throw new Error(`watch: undecodable event: ${line.slice(0, 200)}`);
  }
  return event as WatchEvent<T>;
}
