/**
 * State lives in etcd, not in an API server: restarts lose nothing, two API
 * servers on one etcd agree, concurrent read-modify-write loses no update, and
 * a watch resumed from its last resourceVersion misses and repeats nothing.
 */
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { type ApiServerHandle, startTestCluster, type TestCluster } from '../support/test-cluster.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c?.stop();
});

const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
const cmUrl = (name = '') => `/api/v1/namespaces/default/configmaps${name ? `/${name}` : ''}`;

/** Reads a watch stream's events until `count` arrived or the timeout passes. */
async function collectWatch(server: ApiServerHandle, path: string, count: number, ms = 10_000) {
  const events: { type: string; object: any }[] = [];
  const stream = server.stream(path);
  const deadline = Date.now() + ms;
  try {
    for await (const event of stream.events) {
      events.push(event as { type: string; object: any });
      if (events.length >= count || Date.now() > deadline) break;
    }
  } finally {
    stream.close();
  }
  return events;
}

describe('durability and consistency', () => {
  it('loses nothing across an API server restart', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await c.server.api('POST', cmUrl(), cm(`persist-${i}`, { i: String(i) }));
      assert.equal(res.statusCode, 201);
    }
    const before = await c.server.api('GET', cmUrl());
    await c.restartApiServer();
    const after = await c.server.api('GET', cmUrl());
    assert.deepEqual(
      after.json.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion, i.metadata.uid]),
      before.json.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion, i.metadata.uid]),
    );
  });

  it('ends open watches when an API server stops, so a restart does not wait for them', async () => {
    // A watch the test harness does not know about (the harness would cut its own on stop).
    const access = loadKubeconfig(c.kubeconfigPath);
    const ended = new Promise<void>((resolve, reject) => {
      const req = httpsRequest(`${c.server.url}${cmUrl()}?watch=1`, { ca: access.caPem, agent: false, headers: { authorization: `Bearer ${access.token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    await new Promise((r) => setTimeout(r, 200));
    await c.restartApiServer();
    await ended;
  });

  it('serves consistent reads and watches from two API servers on one etcd', async () => {
    const second = await c.startApiServer();
    try {
      const list = await second.api('GET', cmUrl());
      const rv = list.json.metadata.resourceVersion;
      const watchA = collectWatch(c.server, `${cmUrl()}?watch=1&resourceVersion=${rv}`, 3);
      const watchB = collectWatch(second, `${cmUrl()}?watch=1&resourceVersion=${rv}`, 3);
      const created = await c.server.api('POST', cmUrl(), cm('two-servers', { a: '1' }));
      // A write through one server is visible at once through the other (consistent read).
      const read = await second.api('GET', cmUrl('two-servers'));
      assert.equal(read.statusCode, 200);
      assert.equal(read.json.metadata.resourceVersion, created.json.metadata.resourceVersion);
      const listed = await second.api('GET', cmUrl());
      assert.ok(listed.json.items.some((i: any) => i.metadata.name === 'two-servers'));
      await second.api('PATCH', cmUrl('two-servers'), { data: { a: '2' } }, { 'content-type': 'application/merge-patch+json' });
      await c.server.api('DELETE', cmUrl('two-servers'));
      const [a, b] = await Promise.all([watchA, watchB]);
      const summary = (events: { type: string; object: any }[]) => events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
      assert.deepEqual(summary(a), summary(b));
      assert.deepEqual(a.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      await second.stop();
    }
  });

  it('loses no update with 64 concurrent read-modify-write updaters', async () => {
    await c.server.api('POST', cmUrl(), cm('counter', { n: '0' }));
    const second = await c.startApiServer();
    try {
      const perUpdater = 3;
      let conflicts = 0;
      const updater = async (i: number) => {
        const server = i % 2 === 0 ? c.server : second;
        for (let done = 0; done < perUpdater; ) {
          const cur = await server.api('GET', cmUrl('counter'));
          const next = { ...cur.json, data: { n: String(Number(cur.json.data.n) + 1) } };
          const res = await server.api('PUT', cmUrl('counter'), next);
          if (res.statusCode === 409) {
            conflicts++;
            continue;
          }
          assert.equal(res.statusCode, 200, JSON.stringify(res.json));
          done++;
        }
      };
      await Promise.all(Array.from({ length: 64 }, (_, i) => updater(i)));
      const final = await c.server.api('GET', cmUrl('counter'));
      assert.equal(final.json.data.n, String(64 * perUpdater));
      assert.ok(conflicts > 0, 'expected some 409 conflicts under contention');
    } finally {
      await second.stop();
    }
  });

  it('resumes a watch from its last resourceVersion without missing or repeating', async () => {
    const list = await c.server.api('GET', cmUrl());
    let rv: string = list.json.metadata.resourceVersion;
    const seen: string[] = [];
    const expected: string[] = [];
    for (let round = 0; round < 4; round++) {
      // Writes while nobody watches...
      for (let i = 0; i < 5; i++) {
        const name = `resume-${round}-${i}`;
        await c.server.api('POST', cmUrl(), cm(name, { r: String(round) }));
        expected.push(`ADDED ${name}`);
      }
      if (round === 2) {
        // ...and across an API server restart.
        await c.restartApiServer();
      }
      const events = await collectWatch(c.server, `${cmUrl()}?watch=1&resourceVersion=${rv}`, 5);
      for (const e of events) {
        seen.push(`${e.type} ${e.object.metadata.name}`);
        rv = e.object.metadata.resourceVersion;
      }
    }
    assert.deepEqual(seen, expected);
  });
});
