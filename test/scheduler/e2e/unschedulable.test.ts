/**
 * A pod that fits nowhere, end to end: the scheduler reports it as
 * kube-scheduler does (PodScheduled=False/Unschedulable with FitError's
 * message, a FailedScheduling Warning event that kubectl describe shows), and
 * places it soon after the cluster event that makes it fit: a node joins, a
 * taint goes, a node is uncordoned, a blocking pod is deleted. "Soon" is well
 * under the queue's 10 s maximum backoff, which a missed requeue would cost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createNode,
  createPod,
  deletePod,
  getPod,
  patchNode,
  scheduleUnschedulable,
  startSchedulerE2E,
  waitFor,
  waitForNodeName,
  waitForUnschedulable,
  type SchedulerE2E,
} from './support.ts';

let e: SchedulerE2E;
before(async () => {
  e = await startSchedulerE2E();
});
after(async () => {
  await e?.stop();
});

/** kube-scheduler's default maximum backoff; a requeue on the event must beat it by far. */
const requeueBudgetMs = 5_000;
const measured: Record<string, number> = {};
after(() => {
  process.stdout.write(`# requeue-to-bind times (ms): ${JSON.stringify(measured)}\n`);
});

/** Runs `change`, then waits for the pod to be bound; returns the node and how long it took. */
async function placedAfter(ns: string, pod: string, what: string, change: () => Promise<unknown>): Promise<string> {
  const start = Date.now();
  await change();
  const node = await waitForNodeName(e.c, ns, pod, 15_000);
  const ms = Date.now() - start;
  measured[what] = ms;
  assert.ok(ms < requeueBudgetMs, `${what}: the pod was bound ${ms} ms after the event, expected well under the 10 s max backoff`);
  return node;
}

describe('unschedulable pods (end to end)', () => {
  it('reports PodScheduled=False, a FailedScheduling event and kubectl describe output with kube-scheduler\'s message', async () => {
    const ns = 'u-report';
    await e.fresh(ns);
    await createNode(e.c, 'ur-small', { cpu: '1', labels: { pool: 'web' } });
    await createNode(e.c, 'ur-other-1', { cpu: '8', labels: { pool: 'batch' } });
    await createNode(e.c, 'ur-other-2', { cpu: '8' });
    const want = "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.";
    await createPod(e.c, ns, 'web', { cpu: '2', nodeSelector: { pool: 'web' } });
    const cond = await waitForUnschedulable(e.c, ns, 'web');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, want);
    const event = await waitFor('a FailedScheduling event', async () => {
      const r = await e.c.server.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dweb,reason%3DFailedScheduling`);
      assert.equal(r.statusCode, 200, r.text);
      return r.json.items[0];
    });
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, want);
    assert.equal(event.involvedObject.kind, 'Pod');
    assert.equal(event.source.component, 'default-scheduler');
    const described = await e.c.kubectl(['describe', 'pod', 'web', '-n', ns]);
    assert.match(described.stdout, /Status:\s+Pending/);
    assert.match(described.stdout, /PodScheduled\s+False/);
    const line = described.stdout.split('\n').find((l) => /Warning\s+FailedScheduling/.test(l));
    assert.ok(line, `kubectl describe shows no FailedScheduling event:\n${described.stdout}`);
    assert.ok(line.includes(want), `kubectl describe event line ${JSON.stringify(line)} lacks ${JSON.stringify(want)}`);
    // And once a fitting node joins, the pod goes there.
    const node = await placedAfter(ns, 'web', 'node added', () => createNode(e.c, 'ur-big-web', { cpu: '4', labels: { pool: 'web' } }));
    assert.equal(node, 'ur-big-web');
    const bound = await e.c.kubectl(['get', 'pod', 'web', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}']);
    assert.equal(bound.stdout, 'True');
  });

  it('does not retry an unschedulable pod until a cluster event could help (its own status write is none)', async () => {
    const ns = 'u-quiet';
    await e.fresh(ns);
    await createNode(e.c, 'uq-1', { cpu: '1' });
    assert.equal(await scheduleUnschedulable(e.c, ns, 'p', { cpu: '2' }), '0/1 nodes are available: 1 Insufficient cpu.');
    const reported = await getPod(e.c, ns, 'p');
    // Past the first two backoffs (1 s, 2 s): a pod requeued by its own condition update would have been tried again.
    await new Promise((r) => setTimeout(r, 3_500));
    const events = await e.c.server.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dp,reason%3DFailedScheduling`);
    assert.equal(events.json.items.length, 1, `FailedScheduling events: ${events.json.items.map((x: { message: string }) => x.message).join(' | ')}`);
    assert.equal((await getPod(e.c, ns, 'p')).metadata.resourceVersion, reported.metadata.resourceVersion, 'the pod was written again');
    assert.equal(e.scheduler.queue.lengths.unschedulable, 1);
    // A change to the pod's spec (a toleration added) is a reason to try again.
    const patched = await e.c.server.api('PATCH', `/api/v1/namespaces/${ns}/pods/p`, { spec: { tolerations: [{ key: 'x', operator: 'Exists', effect: 'NoSchedule' }] } }, {
      'content-type': 'application/strategic-merge-patch+json',
    });
    assert.equal(patched.statusCode, 200, patched.text);
    await waitFor('a second FailedScheduling event', async () => {
      const r = await e.c.server.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dp,reason%3DFailedScheduling`);
      return r.json.items.length === 2 ? true : undefined;
    }, 5_000);
  });

  it('retries when a NoSchedule taint is removed', async () => {
    const ns = 'u-taint';
    await e.fresh(ns);
    await createNode(e.c, 'ut-1', { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] });
    assert.equal(await scheduleUnschedulable(e.c, ns, 'p', { cpu: '1' }), '0/1 nodes are available: 1 node(s) had untolerated taint {maintenance: }.');
    assert.equal(await placedAfter(ns, 'p', 'taint removed', () => patchNode(e.c, 'ut-1', { spec: { taints: null } })), 'ut-1');
  });

  it('retries when a node is uncordoned', async () => {
    const ns = 'u-cordon';
    await e.fresh(ns);
    await createNode(e.c, 'uc-1', { unschedulable: true });
    assert.equal(await scheduleUnschedulable(e.c, ns, 'p', { cpu: '1' }), '0/1 nodes are available: 1 node(s) were unschedulable.');
    assert.equal(await placedAfter(ns, 'p', 'uncordoned', () => patchNode(e.c, 'uc-1', { spec: { unschedulable: null } })), 'uc-1');
  });

  it('retries when a blocking pod is deleted', async () => {
    const ns = 'u-blocker';
    await e.fresh(ns);
    await createNode(e.c, 'ub-1', { cpu: '1' });
    await createPod(e.c, ns, 'blocker', { cpu: '800m', nodeName: 'ub-1' });
    assert.equal(await scheduleUnschedulable(e.c, ns, 'p', { cpu: '500m' }), '0/1 nodes are available: 1 Insufficient cpu.');
    assert.equal(await placedAfter(ns, 'p', 'blocking pod deleted', () => deletePod(e.c, ns, 'blocker')), 'ub-1');
  });

  it('retries when a node label makes the selector match', async () => {
    const ns = 'u-label';
    await e.fresh(ns);
    await createNode(e.c, 'ul-1');
    assert.equal(
      await scheduleUnschedulable(e.c, ns, 'p', { nodeSelector: { team: 'a' } }),
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
    );
    assert.equal(await placedAfter(ns, 'p', 'label added', () => patchNode(e.c, 'ul-1', { metadata: { labels: { team: 'a' } } })), 'ul-1');
  });
});
