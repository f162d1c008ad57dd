/**
 * Builds the API server (fastify app, not listening): authentication, Status
 * errors, discovery, OpenAPI, health, metrics, and the resource routes derived
 * from the resource table. Only `main.ts` calls `listen`.
 */
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { newBadRequest, newInternalError, newRequestEntityTooLarge, newUnauthorized, StatusError } from './errors/status-error.ts';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiResourceList,
  groupVersions,
  legacyApiGroup,
  legacyApiGroupList,
  legacyApiVersions,
} from './endpoints/discovery.ts';
import { openApiDocument, openApiIndex, openApiPath } from './endpoints/openapi.ts';
import { handleResourceRequest, servedSubresources, storeKey, type ResourceHandlerContext } from './endpoints/resource-handler.ts';
import { parseRequestInfo } from './endpoints/request-info.ts';
import { PodProxy } from './endpoints/subresources/pod-proxy.ts';
import { handleReview, isReviewRequest, reviewResources } from './endpoints/reviews.ts';
import { decodeBody, wantsAggregatedDiscovery } from './endpoints/negotiation.ts';
import type { UserInfo } from './authn/token-authenticator.ts';
import { serverVersion } from './endpoints/version.ts';
import type { ApiServerOptions } from './options.ts';
import { GenericStore } from './registry/generic-store.ts';
import { NamespaceLister } from './registry/namespace-lister.ts';
import { resources } from './registry/resources.ts';
import type { ResourceDefinition } from './registry/types.ts';
import { ServiceAllocators } from './registry/services/allocation/service-allocators.ts';
import { KubernetesServiceController } from './controlplane/kubernetes-service.ts';

/** Request bodies above this get 413, as kube-apiserver's 3 MiB limit. */
export const maxRequestBodyBytes = 3 * 1024 * 1024;

/** Namespaces every cluster has (as the apiserver's system namespaces controller). */
const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const unauthenticatedPaths = new Set(['/healthz', '/livez', '/readyz', '/version']);

interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
}

function sendStatus(reply: FastifyReply, err: StatusError): FastifyReply {
  return reply.code(err.code).header('content-type', 'application/json').send(JSON.stringify(err.toStatus()));
}

function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return newRequestEntityTooLarge(`Request entity too large: limit is ${maxRequestBodyBytes}`);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new StatusError(e.statusCode, e.statusCode === 415 ? 'UnsupportedMediaType' : 'BadRequest', e.message ?? 'bad request');
  }
  return newInternalError(err);
}

