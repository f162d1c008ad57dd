/**
 * Serves one resource request: resolves the kind from the table, then maps the
 * verb (and subresource) onto the generic store, rendering objects, lists,
 * Tables and watch streams the way kube-apiserver's handlers do.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../client/api/meta.ts';
import { newBadRequest, newMethodNotSupported, newNotFound, StatusError } from '../errors/status-error.ts';
import type { DeleteOptions, GenericStore, WriteOptions } from '../registry/generic-store.ts';
import { decodeBody, patchTypeOf, wantsTable } from './negotiation.ts';
import { type Query, queryBool, queryDryRun, queryFieldValidation, queryInt, queryString } from './query.ts';
import type { ResourceRequestInfo } from './request-info.ts';
import { bindPod } from './subresources/binding.ts';
import type { PodProxy } from './subresources/pod-proxy.ts';
import { finalizeNamespace } from './subresources/finalize.ts';
import { getScale, updateScale } from './subresources/scale.ts';
import { parseIncludeObject, toTable } from './table.ts';
import { serveWatch } from './watch-stream.ts';

/** Subresources with handlers here; discovery advertises only these. */
export const servedSubresources: ReadonlySet<string> = new Set(['status', 'scale', 'binding', 'finalize', 'log', 'exec', 'attach', 'portforward']);

export interface ResourceHandlerContext {
  /** Stores by `group/version/plural`. */
  stores: ReadonlyMap<string, GenericStore>;
  onWatch(store: GenericStore, delta: 1 | -1): void;
  /** Open watches, ended when the server closes (they would otherwise hold it open until their timeout). */
  activeWatches: Set<AbortController>;
  /** pods/log, exec, attach, portforward: proxied to the node agent. */
  podProxy?: PodProxy;
}

export function storeKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

type Body = { code: number; body: unknown };

function rawBody(request: FastifyRequest): Buffer | undefined {
  return Buffer.isBuffer(request.body) ? request.body : undefined;
}

