/**
 * Unknown fields end to end, as kube-apiserver treats them: the stock
 * kubectl's default (--validate=strict → fieldValidation=Strict) refuses a
 * manifest with a typo on create and on apply's patch, naming every unknown
 * field, and writes nothing; --validate=warn stores the object without them
 * and prints kubectl's warnings; --validate=false drops them silently. Over
 * HTTP, a write without fieldValidation gets Warning headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';

let c: TestCluster;
const ns = 'field-validation';

before(async () => {
  c = await startTestCluster();
  await c.kubectl(['create', 'namespace', ns]);
});
after(async () => {
  await c?.stop();
});

const deployment = (name: string, extra: { spec?: string; container?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  replicas: 1${extra.spec ?? ''}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: c
        image: busybox${extra.container ?? ''}
`;

const typos = { spec: '\n  replica: 2', container: '\n        imagee: nginx' };

describe('fieldValidation', () => {
  it('kubectl apply (Strict by default) refuses a new object with unknown fields and creates nothing', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], { stdin: deployment('typo', typos), allowFailure: true });
    assert.equal(r.code, 1, r.stdout);
    assert.equal(
      r.stderr.trim(),
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: ' +
        'strict decoding error: unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagee"',
    );
    const get = await c.kubectl(['-n', ns, 'get', 'deployment', 'typo'], { allowFailure: true });
    assert.match(get.stderr, /NotFound|not found/);
  });

  it("kubectl apply refuses a change with an unknown field (apply's patch) and keeps the object as it was", async () => {
    await c.kubectl(['apply', '-f', '-'], { stdin: deployment('patched') });
    const r = await c.kubectl(['apply', '-f', '-'], { stdin: deployment('patched', { spec: '\n  replica: 3' }), allowFailure: true });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /strict decoding error: unknown field "spec\.replica"/);
    const stored = JSON.parse((await c.kubectl(['-n', ns, 'get', 'deployment', 'patched', '-o', 'json'])).stdout);
    assert.equal(stored.spec.replicas, 1);
    assert.equal(stored.spec.replica, undefined);
    assert.equal(stored.metadata.generation, 1);
  });

  it('--validate=warn stores the object without the unknown fields and prints a warning for each', async () => {
    const r = await c.kubectl(['apply', '--validate=warn', '-f', '-'], { stdin: deployment('warned', typos) });
    assert.match(r.stdout, /deployment\.apps\/warned created/);
    assert.match(r.stderr, /Warning: unknown field "spec\.replica"/);
    assert.match(r.stderr, /Warning: unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/);
    const stored = JSON.parse((await c.kubectl(['-n', ns, 'get', 'deployment', 'warned', '-o', 'json'])).stdout);
    assert.equal(stored.spec.replica, undefined);
    assert.equal(stored.spec.template.spec.containers[0].imagee, undefined);
    assert.equal(stored.spec.template.spec.containers[0].image, 'busybox');
  });

  it('--validate=false (Ignore) drops unknown fields without a word', async () => {
    const r = await c.kubectl(['create', '--validate=false', '-f', '-'], { stdin: deployment('ignored', typos) });
    assert.match(r.stdout, /deployment\.apps\/ignored created/);
    assert.equal(r.stderr.trim(), '');
    const stored = JSON.parse((await c.kubectl(['-n', ns, 'get', 'deployment', 'ignored', '-o', 'json'])).stdout);
    assert.equal(stored.spec.replica, undefined);
  });

  it('over HTTP: Warning headers by default, a Status under Strict, silence under Ignore; status writes too', async () => {
    const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labelz: {} }, specc: {}, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const warned = await c.server.api('POST', `/api/v1/namespaces/${ns}/pods`, pod('warned'));
    assert.equal(warned.statusCode, 201, warned.text);
    assert.deepEqual(warned.headers.warning, '299 - "unknown field \\"metadata.labelz\\"", 299 - "unknown field \\"specc\\""');
    assert.equal(warned.json.specc, undefined);
    const strict = await c.server.api('POST', `/api/v1/namespaces/${ns}/pods?fieldValidation=Strict`, pod('strict'));
    assert.equal(strict.statusCode, 400, strict.text);
    assert.equal(strict.json.reason, 'BadRequest');
    assert.equal(strict.json.message, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "metadata.labelz", unknown field "specc"');
    assert.equal((await c.server.api('GET', `/api/v1/namespaces/${ns}/pods/strict`)).statusCode, 404);
    const ignored = await c.server.api('POST', `/api/v1/namespaces/${ns}/pods?fieldValidation=Ignore`, pod('ignored'));
    assert.equal(ignored.statusCode, 201, ignored.text);
    assert.equal(ignored.headers.warning, undefined);
    const status = await c.server.api('PATCH', `/api/v1/namespaces/${ns}/pods/warned/status?fieldValidation=Strict`, { status: { phase: 'Running', phaze: 'x' } }, {
      'content-type': 'application/merge-patch+json',
    });
    assert.equal(status.statusCode, 400, status.text);
    assert.equal(status.json.message, 'strict decoding error: unknown field "status.phaze"');
    const bad = await c.server.api('POST', `/api/v1/namespaces/${ns}/pods?fieldValidation=Loud`, pod('bad'));
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json.message, /fieldValidation: Unsupported value: "Loud"/);
  });
});