export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const { storage, authenticator, metrics } = options;
  const app = fastify({
    logger: false,
    bodyLimit: maxRequestBodyBytes,
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    return503OnClosing: true,
    frameworkErrors: (err, _request, reply) => {
      void sendStatus(reply, err.statusCode === 413 ? toStatusError(err) : newBadRequest(err.message));
    },
  });

  const namespaces = new NamespaceLister(storage);
  const stores = new Map<string, GenericStore>();
  const serviceAllocators = new ServiceAllocators(storage, options.serviceClusterIpRange ? { serviceClusterIpRange: options.serviceClusterIpRange } : {});
  for (const def of resources as readonly ResourceDefinition[]) {
    const hooks = def.group === '' && def.plural === 'services' ? serviceAllocators.hooks : {};
    stores.set(storeKey(def.group, def.version, def.plural), new GenericStore(def, storage, namespaces, hooks));
  }
  const gvs = groupVersions([...(resources as readonly ResourceDefinition[]), ...reviewResources]);
  // OpenAPI describes the stored kinds only; reviews have no PATCH for kubectl to validate against.
  const storedGvs = groupVersions(resources as readonly ResourceDefinition[]);
  const attributes = new WeakMap<FastifyRequest, RequestAttributes>();
  const users = new WeakMap<FastifyRequest, UserInfo>();
  const ctx: ResourceHandlerContext = {
    stores,
    onWatch: (store, delta) => metrics.watchDelta(store.def.group, store.def.plural, delta),
    activeWatches: new Set(),
    podProxy: new PodProxy(stores.get(storeKey('', 'v1', 'pods'))!, stores.get(storeKey('', 'v1', 'nodes'))!, authenticator, options.kubeletClient),
  };
  // exec, attach and portforward are connection upgrades, which bypass fastify's routing.
  app.server.on('upgrade', (req, socket, head) => ctx.podProxy!.handleUpgrade(req, socket, head));

  // Bodies are decoded by the handlers, which know the media types Kubernetes accepts.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxRequestBodyBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, _request, reply) => {
    void sendStatus(reply, toStatusError(err));
  });
  app.setNotFoundHandler((_request, reply) => {
    void sendStatus(reply, new StatusError(404, 'NotFound', 'the server could not find the requested resource', {}));
  });

  // Callback-style hooks: they run on every request, and async ones cost a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    (request as unknown as { startTime: bigint }).startTime = process.hrtime.bigint();
    const path = request.url.split('?', 1)[0]!;
    if (unauthenticatedPaths.has(path)) {
      done();
      return;
    }
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const user = token ? authenticator.authenticate(token) : undefined;
    if (!user) {
      sendStatus(reply, newUnauthorized());
      return;
    }
    users.set(request, user);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const start = (request as unknown as { startTime?: bigint }).startTime;
    const attrs = attributes.get(request);
    if (start && attrs) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.observeRequest(attrs.verb, attrs.group, attrs.resource, attrs.subresource, reply.statusCode, seconds);
    }
    done();
  });

  // Watches are long requests: end them so close() does not wait for their timeouts.
  app.addHook('preClose', async () => {
    for (const abort of ctx.activeWatches) abort.abort();
    ctx.podProxy!.closeAll();
  });
  app.addHook('onClose', async () => {
    namespaces.stop();
  });

  const serverAddress = options.advertiseAddress ?? '127.0.0.1:6443';

  app.get('/version', async () => serverVersion);

  const healthCheck = async (request: FastifyRequest, reply: FastifyReply, ready: boolean) => {
    const checks: [string, () => Promise<void>][] = [['ping', async () => undefined]];
    if (ready) {
      checks.push([
        'etcd',
        async () => {
          await Promise.race([
            storage.currentRevision(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('etcd did not answer within 2s')), 2000).unref()),
          ]);
        },
      ]);
      checks.push(['informer-sync', () => namespaces.start()]);
    }
    const lines: string[] = [];
    let failed = false;
    for (const [name, check] of checks) {
      try {
        await check();
        lines.push(`[+]${name} ok`);
      } catch (err) {
        failed = true;
        lines.push(`[-]${name} failed: ${(err as Error).message}`);
      }
    }
    const verbose = (request.query as Record<string, unknown>).verbose !== undefined;
    const text = failed || verbose ? `${lines.join('\n')}\n${failed ? 'healthz check failed' : 'healthz check passed'}\n` : 'ok';
    return reply.code(failed ? 500 : 200).header('content-type', 'text/plain; charset=utf-8').send(text);
  };
  app.get('/healthz', (req, reply) => healthCheck(req, reply, true));
  app.get('/livez', (req, reply) => healthCheck(req, reply, false));
  app.get('/readyz', (req, reply) => healthCheck(req, reply, true));

  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );

  app.get('/openapi/v3', async () => openApiIndex(storedGvs));
  app.get('/openapi/v3/*', async (request) => {
    const path = request.url.split('?', 1)[0]!.replace(/^\/openapi\/v3\//, '');
    const gv = storedGvs.find((g) => openApiPath(g) === path);
    if (!gv) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    return openApiDocument(gv);
  });

  const resourceRoute = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0]!;
    const query = request.query as Record<string, unknown>;
    const watchParam = query.watch === 'true' || query.watch === '1';
    const parsed = parseRequestInfo(request.method, path, watchParam);
    if (parsed.kind === 'unknown') throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    if (parsed.kind === 'discovery') {
      if (request.method !== 'GET') throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      return serveDiscovery(request, reply, parsed.group, parsed.version, parsed.legacy);
    }
    const info = parsed.info;
    attributes.set(request, { verb: info.verb, group: info.group, resource: info.resource, subresource: info.subresource ?? '' });
    const result = isReviewRequest(info)
      ? handleReview(info, users.get(request)!, () =>
          decodeBody(request.headers['content-type'], Buffer.isBuffer(request.body) ? request.body : undefined, false),
        )
      : await handleResourceRequest(ctx, info, request, reply);
    if (result === undefined) return reply;
    return reply.code(result.code).header('content-type', 'application/json').send(JSON.stringify(result.body));
  };

  const serveDiscovery = (request: FastifyRequest, reply: FastifyReply, group: string | undefined, version: string | undefined, legacy: boolean) => {
    const notFound = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    if (group === undefined) {
      const aggregated = wantsAggregatedDiscovery(request.headers.accept);
      if (aggregated) {
        // kubectl recognises aggregated discovery only by this exact media type; fastify would re-quote it.
        const body = JSON.stringify(aggregatedDiscovery(gvs, legacy, servedSubresources, aggregated));
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': aggregatedContentType(aggregated), vary: 'Accept', 'content-length': Buffer.byteLength(body) });
        reply.raw.end(body);
        return reply;
      }
      return reply.header('vary', 'Accept').send(legacy ? legacyApiVersions(serverAddress) : legacyApiGroupList(gvs));
    }
    if (version === undefined) {
      const gv = gvs.find((g) => g.group === group && group !== '');
      if (!gv) throw notFound();
      return reply.send(legacyApiGroup(gv));
    }
    const gv = gvs.find((g) => g.group === group && g.version === version);
    if (!gv) throw notFound();
    return reply.send(apiResourceList(gv, servedSubresources));
  };

  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/api', handler: resourceRoute });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/apis', handler: resourceRoute });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/*', handler: resourceRoute });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/apis/*', handler: resourceRoute });

  await ensureSystemNamespaces(stores.get(storeKey('', 'v1', 'namespaces'))!);
  const advertised = /^(.*):(\d+)$/.exec(serverAddress);
  const kubernetesService = new KubernetesServiceController({
    storage,
    services: stores.get(storeKey('', 'v1', 'services'))!,
    endpoints: stores.get(storeKey('', 'v1', 'endpoints'))!,
    endpointSlices: stores.get(storeKey('discovery.k8s.io', 'v1', 'endpointslices'))!,
    serviceIP: serviceAllocators.ipRange.firstIP(),
    publicIP: advertised?.[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1',
    port: Number(advertised?.[2] ?? 6443) || 6443,
  });
  await kubernetesService.ensureService();
  app.addHook('onListen', async () => {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : Number(advertised?.[2] ?? 6443);
    await kubernetesService.start(port);
  });
  app.addHook('preClose', async () => {
    await kubernetesService.stop();
  });
  await namespaces.start();
  // Start every resource's watch cache now, while etcd history is short, rather than on its first list
  // (as kube-apiserver initialises its cachers at startup).
  for (const store of stores.values()) void store.list(undefined, { resourceVersion: '0', limit: 1 }).catch(() => undefined);
  return app;
}

async function ensureSystemNamespaces(store: GenericStore): Promise<void> {
  for (const name of systemNamespaces) {
    try {
      await store.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}
