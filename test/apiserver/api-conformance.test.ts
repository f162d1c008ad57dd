/**
 * API conformance: every verb and every error of the Kubernetes REST
 * conventions, against the real router and a real etcd.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApiServer } from '../../apiserver/server.ts';
import { Etcd3Storage } from '../../apiserver/storage/etcd3/store.ts';
import { discardMetrics, type InjectServer, startInjectServer } from '../support/inject-server.ts';

let s: InjectServer;
before(async () => {
  s = await startInjectServer();
});
after(async () => {
  await s?.stop();
});

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web', tier: 'fe' }, ...extra },
  spec: { containers: [{ name: 'c1', image: 'busybox:1.36' }] },
});

const cm = (name: string, data: Record<string, string> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

function assertStatus(res: { statusCode: number; json: any }, code: number, reason: string) {
  assert.equal(res.statusCode, code, JSON.stringify(res.json));
  assert.equal(res.json.kind, 'Status');
  assert.equal(res.json.apiVersion, 'v1');
  assert.equal(res.json.status, 'Failure');
  assert.equal(res.json.code, code);
  assert.equal(res.json.reason, reason);
}

describe('discovery and version', () => {
  it('reports Kubernetes 1.32', async () => {
    const res = await s.request({ method: 'GET', url: '/version' });
    assert.equal(res.json.major, '1');
    assert.equal(res.json.minor, '32');
    assert.match(res.json.gitVersion, /^v1\.32\.\d+/);
  });

  it('serves legacy discovery', async () => {
    const api = await s.request({ method: 'GET', url: '/api' });
    assert.deepEqual(api.json.versions, ['v1']);
    const apis = await s.request({ method: 'GET', url: '/apis' });
    const names = apis.json.groups.map((g: any) => g.name);
    assert.ok(names.includes('apps') && names.includes('coordination.k8s.io'));
    const v1 = await s.request({ method: 'GET', url: '/api/v1' });
    const pods = v1.json.resources.find((r: any) => r.name === 'pods');
    assert.equal(pods.kind, 'Pod');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.ok(v1.json.resources.some((r: any) => r.name === 'pods/status'));
    assert.ok(v1.json.resources.some((r: any) => r.name === 'pods/binding'));
    const apps = await s.request({ method: 'GET', url: '/apis/apps/v1' });
    const scale = apps.json.resources.find((r: any) => r.name === 'deployments/scale');
    assert.equal(scale.group, 'autoscaling');
    assert.equal(scale.kind, 'Scale');
  });

  it('serves aggregated discovery with its content type', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const res = await s.request({ method: 'GET', url: '/apis', headers: { accept } });
    assert.match(String(res.headers['content-type']), /as=APIGroupDiscoveryList/);
    const apps = res.json.items.find((i: any) => i.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    assert.equal(deploy.scope, 'Namespaced');
    assert.deepEqual(deploy.responseKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
    const core = await s.request({ method: 'GET', url: '/api', headers: { accept } });
    assert.equal(core.json.items[0].metadata.name, '');
  });

  it('serves an OpenAPI v3 index with fieldValidation on PATCH', async () => {
    const index = await s.request({ method: 'GET', url: '/openapi/v3' });
    const url = index.json.paths['api/v1'].serverRelativeURL;
    const doc = await s.request({ method: 'GET', url });
    const podPath = doc.json.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    assert.deepEqual(podPath.patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
    assert.ok(podPath.patch.parameters.some((p: any) => p.name === 'fieldValidation'));
  });

  it('has the system namespaces', async () => {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const res = await s.request({ method: 'GET', url: `/api/v1/namespaces/${name}` });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json.status.phase, 'Active');
    }
  });
});

describe('authentication and health', () => {
  it('answers 401 to anonymous and bad tokens', async () => {
    const anon = await s.app.inject({ method: 'GET', url: '/api/v1/pods' });
    assert.equal(anon.statusCode, 401);
    assert.equal(JSON.parse(anon.body).reason, 'Unauthorized');
    const bad = await s.app.inject({ method: 'GET', url: '/api/v1/pods', headers: { authorization: 'Bearer nope' } });
    assert.equal(bad.statusCode, 401);
  });

  it('serves health endpoints', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const res = await s.app.inject({ method: 'GET', url: path });
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, 'ok');
    }
    const verbose = await s.app.inject({ method: 'GET', url: '/readyz?verbose' });
    assert.match(verbose.body, /\[\+\]etcd ok/);
  });
});

describe('create, get, update, delete', () => {
  it('creates with server-set metadata and gets it back', async () => {
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/pods', body: pod('crud-1') });
    assert.equal(res.statusCode, 201);
    const m = res.json.metadata;
    assert.match(m.uid, /^[0-9a-f-]{36}$/);
    assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(m.resourceVersion, /^\d+$/);
    assert.equal(m.namespace, 'default');
    assert.equal(res.json.spec.restartPolicy, 'Always');
    const got = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/pods/crud-1' });
    assert.deepEqual(got.json, res.json);
  });

  it('404s a missing object with the Kubernetes message', async () => {
    const res = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/pods/nope' });
    assertStatus(res, 404, 'NotFound');
    assert.equal(res.json.message, 'pods "nope" not found');
    assert.deepEqual(res.json.details, { name: 'nope', kind: 'pods' });
    const dep = await s.request({ method: 'GET', url: '/apis/apps/v1/namespaces/default/deployments/nope' });
    assert.equal(dep.json.message, 'deployments.apps "nope" not found');
    assert.equal(dep.json.details.group, 'apps');
  });

  it('409s a create of an existing name', async () => {
    await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: cm('dup') });
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: cm('dup') });
    assertStatus(res, 409, 'AlreadyExists');
    assert.equal(res.json.message, 'configmaps "dup" already exists');
  });

  it('generates names from generateName', async () => {
    const res = await s.request({
      method: 'POST',
      url: '/api/v1/namespaces/default/configmaps',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } },
    });
    assert.equal(res.statusCode, 201);
    assert.match(res.json.metadata.name, /^gen-[a-z0-9]{5}$/);
  });

  it('404s a create in a missing namespace', async () => {
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/ghost/configmaps', body: cm('x') });
    assertStatus(res, 404, 'NotFound');
    assert.equal(res.json.message, 'namespaces "ghost" not found');
  });

  it('updates with the current resourceVersion and 409s a stale one', async () => {
    const created = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: cm('upd') });
    const v1 = { ...created.json, data: { a: '2' } };
    const ok = await s.request({ method: 'PUT', url: '/api/v1/namespaces/default/configmaps/upd', body: v1 });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json.data.a, '2');
    assert.ok(Number(ok.json.metadata.resourceVersion) > Number(created.json.metadata.resourceVersion));
    const stale = await s.request({ method: 'PUT', url: '/api/v1/namespaces/default/configmaps/upd', body: { ...created.json, data: { a: '3' } } });
    assertStatus(stale, 409, 'Conflict');
    assert.equal(
      stale.json.message,
      'Operation cannot be fulfilled on configmaps "upd": the object has been modified; please apply your changes to the latest version and try again',
    );
    const after = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/upd' });
    assert.equal(after.json.data.a, '2');
  });

  it('rejects a name mismatch between body and URL', async () => {
    const res = await s.request({ method: 'PUT', url: '/api/v1/namespaces/default/configmaps/upd', body: cm('other') });
    assertStatus(res, 400, 'BadRequest');
  });

  it('deletes and returns the object', async () => {
    await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: cm('del') });
    const res = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/del', body: { propagationPolicy: 'Background' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.metadata.name, 'del');
    const gone = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/del' });
    assert.equal(gone.statusCode, 404);
    const again = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/del' });
    assertStatus(again, 404, 'NotFound');
  });

  it('keeps objects with finalizers until the last one is removed', async () => {
    const created = await s.request({
      method: 'POST',
      url: '/api/v1/namespaces/default/configmaps',
      body: { ...cm('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } },
    });
    assert.equal(created.statusCode, 201);
    const del = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/fin' });
    assert.equal(del.statusCode, 200);
    assert.ok(del.json.metadata.deletionTimestamp);
    const still = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/fin' });
    assert.equal(still.statusCode, 200);
    assert.ok(still.json.metadata.deletionTimestamp);
    const addFinalizer = await s.request({
      method: 'PATCH',
      url: '/api/v1/namespaces/default/configmaps/fin',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { finalizers: ['example.com/hold', 'example.com/new'] } },
    });
    assertStatus(addFinalizer, 422, 'Invalid');
    const patch = await s.request({
      method: 'PATCH',
      url: '/api/v1/namespaces/default/configmaps/fin',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { finalizers: null } },
    });
    assert.equal(patch.statusCode, 200);
    const gone = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/fin' });
    assert.equal(gone.statusCode, 404);
  });

  it('deletes unscheduled pods at once and marks scheduled pods for graceful deletion', async () => {
    await s.request({ method: 'POST', url: '/api/v1/namespaces/default/pods', body: pod('grace-a') });
    const a = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/grace-a' });
    assert.equal(a.statusCode, 200);
    assert.equal((await s.request({ method: 'GET', url: '/api/v1/namespaces/default/pods/grace-a' })).statusCode, 404);
    const b = pod('grace-b') as any;
    b.spec.nodeName = 'node-1';
    await s.request({ method: 'POST', url: '/api/v1/namespaces/default/pods', body: b });
    const del = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/grace-b' });
    assert.equal(del.json.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(del.json.metadata.deletionTimestamp);
    const force = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/grace-b', body: { gracePeriodSeconds: 0 } });
    assert.equal(force.statusCode, 200);
    assert.equal((await s.request({ method: 'GET', url: '/api/v1/namespaces/default/pods/grace-b' })).statusCode, 404);
  });

  it('honours delete preconditions', async () => {
    const created = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: cm('pre') });
    const res = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/pre', body: { preconditions: { uid: 'wrong' } } });
    assertStatus(res, 409, 'Conflict');
    const ok = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/pre', body: { preconditions: { uid: created.json.metadata.uid } } });
    assert.equal(ok.statusCode, 200);
  });

  it('supports dryRun without writing', async () => {
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps?dryRun=All', body: cm('dry') });
    assert.equal(res.statusCode, 201);
    assert.equal((await s.request({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/dry' })).statusCode, 404);
  });

  it('deletes a collection by label', async () => {
    for (const n of ['dc-1', 'dc-2', 'dc-3']) {
      await s.request({
        method: 'POST',
        url: '/api/v1/namespaces/default/configmaps',
        body: { ...cm(n), metadata: { name: n, labels: { batch: n === 'dc-3' ? 'b' : 'a' } } },
      });
    }
    const res = await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps?labelSelector=batch%3Da' });
    assert.equal(res.statusCode, 200);
    const left = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/configmaps?labelSelector=batch' });
    assert.deepEqual(left.json.items.map((i: any) => i.metadata.name), ['dc-3']);
  });
});

describe('errors', () => {
  it('400s malformed JSON and YAML', async () => {
    const json = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: '{"kind":', headers: { 'content-type': 'application/json' } });
    assertStatus(json, 400, 'BadRequest');
    const yaml = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: 'a: [b', headers: { 'content-type': 'application/yaml' } });
    assertStatus(yaml, 400, 'BadRequest');
  });

  it('accepts YAML bodies', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n';
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: yaml, headers: { 'content-type': 'application/yaml' } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json.data.k, 'v');
  });

  it('415s an unknown content type', async () => {
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: 'x', headers: { 'content-type': 'text/plain' } });
    assertStatus(res, 415, 'UnsupportedMediaType');
    const patch = await s.request({ method: 'PATCH', url: '/api/v1/namespaces/default/configmaps/x', payload: '{}', headers: { 'content-type': 'application/json' } });
    assertStatus(patch, 415, 'UnsupportedMediaType');
  });

  it('413s a body over 3 MiB', async () => {
    const big = JSON.stringify(cm('big', { a: 'x'.repeat(3 * 1024 * 1024 + 10) }));
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: big, headers: { 'content-type': 'application/json' } });
    assertStatus(res, 413, 'RequestEntityTooLarge');
  });

  it('405s an unsupported verb', async () => {
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps/named', body: cm('named') });
    assertStatus(res, 405, 'MethodNotAllowed');
  });

  it('422s an invalid object with one cause per field', async () => {
    const res = await s.request({
      method: 'POST',
      url: '/api/v1/namespaces/default/pods',
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c1' }] } },
    });
    assertStatus(res, 422, 'Invalid');
    assert.equal(res.json.details.kind, 'Pod');
    assert.equal(res.json.details.name, 'Bad_Name');
    const fields = res.json.details.causes.map((c: any) => c.field);
    assert.ok(fields.includes('metadata.name'), JSON.stringify(res.json));
    assert.ok(fields.includes('spec.containers[0].image'), JSON.stringify(res.json));
    const image = res.json.details.causes.find((c: any) => c.field === 'spec.containers[0].image');
    assert.equal(image.reason, 'FieldValueRequired');
    assert.equal(image.message, 'Required value');
    assert.match(res.json.message, /^Pod "Bad_Name" is invalid: /);
  });

  it('400s a kind or apiVersion that does not match the endpoint', async () => {
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: { ...cm('k'), kind: 'Secret' } });
    assertStatus(res, 400, 'BadRequest');
  });

  it('404s unknown resources and paths', async () => {
    assertStatus(await s.request({ method: 'GET', url: '/api/v1/namespaces/default/widgets' }), 404, 'NotFound');
    assertStatus(await s.request({ method: 'GET', url: '/apis/nope/v1' }), 404, 'NotFound');
    assertStatus(await s.request({ method: 'GET', url: '/nothing/here' }), 404, 'NotFound');
  });
});

describe('list, selectors, pagination', () => {
  before(async () => {
    await s.request({ method: 'POST', url: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sel' } } });
    const specs: [string, Record<string, string>, string | undefined][] = [
      ['p1', { app: 'a', env: 'prod' }, 'n1'],
      ['p2', { app: 'a', env: 'dev' }, 'n2'],
      ['p3', { app: 'b' }, 'n1'],
      ['p4', { app: 'c', env: 'prod' }, undefined],
    ];
    for (const [name, labels, nodeName] of specs) {
      const body: any = pod(name);
      body.metadata.labels = labels;
      if (nodeName) body.spec.nodeName = nodeName;
      const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/sel/pods', body });
      assert.equal(res.statusCode, 201);
    }
  });

  const names = async (query: string) => {
    const res = await s.request({ method: 'GET', url: `/api/v1/namespaces/sel/pods?${query}` });
    assert.equal(res.statusCode, 200, res.text);
    return res.json.items.map((i: any) => i.metadata.name).sort();
  };

  it('lists with the list kind and a resourceVersion', async () => {
    const res = await s.request({ method: 'GET', url: '/api/v1/namespaces/sel/pods' });
    assert.equal(res.json.kind, 'PodList');
    assert.equal(res.json.apiVersion, 'v1');
    assert.match(res.json.metadata.resourceVersion, /^\d+$/);
  });

  it('filters by label selector operators', async () => {
    assert.deepEqual(await names('labelSelector=app%3Da'), ['p1', 'p2']);
    assert.deepEqual(await names('labelSelector=app!%3Da'), ['p3', 'p4']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app in (a,b)')}`), ['p1', 'p2', 'p3']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app notin (a,b)')}`), ['p4']);
    assert.deepEqual(await names('labelSelector=env'), ['p1', 'p2', 'p4']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('!env')}`), ['p3']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app=a,env=prod')}`), ['p1']);
  });

  it('filters by field selector', async () => {
    assert.deepEqual(await names('fieldSelector=spec.nodeName%3Dn1'), ['p1', 'p3']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dp2'), ['p2']);
    assert.deepEqual(await names('fieldSelector=spec.nodeName%3D'), ['p4']);
    assert.deepEqual(await names('fieldSelector=status.phase%3DRunning'), []);
    const all = await s.request({ method: 'GET', url: '/api/v1/pods?fieldSelector=metadata.namespace%3Dsel' });
    assert.equal(all.json.items.length, 4);
  });

  it('400s bad selectors', async () => {
    assertStatus(await s.request({ method: 'GET', url: `/api/v1/namespaces/sel/pods?labelSelector=${encodeURIComponent('a in (')}` }), 400, 'BadRequest');
    assertStatus(await s.request({ method: 'GET', url: '/api/v1/namespaces/sel/pods?fieldSelector=spec.bogus%3Dx' }), 400, 'BadRequest');
  });

  it('paginates with limit and continue at one snapshot', async () => {
    const first = await s.request({ method: 'GET', url: '/api/v1/namespaces/sel/pods?limit=3' });
    assert.equal(first.json.items.length, 3);
    assert.ok(first.json.metadata.continue);
    assert.equal(first.json.metadata.remainingItemCount, 1);
    // A write between pages does not show up in the second page.
    const extra: any = pod('p0');
    await s.request({ method: 'POST', url: '/api/v1/namespaces/sel/pods', body: extra });
    const second = await s.request({ method: 'GET', url: `/api/v1/namespaces/sel/pods?limit=3&continue=${encodeURIComponent(first.json.metadata.continue)}` });
    assert.deepEqual(second.json.items.map((i: any) => i.metadata.name), ['p4']);
    assert.equal(second.json.metadata.continue, undefined);
    assert.equal(second.json.metadata.resourceVersion, first.json.metadata.resourceVersion);
    await s.request({ method: 'DELETE', url: '/api/v1/namespaces/sel/pods/p0' });
  });

  it('renders a Table for kubectl get', async () => {
    const res = await s.request({
      method: 'GET',
      url: '/api/v1/namespaces/sel/pods?limit=500',
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' },
    });
    assert.equal(res.json.kind, 'Table');
    assert.deepEqual(
      res.json.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name),
      ['Name', 'Ready', 'Status', 'Restarts', 'Age'],
    );
    const row = res.json.rows.find((r: any) => r.cells[0] === 'p1');
    assert.equal(row.cells[1], '0/1');
    assert.equal(row.object.kind, 'PartialObjectMetadata');
    const full = await s.request({
      method: 'GET',
      url: '/api/v1/namespaces/sel/pods?includeObject=Object',
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    assert.equal(full.json.rows[0].object.kind, 'Pod');
  });
});

describe('patch', () => {
  const url = '/api/v1/namespaces/default/pods/patch-me';
  before(async () => {
    const body: any = pod('patch-me');
    body.spec.containers.push({ name: 'c2', image: 'busybox', env: [{ name: 'A', value: '1' }] });
    await s.request({ method: 'POST', url: '/api/v1/namespaces/default/pods', body });
  });

  it('applies a JSON merge patch (kubectl label)', async () => {
    const res = await s.request({ method: 'PATCH', url, headers: { 'content-type': 'application/merge-patch+json' }, body: { metadata: { labels: { a: 'b', tier: null } } } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json.metadata.labels, { app: 'web', a: 'b' });
  });

  it('applies a JSON patch and 422s one that does not apply', async () => {
    const res = await s.request({
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/json-patch+json' },
      body: [{ op: 'replace', path: '/spec/containers/0/image', value: 'busybox:1.37' }],
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.spec.containers[0].image, 'busybox:1.37');
    const bad = await s.request({
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/json-patch+json' },
      body: [{ op: 'test', path: '/metadata/name', value: 'other' }],
    });
    assert.equal(bad.statusCode, 422);
  });

  it('applies a strategic merge patch by merge key', async () => {
    const res = await s.request({
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: { spec: { containers: [{ name: 'c2', image: 'busybox:2' }] } },
    });
    assert.equal(res.statusCode, 200, res.text);
    assert.equal(res.json.spec.containers.length, 2);
    assert.equal(res.json.spec.containers[1].image, 'busybox:2');
    assert.deepEqual(res.json.spec.containers[1].env, [{ name: 'A', value: '1' }]);
  });

  it('404s a patch of a missing object', async () => {
    const res = await s.request({ method: 'PATCH', url: '/api/v1/namespaces/default/pods/none', headers: { 'content-type': 'application/merge-patch+json' }, body: {} });
    assertStatus(res, 404, 'NotFound');
  });

  it('409s a patch carrying a stale resourceVersion', async () => {
    const res = await s.request({
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { resourceVersion: '1', labels: { x: 'y' } } },
    });
    assertStatus(res, 409, 'Conflict');
  });
});

describe('status, generation, scale, binding', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd1' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'd1' } },
      template: { metadata: { labels: { app: 'd1' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
  const url = '/apis/apps/v1/namespaces/default/deployments/d1';

  it('bumps generation on spec changes only', async () => {
    const created = await s.request({ method: 'POST', url: '/apis/apps/v1/namespaces/default/deployments', body: deployment });
    assert.equal(created.statusCode, 201, created.text);
    assert.equal(created.json.metadata.generation, 1);
    const label = await s.request({ method: 'PATCH', url, headers: { 'content-type': 'application/merge-patch+json' }, body: { metadata: { labels: { x: 'y' } } } });
    assert.equal(label.json.metadata.generation, 1);
    const spec = await s.request({ method: 'PATCH', url, headers: { 'content-type': 'application/merge-patch+json' }, body: { spec: { replicas: 3 } } });
    assert.equal(spec.json.metadata.generation, 2);
  });

  it('writes status only through /status', async () => {
    const main = await s.request({ method: 'PATCH', url, headers: { 'content-type': 'application/merge-patch+json' }, body: { status: { replicas: 7 } } });
    assert.equal(main.json.status?.replicas, undefined);
    const status = await s.request({
      method: 'PATCH',
      url: `${url}/status`,
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { status: { replicas: 3, observedGeneration: 2 }, spec: { replicas: 99 } },
    });
    assert.equal(status.statusCode, 200, status.text);
    assert.equal(status.json.status.replicas, 3);
    assert.equal(status.json.spec.replicas, 3);
    assert.equal(status.json.metadata.generation, 2);
  });

  it('serves and patches /scale', async () => {
    const scale = await s.request({ method: 'GET', url: `${url}/scale` });
    assert.equal(scale.json.kind, 'Scale');
    assert.equal(scale.json.apiVersion, 'autoscaling/v1');
    assert.equal(scale.json.spec.replicas, 3);
    assert.equal(scale.json.status.selector, 'app=d1');
    const patched = await s.request({ method: 'PATCH', url: `${url}/scale`, headers: { 'content-type': 'application/merge-patch+json' }, body: { spec: { replicas: 5 } } });
    assert.equal(patched.json.spec.replicas, 5);
    const dep = await s.request({ method: 'GET', url });
    assert.equal(dep.json.spec.replicas, 5);
    const put = await s.request({ method: 'PUT', url: `${url}/scale`, body: { ...patched.json, spec: { replicas: 1 }, metadata: { ...patched.json.metadata, resourceVersion: scale.json.metadata.resourceVersion } } });
    assertStatus(put, 409, 'Conflict');
    const negative = await s.request({ method: 'PATCH', url: `${url}/scale`, headers: { 'content-type': 'application/merge-patch+json' }, body: { spec: { replicas: -1 } } });
    assertStatus(negative, 422, 'Invalid');
  });

  it('binds a pod once', async () => {
    await s.request({ method: 'POST', url: '/api/v1/namespaces/default/pods', body: pod('bind-me') });
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } };
    const res = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/pods/bind-me/binding', body: binding });
    assert.equal(res.statusCode, 201, res.text);
    const p = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/pods/bind-me' });
    assert.equal(p.json.spec.nodeName, 'node-a');
    assert.ok(p.json.status.conditions.some((c: any) => c.type === 'PodScheduled' && c.status === 'True'));
    const again = await s.request({ method: 'POST', url: '/api/v1/namespaces/default/pods/bind-me/binding', body: { ...binding, target: { kind: 'Node', name: 'node-b' } } });
    assertStatus(again, 409, 'Conflict');
  });
});

describe('watch', () => {
  it('streams ADDED, MODIFIED, DELETED from a list resourceVersion', async () => {
    const list = await s.request({ method: 'GET', url: '/api/v1/namespaces/default/configmaps' });
    const rv = list.json.metadata.resourceVersion;
    await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: cm('w1') });
    await s.request({ method: 'PATCH', url: '/api/v1/namespaces/default/configmaps/w1', headers: { 'content-type': 'application/merge-patch+json' }, body: { data: { a: '9' } } });
    await s.request({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/w1' });
    const res = await s.request({ method: 'GET', url: `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=1` });
    assert.equal(res.statusCode, 200);
    const events = res.text.trim().split('\n').map((l) => JSON.parse(l));
    const mine = events.filter((e) => e.object.metadata.name === 'w1');
    assert.deepEqual(mine.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.equal(mine[1].object.data.a, '9');
    assert.equal(mine[0].object.kind, 'ConfigMap');
  });

  it('answers a compacted resourceVersion with 410 Expired', async () => {
    for (let i = 0; i < 3; i++) await s.request({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', body: cm(`cmp-${i}`) });
    const rev = await s.storage.currentRevision();
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: s.etcdEndpoint });
    await client.kv.compact({ revision: String(rev), physical: true });
    client.close();
    // A fresh API server's watch cache starts after the compaction, so it cannot replay revision 2.
    const storage = new Etcd3Storage({ endpoints: [s.etcdEndpoint] });
    const fresh = await buildApiServer({ storage, metrics: discardMetrics, authenticator: { authenticate: () => ({ username: 'a', uid: 'a', groups: [] }) } });
    const raw = await fresh.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2&timeoutSeconds=1', headers: { authorization: 'Bearer x' } });
    await fresh.close();
    await storage.close();
    const res = { statusCode: raw.statusCode, text: raw.body, json: raw.statusCode === 410 ? JSON.parse(raw.body) : undefined };
    const expired = res.statusCode === 410 ? res.json : JSON.parse(res.text.trim().split("\n")[0]!).object;
    assert.equal(expired.code, 410);
    assert.equal(expired.reason, 'Expired');
  });
});
