/**
 * Hostile input: thousands of malformed requests (random and truncated
 * JSON/YAML, wrong types, huge strings and arrays, deep nesting, invalid UTF-8,
 * bad names, unknown paths and verbs). Every answer must be a Status below 500,
 * the server must stay up, and etcd must hold only whole, valid objects.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { resources } from '../../apiserver/registry/resources.ts';
import type { ResourceDefinition } from '../../apiserver/registry/types.ts';
import { validateObject } from '../../apiserver/registry/validation/validate-object.ts';
import { type InjectServer, startInjectServer, testToken } from '../support/inject-server.ts';

let s: InjectServer;
before(async () => {
  s = await startInjectServer();
});
after(async () => {
  await s?.stop();
});

/** mulberry32: a small seeded PRNG so a failure can be replayed with FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const rand = prng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (n: number) => Math.floor(rand() * n);

const validPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'fuzz', labels: { a: 'b' } },
  spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] },
};
const validDeployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'fuzz' },
  spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: validPod.spec } },
};
const validCm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fuzz' }, data: { k: 'v' } };

const weirdValues: unknown[] = [
  null,
  true,
  -1,
  1e308,
  -0,
  '',
  'x'.repeat(70_000),
  '\u0000\uffff',
  [],
  {},
  [[[[[]]]]],
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
  Array.from({ length: 5000 }, (_, i) => i),
  'Bad_Name',
  '../../etc/passwd',
  'a'.repeat(300),
  '-leading-dash',
];

function deep(n: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < n; i++) v = rand() < 0.5 ? { a: v } : [v];
  return v;
}

/** Replaces one random path of a valid object with a weird value. */
function mutate(obj: unknown): unknown {
  const copy = structuredClone(obj) as Record<string, unknown>;
  let cur: Record<string, unknown> = copy;
  for (let depth = 0; depth < 6; depth++) {
    const keys = Object.keys(cur);
    if (keys.length === 0) break;
    const k = pick(keys);
    const next = cur[k];
    if (typeof next !== 'object' || next === null || rand() < 0.3) {
      cur[k] = rand() < 0.1 ? deep(100 + int(400)) : pick(weirdValues);
      return copy;
    }
    cur = next as Record<string, unknown>;
  }
  cur[`extra${int(5)}`] = pick(weirdValues);
  return copy;
}

const paths = [
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces/default/pods/fuzz',
  '/api/v1/namespaces/default/pods/fuzz/status',
  '/api/v1/namespaces/default/pods/fuzz/binding',
  '/api/v1/namespaces/default/configmaps',
  '/api/v1/namespaces/default/configmaps/fuzz',
  '/apis/apps/v1/namespaces/default/deployments',
  '/apis/apps/v1/namespaces/default/deployments/fuzz',
  '/apis/apps/v1/namespaces/default/deployments/fuzz/scale',
  '/api/v1/nodes/fuzz',
  '/api/v1/namespaces/Bad_NS/pods',
  '/api/v1/namespaces/default/pods/%00',
  '/api/v1/namespaces/default/pods/%ZZ',
  '/api/v1/namespaces/default/pods/' + 'a'.repeat(5000),
  '/api/v1/namespaces/default/unknowns/x',
  '/apis/nope/v9/things',
  '/api/v1/namespaces/default/pods/fuzz/x/y/z',
  '/api/v2/pods',
  '/',
  '/apis/apps',
];
const queries = [
  '',
  '?labelSelector=a%20in%20(',
  '?labelSelector=' + 'a'.repeat(400),
  '?fieldSelector=nope%3Dx',
  '?limit=-5',
  '?limit=abc',
  '?continue=garbage',
  '?resourceVersion=abc',
  '?resourceVersion=99999999999',
  '?resourceVersionMatch=Exact',
  '?dryRun=Sometimes',
  '?gracePeriodSeconds=x',
  '?propagationPolicy=Sideways',
  '?includeObject=Everything',
];
const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'HEAD'] as const;
const contentTypes = [
  'application/json',
  'application/yaml',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'application/vnd.kubernetes.protobuf',
  'text/plain',
  '',
  'application/json; charset=utf-16',
];

