/**
 * The EndpointSlice controller against a real API server (labels, owner,
 * conditions through readiness and termination, selector changes, named
 * ports, headless, placeholder, slice size limit, Service deletion), and the
 * reconciler's packing rules as a pure function.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../client/api/meta.ts';
import { after, before, describe, it } from 'node:test';
import type { ServicePod, Service } from '../../controllers/endpoint/service-pods.ts';
import { EndpointSliceController } from '../../controllers/endpointslice/endpointslice-controller.ts';
import { reconcileSlices, type EndpointSlice } from '../../controllers/endpointslice/endpointslice-reconciler.ts';
import { errorText, pod, podsPath, servicesPath, setPodStatus, slicesPath, startEndpointHarness, waitFor, type EndpointHarness } from './endpoint-test-harness.ts';

let h: EndpointHarness;

before(async () => {
  h = await startEndpointHarness();
  await h.startControllers((ctx) => [new EndpointSliceController(ctx, { maxEndpointsPerSlice: 10 })]);
});
after(async () => {
  await h?.stop();
});

async function slicesOf(ns: string, svc: string): Promise<EndpointSlice[]> {
  const list = await h.client.list<EndpointSlice>(slicesPath(ns), { labelSelector: `kubernetes.io/service-name=${svc}` });
  return list.items;
}

function endpointsOf(slices: EndpointSlice[]) {
  return slices.flatMap((s) => s.endpoints ?? []).sort((a, b) => (a.addresses[0]! < b.addresses[0]! ? -1 : 1));
}

async function waitSlices(ns: string, svc: string, what: string, ok: (slices: EndpointSlice[]) => boolean): Promise<EndpointSlice[]> {
  let last: EndpointSlice[] = [];
  try {
    return await waitFor(what, async () => {
      last = await slicesOf(ns, svc);
      return ok(last) ? last : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast slices: ${JSON.stringify(last.map((s) => ({ name: s.metadata.name, endpoints: s.endpoints, ports: s.ports })))}\nerrors: ${errorText(h.errors)}`);
  }
}

describe('EndpointSlice controller', () => {
  it('writes labelled, owned slices whose conditions follow readiness and termination', async () => {
    const ns = await h.namespace('eps-ready');
    const a = await h.client.create(podsPath(ns), pod('a', { labels: { app: 'web' }, nodeName: 'node-a', ports: [{ name: 'web', containerPort: 8080 }] }));
    await h.client.create(podsPath(ns), pod('b', { labels: { app: 'web' }, nodeName: 'node-b', ports: [{ name: 'web', containerPort: 8080 }] }));
    await setPodStatus(h.client, ns, 'a', '10.244.1.5', true);
    await setPodStatus(h.client, ns, 'b', '10.244.2.7', false);
    const svc = await h.client.create<KubeObject>(servicesPath(ns), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { team: 'blue' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] },
    } as KubeObject);

    const slices = await waitSlices(ns, 'web', 'a slice with both pods', (s) => endpointsOf(s).length === 2);
    assert.equal(slices.length, 1);
    const slice = slices[0]!;
    assert.match(slice.metadata.name!, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(slice.metadata.labels, {
      team: 'blue',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    assert.deepEqual(slice.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const [epA, epB] = endpointsOf(slices);
    assert.deepEqual(epA, {
      addresses: ['10.244.1.5'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-a',
      targetRef: { kind: 'Pod', namespace: ns, name: 'a', uid: a.metadata.uid },
    });
    assert.deepEqual(epB!.conditions, { ready: false, serving: false, terminating: false });

    await setPodStatus(h.client, ns, 'b', '10.244.2.7', true);
    await waitSlices(ns, 'web', 'b ready', (s) => endpointsOf(s)[1]?.conditions?.ready === true);

    // Graceful deletion: still serving, terminating, no longer ready.
    await h.client.delete(podsPath(ns, 'a'), { gracePeriodSeconds: 30 });
    await waitSlices(ns, 'web', 'a terminating', (s) => {
      const c = endpointsOf(s)[0]?.conditions;
      return c?.terminating === true && c.serving === true && c.ready === false;
    });
    await h.client.delete(podsPath(ns, 'a'), { gracePeriodSeconds: 0 });
    await waitSlices(ns, 'web', 'a gone', (s) => endpointsOf(s).length === 1 && endpointsOf(s)[0]!.addresses[0] === '10.244.2.7');
  });

  it('follows selector changes, keeps a placeholder when nothing matches, and marks headless Services', async () => {
    const ns = await h.namespace('eps-selector');
    await h.client.create(podsPath(ns), pod('x', { labels: { app: 'x' }, hostname: 'x', subdomain: 'h' }));
    await setPodStatus(h.client, ns, 'x', '10.244.3.1', true);
    await h.client.create(servicesPath(ns), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'h' }, spec: { clusterIP: 'None', selector: { app: 'none' }, ports: [{ port: 80 }] } } as never);
    const placeholder = await waitSlices(ns, 'h', 'placeholder', (s) => s.length === 1);
    assert.deepEqual(placeholder[0]!.endpoints ?? [], []);
    assert.deepEqual(placeholder[0]!.ports ?? [], []);
    assert.equal(placeholder[0]!.metadata.labels!['service.kubernetes.io/headless'], '');

    await h.client.patch(servicesPath(ns, 'h'), 'merge', { spec: { selector: { app: 'x' } } });
    const slices = await waitSlices(ns, 'h', 'pod x with its hostname', (s) => s.length === 1 && endpointsOf(s).length === 1);
    assert.equal(endpointsOf(slices)[0]!.hostname, 'x');
    assert.deepEqual(slices[0]!.ports, [{ name: '', port: 80, protocol: 'TCP' }]);
    assert.equal(h.errors.length, 0, errorText(h.errors));
  });

  it('splits endpoints across slices of at most maxEndpointsPerSlice and removes them with the Service', async () => {
    const ns = await h.namespace('eps-split');
    for (let i = 0; i < 25; i++) await h.client.create(podsPath(ns), pod(`p${i}`, { labels: { app: 'many' } }));
    await h.client.create(servicesPath(ns), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'many' }, spec: { selector: { app: 'many' }, ports: [{ port: 80 }] } } as never);
    await Promise.all(Array.from({ length: 25 }, (_, i) => setPodStatus(h.client, ns, `p${i}`, `10.244.6.${i + 1}`, true)));
    const slices = await waitSlices(ns, 'many', '25 endpoints', (s) => endpointsOf(s).length === 25);
    assert.ok(slices.every((s) => (s.endpoints ?? []).length <= 10), JSON.stringify(slices.map((s) => s.endpoints?.length)));
    assert.equal(slices.length, 3);
    assert.equal(new Set(endpointsOf(slices).map((e) => e.addresses[0])).size, 25);
    // Settled: no duplicates appear later either.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(endpointsOf(await slicesOf(ns, 'many')).length, 25);

    await h.client.delete(servicesPath(ns, 'many'));
    await waitSlices(ns, 'many', 'slices gone', (s) => s.length === 0);
  });
});

describe('reconcileSlices', () => {
  const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns', uid: 'svc-uid' }, spec: { selector: { app: 's' }, ports: [{ port: 80 }] } };
  const pods = (n: number, from = 0): ServicePod[] =>
    Array.from({ length: n }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${from + i}`, namespace: 'ns', uid: `u${from + i}`, labels: { app: 's' } },
      status: { phase: 'Running', podIP: `10.1.${Math.floor((from + i) / 250)}.${((from + i) % 250) + 1}`, conditions: [{ type: 'Ready', status: 'True' }] },
    }));
  const named = (changes: ReturnType<typeof reconcileSlices>) =>
    changes.create.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: `s-new${i}`, generation: 1 } }));

  it('packs 250 endpoints into slices of at most 100', () => {
    const changes = reconcileSlices(svc, pods(250), []);
    assert.deepEqual(changes.create.map((s) => s.endpoints!.length), [100, 100, 50]);
    assert.equal(changes.update.length + changes.delete.length, 0);
  });

  it('adds new endpoints to a slice with room instead of making a new one, and leaves the full ones alone', () => {
    const existing = named(reconcileSlices(svc, pods(150), []));
    const changes = reconcileSlices(svc, pods(160), existing);
    assert.equal(changes.create.length, 0);
    assert.equal(changes.update.length, 1);
    assert.equal(changes.update[0]!.endpoints!.length, 60);
    assert.equal(changes.delete.length, 0);
  });

  it('updates only the slice holding a changed endpoint, and deletes an emptied slice', () => {
    const existing = named(reconcileSlices(svc, pods(150), []));
    const changed = pods(150);
    changed[120]!.status!.conditions = [{ type: 'Ready', status: 'False' }];
    const changes = reconcileSlices(svc, changed, existing);
    assert.equal(changes.update.length, 1);
    assert.equal(changes.update[0]!.metadata.name, existing.find((s) => s.endpoints!.some((e) => e.targetRef?.['name'] === 'p120'))!.metadata.name);
    // p100-p149 arrive after a full first slice, so they get a slice of their own; losing them empties it.
    const first = named(reconcileSlices(svc, pods(100), []));
    const grown = reconcileSlices(svc, pods(150), first);
    const two = [...first, ...grown.create.map((s) => ({ ...s, metadata: { ...s.metadata, name: 's-second', generation: 1 } }))];
    assert.equal(two.length, 2);
    const shrunk = reconcileSlices(svc, pods(100), two);
    assert.equal(shrunk.delete.length, 1);
    assert.equal(shrunk.update.length + shrunk.create.length, 0);
  });

  it('swaps to a placeholder when the last endpoint goes, and keeps an existing placeholder', () => {
    const existing = named(reconcileSlices(svc, pods(3), []));
    const empty = reconcileSlices(svc, [], existing);
    assert.equal(empty.create.length, 1);
    assert.deepEqual(empty.create[0]!.endpoints, []);
    assert.equal(empty.delete.length, 1);
    const placeholder = named(empty);
    const again = reconcileSlices(svc, [], placeholder);
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  });
});
