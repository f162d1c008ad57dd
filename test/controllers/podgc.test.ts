/**
 * The pod garbage collector against a real API server: orphans of a deleted
 * node are marked Failed with DisruptionTarget/DeletionByPodGC and removed
 * after the quarantine, terminated pods beyond the threshold go oldest first,
 * terminating pods on an out-of-service node are force-deleted, and pods on
 * live nodes are left alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../client/api/meta.ts';
import { isNotFound } from '../../client/rest/api-error.ts';
import { PodGcController } from '../../controllers/podgc/pod-gc-controller.ts';
import { errorText, nodesPath, pod, podsPath, startEndpointHarness, waitFor, type EndpointHarness } from './endpoint-test-harness.ts';

let h: EndpointHarness;
const prefix = `podgc-${process.pid}`;

before(async () => {
  h = await startEndpointHarness();
});
after(async () => {
  await h?.stop();
});

async function createNode(name: string, ready: boolean, taints: object[] = []): Promise<void> {
  await h.client.create(nodesPath(), { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } } as KubeObject);
  await h.client.patch({ ...nodesPath(name), subresource: 'status' }, 'merge', {
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'Test', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] },
  });
}

async function exists(ns: string, name: string): Promise<boolean> {
  try {
    await h.client.get(podsPath(ns, name));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function setPhase(ns: string, name: string, phase: string): Promise<void> {
  await h.client.patch({ ...podsPath(ns, name), subresource: 'status' }, 'merge', { status: { phase } });
}

describe('pod garbage collector', () => {
  it('marks the pods of a deleted node Failed (DeletionByPodGC) and deletes them after the quarantine; pods on live nodes stay', async () => {
    const ns = await h.namespace('orphans');
    const live = `${prefix}-live`;
    const doomed = `${prefix}-doomed`;
    await createNode(live, true);
    await createNode(doomed, true);
    await h.client.create(podsPath(ns), pod('on-live', { nodeName: live }));
    await h.client.create(podsPath(ns), pod('on-doomed', { nodeName: doomed }));
    await h.client.create(podsPath(ns), pod('on-never', { nodeName: `${prefix}-never-existed` }));
    await setPhase(ns, 'on-doomed', 'Running');

    // Watch the doomed pod so the Failed + DisruptionTarget write before its deletion is seen.
    const seen: KubeObject[] = [];
    const types: string[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      try {
        for await (const ev of h.client.watch(podsPath(ns), { fieldSelector: 'metadata.name=on-doomed', signal: abort.signal })) {
          types.push(ev.type);
          if (ev.type === 'MODIFIED' || ev.type === 'DELETED') seen.push(ev.object as KubeObject);
        }
      } catch {
        // aborted
      }
    })();

    const quarantineMs = 1500;
    // Each test stops its own collector, so one test's collector never acts on the next test's pods.
    const stop = await h.startControllers((ctx) => [new PodGcController(ctx, { gcCheckPeriodMs: 200, quarantineMs })]);
    const deletedAt = Date.now();
    await h.client.delete(nodesPath(doomed));

    await waitFor('the orphans to be deleted', async () => (!(await exists(ns, 'on-doomed')) && !(await exists(ns, 'on-never')) ? true : undefined), 30_000);
    assert.ok(Date.now() - deletedAt >= quarantineMs, 'not before the quarantine');
    await waitFor(`the DELETED event (saw ${types.join(', ')})`, () => (types.includes('DELETED') ? true : undefined), 10_000);
    abort.abort();
    await watching;
    const failed = seen.find((o) => (o as { status?: { phase?: string } }).status?.phase === 'Failed') as { status: { conditions: Array<Record<string, string>> } } | undefined;
    assert.ok(failed, `no Failed status before the deletion: ${JSON.stringify(seen.map((o) => (o as { status?: unknown }).status))}`);
    const condition = failed.status.conditions.find((c) => c.type === 'DisruptionTarget');
    assert.equal(condition?.status, 'True');
    assert.equal(condition?.reason, 'DeletionByPodGC');
    assert.equal(condition?.message, 'PodGC: node no longer exists');

    assert.equal(await exists(ns, 'on-live'), true, 'a pod on a live node stays');
    await stop();
    assert.equal(h.errors.length, 0, errorText(h.errors));
  });

  it('deletes the oldest terminated pods beyond the threshold and keeps running ones', async () => {
    const ns = await h.namespace('terminated');
    const node = `${prefix}-worker`;
    await createNode(node, true);
    for (const name of ['old-1', 'old-2']) {
      await h.client.create(podsPath(ns), pod(name, { nodeName: node }));
      await setPhase(ns, name, name === 'old-1' ? 'Succeeded' : 'Failed');
    }
    // creationTimestamp has one-second resolution: the young ones are strictly newer.
    await new Promise((r) => setTimeout(r, 1100));
    for (const name of ['young-1', 'young-2', 'young-3']) {
      await h.client.create(podsPath(ns), pod(name, { nodeName: node }));
      await setPhase(ns, name, 'Succeeded');
    }
    await h.client.create(podsPath(ns), pod('running', { nodeName: node }));
    await setPhase(ns, 'running', 'Running');

    // The threshold counts terminated pods cluster-wide; this namespace holds all of them.
    // Each test stops its own collector, so one test's collector never acts on the next test's pods.
    const stop = await h.startControllers((ctx) => [new PodGcController(ctx, { terminatedPodGcThreshold: 3, gcCheckPeriodMs: 200 })]);
    await waitFor('the two oldest terminated pods to go', async () => (!(await exists(ns, 'old-1')) && !(await exists(ns, 'old-2')) ? true : undefined), 30_000);
    for (const name of ['young-1', 'young-2', 'young-3', 'running']) assert.equal(await exists(ns, name), true, `${name} kept`);
    await stop();
    assert.equal(h.errors.length, 0, errorText(h.errors));
  });

  it('force-deletes a terminating pod on a NotReady node tainted out-of-service, not on a merely NotReady one', async () => {
    const ns = await h.namespace('outofservice');
    const oos = `${prefix}-oos`;
    const notReady = `${prefix}-notready`;
    await createNode(oos, false, [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }]);
    await createNode(notReady, false);
    await h.client.create(podsPath(ns), pod('stuck', { nodeName: oos }));
    await h.client.create(podsPath(ns), pod('waiting', { nodeName: notReady }));
    for (const name of ['stuck', 'waiting']) {
      await setPhase(ns, name, 'Running');
      // Graceful deletion of a bound pod waits for its kubelet, which is gone.
      await h.client.delete(podsPath(ns, name), { gracePeriodSeconds: 3600 });
    }
    assert.equal(await exists(ns, 'stuck'), true);
    // Each test stops its own collector, so one test's collector never acts on the next test's pods.
    const stop = await h.startControllers((ctx) => [new PodGcController(ctx, { gcCheckPeriodMs: 200 })]);
    await waitFor('the pod on the out-of-service node to go', async () => (!(await exists(ns, 'stuck')) ? true : undefined), 30_000);
    assert.equal(await exists(ns, 'waiting'), true, 'a terminating pod on a NotReady node without the taint waits for its kubelet');
    await stop();
    assert.equal(h.errors.length, 0, errorText(h.errors));
  });
});