function body(): string | Buffer {
  const base = pick([validPod, validDeployment, validCm]);
  switch (int(9)) {
    case 0:
      return JSON.stringify(mutate(base));
    case 1: {
      const text = JSON.stringify(base);
      return text.slice(0, int(text.length));
    }
    case 2:
      return Buffer.from(Array.from({ length: int(300) }, () => int(256)));
    case 3:
      return Buffer.concat([Buffer.from('{"metadata":{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]);
    case 4:
      return 'a: [b\n  - : : :\n' + 'x'.repeat(int(100));
    case 5: {
      // Nesting far deeper than any stack, built as text.
      const n = 500 + int(100_000);
      return rand() < 0.5 ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` : `${'['.repeat(n)}${']'.repeat(n)}`;
    }
    case 6:
      return JSON.stringify([{ op: pick(['add', 'remove', 'bogus', 'test', 'move']), path: pick(['/spec', '/metadata/name', '/x/~2', '', '/spec/containers/999999999']), value: pick(weirdValues) }]);
    case 7:
      return 'a: &a [x, x, x, x, x, x, x, x]\nb: *a\n' + Array.from({ length: 20 }, (_, i) => `k${i}: [*a, *a, *a]`).join('\n');
    default:
      return JSON.stringify(mutate(mutate(base)));
  }
}

it(`answers thousands of hostile requests with a Status and no 5xx (FUZZ_SEED=${seed})`, async () => {
  const count = Number(process.env.FUZZ_REQUESTS ?? 3000);
  const failures: string[] = [];
  for (let i = 0; i < count; i++) {
    const method = pick(methods);
    const url = pick(paths) + pick(queries);
    const contentType = pick(contentTypes);
    const headers: Record<string, string> = { authorization: `Bearer ${testToken}`, accept: pick(['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io', '*/*']) };
    if (contentType) headers['content-type'] = contentType;
    const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && method !== 'TRACE';
    const res = await s.app.inject({ method, url, headers, ...(hasBody ? { payload: body() } : {}) });
    const describe = `${method} ${url.slice(0, 120)} [${contentType}] -> ${res.statusCode} ${res.body.slice(0, 200)}`;
    if (res.statusCode >= 500) failures.push(describe);
    else if (res.statusCode >= 400 && method !== 'HEAD') {
      let status: any;
      try {
        status = JSON.parse(res.body);
      } catch {
        failures.push(`not JSON: ${describe}`);
        continue;
      }
      if (status.kind !== 'Status' || status.code !== res.statusCode || typeof status.reason !== 'string') failures.push(`not a Status: ${describe}`);
    }
  }
  // Hostile watches, concurrently (each stays open until its timeout).
  const watches = await Promise.all(
    Array.from({ length: 40 }, () => {
      const url = `${pick(['/api/v1/watch/namespaces/default/pods', '/api/v1/namespaces/default/pods', '/apis/apps/v1/deployments', '/api/v1/nodes'])}${pick(queries)}`;
      return s.app.inject({ method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}watch=1&timeoutSeconds=1`, headers: { authorization: `Bearer ${testToken}` } });
    }),
  );
  for (const res of watches) if (res.statusCode >= 500) failures.push(`watch -> ${res.statusCode} ${res.body.slice(0, 200)}`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} bad answers (FUZZ_SEED=${seed})`);
  const health = await s.app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(health.statusCode, 200);
});

it('leaves only whole, valid objects in etcd', async () => {
  const client = new Etcd3({ hosts: s.etcdEndpoint });
  try {
    const all = await client.getAll().prefix('/registry/').strings();
    const defs = resources as readonly ResourceDefinition[];
    for (const [key, value] of Object.entries(all)) {
      // kube-apiserver's own bookkeeping: Service IP/NodePort bitmaps and API server leases.
      if (key.startsWith('/registry/ranges/') || key.startsWith('/registry/masterleases/')) continue;
      const plural = key.split('/')[2];
      const def = defs.find((d) => d.plural === plural);
      assert.ok(def, `unexpected key ${key}`);
      const obj = JSON.parse(value);
      assert.deepEqual(validateObject(def, obj), [], `${key} holds an invalid object`);
    }
  } finally {
    client.close();
  }
});
