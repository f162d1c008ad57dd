/** The example manifests users are told to apply are valid for the API server and create what they say. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';

const manifests = join(import.meta.dirname, '../../manifests');
let c: TestCluster;

before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c?.stop();
});

test('kubectl apply -f manifests/ passes server-side validation, then creates every object', async () => {
  const dry = await c.kubectl(['apply', '--dry-run=server', '-f', manifests]);
  assert.equal(dry.code, 0, dry.stderr);
  const applied = await c.kubectl(['apply', '-f', manifests]);
  assert.equal(applied.code, 0, applied.stderr);
  for (const line of ['pod/hello created', 'configmap/web-config created', 'deployment.apps/web created', 'service/web created']) {
    assert.ok(applied.stdout.includes(line), `${line} missing from: ${applied.stdout}`);
  }
  const again = await c.kubectl(['apply', '-f', manifests]);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /configured|created/, 're-applying changes nothing');
  const svc = await c.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
  assert.match(svc.stdout, /^10\.\d+\.\d+\.\d+$/);
});