function decodeDeleteOptions(request: FastifyRequest, query: Query): DeleteOptions {
  const options: DeleteOptions = {};
  const raw = rawBody(request);
  if (raw && raw.length > 0) {
    const body = decodeBody(request.headers['content-type'] ?? 'application/json', raw, false);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw newBadRequest('DeleteOptions must be an object');
    const b = body as Record<string, unknown>;
    if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null) {
      if (typeof b.gracePeriodSeconds !== 'number' || !Number.isInteger(b.gracePeriodSeconds)) throw newBadRequest('gracePeriodSeconds must be an integer');
      options.gracePeriodSeconds = b.gracePeriodSeconds;
    }
    if (b.propagationPolicy !== undefined && b.propagationPolicy !== null) options.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
    if (typeof b.orphanDependents === 'boolean') options.orphanDependents = b.orphanDependents;
    if (b.preconditions && typeof b.preconditions === 'object') {
      const p = b.preconditions as Record<string, unknown>;
      options.preconditions = {
        ...(typeof p.uid === 'string' ? { uid: p.uid } : {}),
        ...(typeof p.resourceVersion === 'string' ? { resourceVersion: p.resourceVersion } : {}),
      };
    }
    if (Array.isArray(b.dryRun) && b.dryRun.length > 0) options.dryRun = true;
  }
  const grace = queryInt(query, 'gracePeriodSeconds');
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = queryString(query, 'propagationPolicy');
  if (policy !== undefined) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (options.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)) {
    throw newBadRequest(`propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0) options.gracePeriodSeconds = 0;
  if (queryDryRun(query)) options.dryRun = true;
  return options;
}

function listQuery(query: Query) {
  const limit = queryInt(query, 'limit');
  if (limit !== undefined && limit < 0) throw newBadRequest('limit must be a non-negative integer');
  return {
    labelSelector: queryString(query, 'labelSelector'),
    fieldSelector: queryString(query, 'fieldSelector'),
    resourceVersion: queryString(query, 'resourceVersion'),
    resourceVersionMatch: queryString(query, 'resourceVersionMatch'),
    limit,
    continue: queryString(query, 'continue'),
  };
}

export async function handleResourceRequest(
  ctx: ResourceHandlerContext,
  info: ResourceRequestInfo,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Body | undefined> {
  const store = ctx.stores.get(storeKey(info.group, info.version, info.resource));
  if (!store) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  const def = store.def;
  if (!def.namespaced && info.namespace !== undefined) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  const query = request.query as Query;
  const ns = def.namespaced ? info.namespace : undefined;
  const name = info.name;
  const sub = info.subresource;
  const accept = request.headers.accept;
  const method = request.method;

  // Namespaced collection requests without a namespace (list -A, watch -A) are the only cluster-wide form.
  if (def.namespaced && ns === undefined && name !== undefined) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  const render = (obj: KubeObject): unknown =>
    wantsTable(accept) ? toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }, parseIncludeObject(queryString(query, 'includeObject'))) : obj;

  if (sub !== undefined) {
    if (name === undefined || !servedSubresources.has(sub)) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    if (ctx.podProxy && def.kind === 'Pod' && def.extraSubresources?.includes(sub) && ['log', 'exec', 'attach', 'portforward'].includes(sub)) {
      // Upgrades (exec, attach, portforward) arrive on the server's 'upgrade' event; a plain request here lacks one.
      if (sub !== 'log') throw newBadRequest('Upgrade request required');
      await ctx.podProxy.serveLog(ns!, name, request, reply);
      return undefined;
    }
    return handleSubresource(store, ns, name, sub, request, reply, query);
  }

  switch (info.verb) {
    case 'get': {
      return { code: 200, body: render(await store.get(ns, name!)) };
    }
    case 'list': {
      if (ns !== undefined && def.namespaced) {
        // A list in a missing namespace is simply empty, as in Kubernetes.
      }
      const list = await store.list(ns, listQuery(query));
      if (wantsTable(accept)) {
        return { code: 200, body: toTable(def, list.items, list.metadata, parseIncludeObject(queryString(query, 'includeObject'))) };
      }
      return { code: 200, body: list };
    }
    case 'watch': {
      const abort = new AbortController();
      const watcher = await store.watch(
        name !== undefined ? ns : ns,
        {
          labelSelector: queryString(query, 'labelSelector'),
          fieldSelector: name !== undefined ? `metadata.name=${name}` : queryString(query, 'fieldSelector'),
          resourceVersion: queryString(query, 'resourceVersion'),
          allowWatchBookmarks: queryBool(query, 'allowWatchBookmarks'),
        },
        abort.signal,
      );
      ctx.onWatch(store, 1);
      ctx.activeWatches.add(abort);
      reply.hijack();
      const table = wantsTable(accept) ? { include: parseIncludeObject(queryString(query, 'includeObject')) } : undefined;
      try {
        // Without timeoutSeconds a watch still ends, after 30-60 minutes (as --min-request-timeout 1800).
        const timeoutSeconds = queryInt(query, 'timeoutSeconds') ?? 1800 + Math.floor(Math.random() * 1800);
        await serveWatch(reply.raw, { store, watcher, abort, timeoutSeconds, table });
      } finally {
        ctx.activeWatches.delete(abort);
        ctx.onWatch(store, -1);
      }
      return undefined;
    }
    case 'create': {
      if (name !== undefined) throw newMethodNotSupported(store.gr, 'create');
      const body = decodeBody(request.headers['content-type'], rawBody(request), false);
      return { code: 201, body: await write(query, reply, (opts) => store.create(ns, body, opts)) };
    }
    case 'update': {
      const body = decodeBody(request.headers['content-type'], rawBody(request), false);
      const { object, created } = await write(query, reply, (opts) => store.update(ns, name!, body, opts));
      return { code: created ? 201 : 200, body: object };
    }
    case 'patch': {
      const type = patchTypeOf(request.headers['content-type']);
      const patch = decodeBody(request.headers['content-type'], rawBody(request), true);
      const { object, created } = await write(query, reply, (opts) => store.patch(ns, name!, type, patch, opts));
      return { code: created ? 201 : 200, body: object };
    }
    case 'delete': {
      const { object } = await store.delete(ns, name!, decodeDeleteOptions(request, query));
      return { code: 200, body: object };
    }
    case 'deletecollection': {
      const options = decodeDeleteOptions(request, query);
      return { code: 200, body: await store.deleteCollection(ns, listQuery(query), options) };
    }
    default:
      throw newMethodNotSupported(store.gr, method);
  }
}

/** A quoted-string (RFC 9110) for a Warning header's text. */
function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Runs a write with the request's dryRun and fieldValidation, and answers its warnings as
 * `Warning: 299 - "..."` headers (kubectl prints each as `Warning: ...`).
 */
async function write<T>(query: Query, reply: FastifyReply, run: (opts: WriteOptions) => Promise<T>): Promise<T> {
  const opts = { dryRun: queryDryRun(query), fieldValidation: queryFieldValidation(query), warnings: [] as string[] };
  const result = await run(opts);
  if (opts.warnings.length > 0) void reply.header('warning', opts.warnings.map((w) => `299 - ${quoted(w)}`));
  return result;
}

async function handleSubresource(
  store: GenericStore,
  ns: string | undefined,
  name: string,
  sub: string,
  request: FastifyRequest,
  reply: FastifyReply,
  query: Query,
): Promise<Body> {
  const method = request.method;
  const def = store.def;
  const dryRun = queryDryRun(query);
  const body = () => decodeBody(request.headers['content-type'], rawBody(request), method === 'PATCH');
  const notFound = () => newNotFound(store.gr, name);
  switch (sub) {
    case 'status': {
      if (!def.statusStrategy) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
      if (method === 'GET') return { code: 200, body: await store.get(ns, name) };
      if (method === 'PUT') return { code: 200, body: (await write(query, reply, (opts) => store.update(ns, name, body(), { ...opts, subresource: 'status' }))).object };
      if (method === 'PATCH') {
        const type = patchTypeOf(request.headers['content-type']);
        return { code: 200, body: (await write(query, reply, (opts) => store.patch(ns, name, type, body(), { ...opts, subresource: 'status' }))).object };
      }
      break;
    }
    case 'scale': {
      if (!def.scale) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
      if (method === 'GET') return { code: 200, body: await getScale(store, ns, name) };
      if (method === 'PUT') return { code: 200, body: await updateScale(store, ns, name, { kind: 'update', body: body() }, dryRun) };
      if (method === 'PATCH') {
        const type = patchTypeOf(request.headers['content-type']);
        return { code: 200, body: await updateScale(store, ns, name, { kind: 'patch', type, patch: body() }, dryRun) };
      }
      break;
    }
    case 'binding': {
      if (!def.extraSubresources?.includes('binding')) throw notFound();
      if (method === 'POST') {
        await bindPod(store, ns, name, body(), dryRun);
        return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
      }
      break;
    }
    case 'finalize': {
      if (def.kind !== 'Namespace') throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
      if (method === 'PUT') return { code: 200, body: await finalizeNamespace(store, name, body(), dryRun) };
      break;
    }
  }
  throw newMethodNotSupported({ group: store.gr.group, resource: `${store.gr.resource}/${sub}` }, method);
}
