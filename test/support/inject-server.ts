/**
 * An API server on a real etcd, driven through fastify's inject (no socket):
 * the fixture for API conformance tests.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApiServer } from '../../apiserver/server.ts';
import { Etcd3Storage } from '../../apiserver/storage/etcd3/store.ts';
import type { ApiServerMetrics } from '../../apiserver/metrics/metrics.ts';
import { startEtcd } from './etcd.ts';

export const testToken = 'test-admin-token';

/** Metrics that record nothing, for tests that do not look at them. */
export const discardMetrics: ApiServerMetrics = {
  observeRequest() {},
  watchDelta() {},
  observeEtcd() {},
  render: () => '',
};

export interface InjectServer {
  app: FastifyInstance;
  storage: Etcd3Storage;
  etcdEndpoint: string;
  /** inject with the admin token and JSON defaults. */
  request(opts: InjectOptions & { body?: unknown }): Promise<{ statusCode: number; json: any; text: string; headers: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startInjectServer(): Promise<InjectServer> {
  const etcd = await startEtcd();
  const storage = new Etcd3Storage({ endpoints: [etcd.endpoint] });
  const app = await buildApiServer({
    storage,
    authenticator: { authenticate: (t) => (t === testToken ? { username: 'admin', uid: 'admin', groups: ['system:masters'] } : undefined) },
    metrics: discardMetrics,
  });
  return {
    app,
    storage,
    etcdEndpoint: etcd.endpoint,
    async request(opts) {
      const headers: Record<string, string> = { authorization: `Bearer ${testToken}`, ...(opts.headers as Record<string, string> | undefined) };
      let payload = opts.payload;
      if (opts.body !== undefined) {
        payload = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await app.inject({ ...opts, headers, ...(payload !== undefined ? { payload } : {}) });
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { statusCode: res.statusCode, json, text: res.body, headers: res.headers };
    },
    async stop() {
      await app.close();
      await storage.close();
      await etcd.stop();
    },
  };
}
