/** /metrics on a live server: request counts and latency by verb and resource, watchers, etcd latency. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ApiServerMetricsRegistry, etcdRequestType } from '../../apiserver/metrics/metrics.ts';
import { buildApiServer } from '../../apiserver/server.ts';
import { Etcd3Storage } from '../../apiserver/storage/etcd3/store.ts';
import { startEtcd, type TestEtcd } from '../support/etcd.ts';

let etcd: TestEtcd;
let storage: Etcd3Storage;
let app: FastifyInstance;
const auth = { authorization: 'Bearer t' };

before(async () => {
  etcd = await startEtcd();
  const metrics = new ApiServerMetricsRegistry();
  storage = new Etcd3Storage({ endpoints: [etcd.endpoint], onEtcdCall: (op, key, s) => metrics.observeEtcd(op, etcdRequestType(key), s) });
  app = await buildApiServer({ storage, metrics, authenticator: { authenticate: (t) => (t === 't' ? { username: 'a', uid: 'a', groups: [] } : undefined) } });
});
after(async () => {
  await app?.close();
  await storage?.close();
  await etcd?.stop();
});

it('exposes request, watch and etcd metrics in Prometheus format', async () => {
  await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ metadata: { name: 'm' } }) });
  await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps', headers: auth });
  await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/nope', headers: auth });
  await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1', headers: auth });
  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  const text = res.body;
  assert.match(text, /^apiserver_request_total\{verb="POST",group="",resource="configmaps",subresource="",code="201"\} 1$/m);
  assert.match(text, /^apiserver_request_total\{verb="LIST",group="",resource="configmaps",subresource="",code="200"\} 1$/m);
  assert.match(text, /^apiserver_request_total\{verb="GET",group="",resource="configmaps",subresource="",code="404"\} 1$/m);
  assert.match(text, /^apiserver_request_duration_seconds_bucket\{verb="POST",group="",resource="configmaps",subresource="",le="\+Inf"\} 1$/m);
  assert.match(text, /^apiserver_registered_watchers\{group="",resource="configmaps"\} 0$/m);
  assert.match(text, /^apiserver_request_total\{verb="WATCH",group="",resource="configmaps",subresource="",code="200"\} 1$/m);
  assert.match(text, /^etcd_request_duration_seconds_count\{operation="create",type="configmaps"\} 1$/m);
});
