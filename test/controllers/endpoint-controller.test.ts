/**
 * The Endpoints controller against a real API server: addresses follow pods
 * becoming ready and unready, selector changes, named targetPorts,
 * publishNotReadyAddresses, headless Services with hostnames, and Service
 * deletion.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { EndpointsController, type Endpoints } from '../../controllers/endpoint/endpoints-controller.ts';
import { repackSubsets } from '../../controllers/endpoint/endpoint-subsets.ts';
import {
  endpointsPath,
  errorText,
  pod,
  podsPath,
  servicesPath,
  setPodStatus,
  startEndpointHarness,
  waitFor,
  type EndpointHarness,
} from './endpoint-test-harness.ts';

let h: EndpointHarness;

before(async () => {
  h = await startEndpointHarness();
  await h.startControllers((ctx) => [new EndpointsController(ctx)]);
});
after(async () => {
  await h?.stop();
});

function service(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels: { team: 'blue' } }, spec };
}

async function endpoints(ns: string, name: string): Promise<Endpoints | undefined> {
  try {
    return await h.client.get<Endpoints>(endpointsPath(ns, name));
  } catch {
    return undefined;
  }
}

/** Waits until the Endpoints' subsets equal `want`. */
async function waitSubsets(ns: string, name: string, want: unknown, what: string): Promise<Endpoints> {
  let last: unknown;
  try {
    return await waitFor(what, async () => {
      const ep = await endpoints(ns, name);
      last = ep?.subsets;
      return ep && isDeepStrictEqual(ep.subsets ?? [], want) ? ep : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast subsets: ${JSON.stringify(last)}\ncontroller errors: ${errorText(h.errors)}`);
  }
}

const ref = (ns: string, name: string, uid: string) => ({ kind: 'Pod', namespace: ns, name, uid });

describe('Endpoints controller', () => {
  it('lists ready pods as addresses and unready ones as notReadyAddresses, resolving named targetPorts', async () => {
    const ns = await h.namespace('ep-ready');
    const ports = [{ name: 'web', containerPort: 8080 }];
    const a = await h.client.create(podsPath(ns), pod('a', { labels: { app: 'web' }, nodeName: 'n1', ports }));
    const b = await h.client.create(podsPath(ns), pod('b', { labels: { app: 'web' }, nodeName: 'n2', ports }));
    await h.client.create(podsPath(ns), pod('no-ip', { labels: { app: 'web' }, ports }));
    await h.client.create(podsPath(ns), pod('other', { labels: { app: 'db' }, ports }));
    await setPodStatus(h.client, ns, 'a', '10.244.1.5', true);
    await setPodStatus(h.client, ns, 'b', '10.244.2.7', false);
    await setPodStatus(h.client, ns, 'other', '10.244.2.9', true);
    await h.client.create(servicesPath(ns), service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] }) as never);

    const port = [{ name: 'http', port: 8080, protocol: 'TCP' }];
    const ep = await waitSubsets(
      ns,
      'web',
      [
        {
          addresses: [{ ip: '10.244.1.5', nodeName: 'n1', targetRef: ref(ns, 'a', a.metadata.uid!) }],
          notReadyAddresses: [{ ip: '10.244.2.7', nodeName: 'n2', targetRef: ref(ns, 'b', b.metadata.uid!) }],
          ports: port,
        },
      ],
      'one ready and one unready address',
    );
    assert.deepEqual(ep.metadata.labels, { team: 'blue' });

    // b turns ready, a unready.
    await setPodStatus(h.client, ns, 'b', '10.244.2.7', true);
    await setPodStatus(h.client, ns, 'a', '10.244.1.5', false);
    await waitSubsets(
      ns,
      'web',
      [
        {
          addresses: [{ ip: '10.244.2.7', nodeName: 'n2', targetRef: ref(ns, 'b', b.metadata.uid!) }],
          notReadyAddresses: [{ ip: '10.244.1.5', nodeName: 'n1', targetRef: ref(ns, 'a', a.metadata.uid!) }],
          ports: port,
        },
      ],
      'readiness flipped',
    );

    // Deleting a pod removes its address.
    await h.client.delete(podsPath(ns, 'a'), { gracePeriodSeconds: 0 });
    await waitSubsets(ns, 'web', [{ addresses: [{ ip: '10.244.2.7', nodeName: 'n2', targetRef: ref(ns, 'b', b.metadata.uid!) }], ports: port }], 'pod a gone');
  });

  it('follows selector changes and leaves out pods without the named port', async () => {
    const ns = await h.namespace('ep-selector');
    const x = await h.client.create(podsPath(ns), pod('x', { labels: { app: 'x' }, ports: [{ name: 'metrics', containerPort: 9090 }] }));
    const y = await h.client.create(podsPath(ns), pod('y', { labels: { app: 'y' }, ports: [{ name: 'metrics', containerPort: 9191 }] }));
    await h.client.create(podsPath(ns), pod('z', { labels: { app: 'y' } }));
    for (const [name, ip] of [['x', '10.244.3.1'], ['y', '10.244.3.2'], ['z', '10.244.3.3']] as const) await setPodStatus(h.client, ns, name, ip, true);
    await h.client.create(servicesPath(ns), service('m', { selector: { app: 'x' }, ports: [{ port: 9000, targetPort: 'metrics' }] }) as never);
    await waitSubsets(ns, 'm', [{ addresses: [{ ip: '10.244.3.1', targetRef: ref(ns, 'x', x.metadata.uid!) }], ports: [{ port: 9090, protocol: 'TCP' }] }], 'selector app=x');
    await h.client.patch(servicesPath(ns, 'm'), 'merge', { spec: { selector: { app: 'y' } } });
    await waitSubsets(ns, 'm', [{ addresses: [{ ip: '10.244.3.2', targetRef: ref(ns, 'y', y.metadata.uid!) }], ports: [{ port: 9191, protocol: 'TCP' }] }], 'selector app=y');
    // A pod relabelled into the selector joins.
    await h.client.patch(podsPath(ns, 'x'), 'merge', { metadata: { labels: { app: 'y' } } });
    await waitSubsets(
      ns,
      'm',
      [
        { addresses: [{ ip: '10.244.3.1', targetRef: ref(ns, 'x', x.metadata.uid!) }], ports: [{ port: 9090, protocol: 'TCP' }] },
        { addresses: [{ ip: '10.244.3.2', targetRef: ref(ns, 'y', y.metadata.uid!) }], ports: [{ port: 9191, protocol: 'TCP' }] },
      ],
      'relabelled pod joins',
    );
  });

  it('publishes unready pods with publishNotReadyAddresses, and hostnames for headless Services', async () => {
    const ns = await h.namespace('ep-headless');
    const p = await h.client.create(podsPath(ns), pod('db-0', { labels: { app: 'db' }, hostname: 'db-0', subdomain: 'db' }));
    await setPodStatus(h.client, ns, 'db-0', '10.244.4.1', false);
    await h.client.create(servicesPath(ns), service('db', { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'db' }, ports: [{ port: 5432 }] }) as never);
    const ep = await waitSubsets(
      ns,
      'db',
      [{ addresses: [{ ip: '10.244.4.1', hostname: 'db-0', targetRef: ref(ns, 'db-0', p.metadata.uid!) }], ports: [{ port: 5432, protocol: 'TCP' }] }],
      'unready pod published with its hostname',
    );
    assert.deepEqual(ep.metadata.labels, { team: 'blue', 'service.kubernetes.io/headless': '' });
    // Headless without ports: addresses alone.
    await h.client.create(servicesPath(ns), service('dns', { clusterIP: 'None', selector: { app: 'db' } }) as never);
    await waitSubsets(ns, 'dns', [{ notReadyAddresses: [{ ip: '10.244.4.1', targetRef: ref(ns, 'db-0', p.metadata.uid!) }] }], 'portless headless');
  });

  it('removes the Endpoints with the Service and leaves selectorless Services alone', async () => {
    const ns = await h.namespace('ep-delete');
    await h.client.create(podsPath(ns), pod('a', { labels: { app: 'a' } }));
    await setPodStatus(h.client, ns, 'a', '10.244.5.1', true);
    await h.client.create(servicesPath(ns), service('a', { selector: { app: 'a' }, ports: [{ port: 80 }] }) as never);
    await waitFor('endpoints for a', () => endpoints(ns, 'a'));
    await h.client.delete(servicesPath(ns, 'a'));
    await waitFor('endpoints gone', async () => ((await endpoints(ns, 'a')) ? undefined : true));

    await h.client.create(servicesPath(ns), service('manual', { ports: [{ port: 80 }] }) as never);
    await h.client.create(endpointsPath(ns), { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }] } as never);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await endpoints(ns, 'manual'))?.subsets?.[0]?.addresses?.[0]?.ip, '192.0.2.1');
    assert.equal(h.errors.length, 0, errorText(h.errors));
  });
});

describe('repackSubsets', () => {
  it('groups addresses by identical port sets and lets not-ready win', () => {
    const a = { ip: '10.0.0.2' };
    const b = { ip: '10.0.0.1' };
    const p80 = { name: 'http', port: 80, protocol: 'TCP' };
    const p443 = { name: 'https', port: 443, protocol: 'TCP' };
    const out = repackSubsets([
      { addresses: [a], ports: [p80] },
      { addresses: [a], ports: [p443] },
      { addresses: [b], ports: [p80] },
      { notReadyAddresses: [b], ports: [p80] },
    ]);
    // Port 80 is offered by a (ready) and b (not ready, which beats its ready entry); 443 by a alone.
    assert.deepEqual(out, [
      { addresses: [a], notReadyAddresses: [b], ports: [p80] },
      { addresses: [a], ports: [p443] },
    ]);
    const c = { ip: '10.0.0.3' };
    assert.deepEqual(repackSubsets([{ addresses: [c], ports: [p443] }, { addresses: [c], ports: [p80] }, { addresses: [a], ports: [p80] }, { addresses: [a], ports: [p443] }]), [
      { addresses: [a, c], ports: [p80, p443] },
    ]);
  });
});
