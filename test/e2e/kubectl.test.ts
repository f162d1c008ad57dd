/**
 * The real /usr/bin/kubectl (1.32) against pier over HTTPS with a generated
 * kubeconfig: apply, re-apply, get in every output format, get -w, describe,
 * label, scale, delete.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c?.stop();
});

const deploymentYaml = (image: string, extraLabel = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web${extraLabel ? `\n    extra: "${extraLabel}"` : ''}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports:
        - containerPort: 80
`;

const podYaml = `apiVersion: v1
kind: Pod
metadata:
  name: web-pod
  labels:
    app: web
    tier: fe
spec:
  containers:
  - name: c1
    image: nginx:1.25
    ports:
    - containerPort: 80
    env:
    - name: A
      value: "1"
  - name: c2
    image: busybox
`;

describe('kubectl', () => {
  it('reports the server version', async () => {
    const out = await c.kubectl(['version', '-o', 'json']);
    const v = JSON.parse(out.stdout);
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
  });

  it('lists api-resources with short names', async () => {
    const out = await c.kubectl(['api-resources']);
    assert.match(out.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(out.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  });

  it('applies, re-applies unchanged, and applies a change', async () => {
    const file = join(c.dir, 'deploy.yaml');
    writeFileSync(file, deploymentYaml('nginx:1.25'));
    assert.equal((await c.kubectl(['apply', '-f', file])).stdout.trim(), 'deployment.apps/web created');
    assert.equal((await c.kubectl(['apply', '-f', file])).stdout.trim(), 'deployment.apps/web unchanged');
    writeFileSync(file, deploymentYaml('nginx:1.26', 'yes'));
    assert.equal((await c.kubectl(['apply', '-f', file])).stdout.trim(), 'deployment.apps/web configured');
    const image = await c.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.labels.extra} {.metadata.generation}']);
    assert.equal(image.stdout, 'nginx:1.26 yes 2');
    assert.equal((await c.kubectl(['apply', '-f', file])).stdout.trim(), 'deployment.apps/web unchanged');
  });

  it('applies a pod and re-applies with a list element removed', async () => {
    const file = join(c.dir, 'pod.yaml');
    writeFileSync(file, podYaml);
    assert.equal((await c.kubectl(['apply', '-f', file])).stdout.trim(), 'pod/web-pod created');
    writeFileSync(file, podYaml.replace('nginx:1.25', 'nginx:1.26').replace('    env:\n    - name: A\n      value: "1"\n', ''));
    // Only the image may change on a pod; kubectl computes a 3-way strategic merge patch.
    const res = await c.kubectl(['apply', '-f', file], { allowFailure: true });
    const pod = JSON.parse((await c.kubectl(['get', 'pod', 'web-pod', '-o', 'json'])).stdout);
    if (res.code === 0) {
      assert.equal(pod.spec.containers[0].image, 'nginx:1.26');
    } else {
      assert.match(res.stderr, /is invalid|Forbidden/);
    }
    assert.equal(pod.spec.containers.length, 2);
  });

  it('gets in every output format', async () => {
    const table = await c.kubectl(['get', 'pods']);
    assert.match(table.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(table.stdout, /^web-pod\s+0\/2\s+Pending\s+0\s+\d+s$/m);
    const wide = await c.kubectl(['get', 'pods', '-o', 'wide']);
    assert.match(wide.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    const yaml = await c.kubectl(['get', 'pod', 'web-pod', '-o', 'yaml']);
    assert.match(yaml.stdout, /^kind: Pod$/m);
    const json = JSON.parse((await c.kubectl(['get', 'pods', '-o', 'json'])).stdout);
    assert.equal(json.kind, 'List');
    assert.ok(json.items.some((p: { metadata: { name: string } }) => p.metadata.name === 'web-pod'));
    assert.equal((await c.kubectl(['get', 'pods', '-o', 'name'])).stdout.trim(), 'pod/web-pod');
    const deploy = await c.kubectl(['get', 'deploy']);
    assert.match(deploy.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    assert.match(deploy.stdout, /^web\s+0\/2\s+0\s+0\s+\d+s$/m);
    const all = await c.kubectl(['get', 'all']);
    assert.match(all.stdout, /pod\/web-pod/);
    assert.match(all.stdout, /deployment\.apps\/web/);
    const labels = await c.kubectl(['get', 'pods', '-l', 'tier=fe', '--show-labels']);
    assert.match(labels.stdout, /app=web,tier=fe/);
    const none = await c.kubectl(['get', 'pods', '-l', 'tier=none']);
    assert.match(none.stderr, /No resources found in default namespace\./);
    const sorted = await c.kubectl(['get', 'pods', '--sort-by=.metadata.name']);
    assert.match(sorted.stdout, /web-pod/);
    const ns = await c.kubectl(['get', 'ns']);
    assert.match(ns.stdout, /^default\s+Active\s+\S+$/m);
    const missing = await c.kubectl(['get', 'pod', 'nope'], { allowFailure: true });
    assert.notEqual(missing.code, 0);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
  });

  it('sees ADDED, MODIFIED and DELETED with get -w', async () => {
    await c.kubectl(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watch-base\n' });
    const watch = c.kubectlStream(['get', 'configmaps', '-w', '--output-watch-events']);
    try {
      // The initial list comes first; every later change arrives as a watch event.
      await watch.waitFor(/watch-base/);
      await c.kubectl(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: "1"\n' });
      await watch.waitFor(/ADDED\s+watched/);
      await c.kubectl(['label', 'configmap', 'watched', 'x=y']);
      await watch.waitFor(/MODIFIED\s+watched/);
      await c.kubectl(['delete', 'configmap', 'watched']);
      await watch.waitFor(/DELETED\s+watched/);
    } finally {
      watch.stop();
    }
  });

  it('describes a pod with its events', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const pod = JSON.parse((await c.kubectl(['get', 'pod', 'web-pod', '-o', 'json'])).stdout);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-pod.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-pod', uid: pod.metadata.uid, apiVersion: 'v1' },
      reason: 'Testing',
      message: 'hello from the test',
      type: 'Normal',
      source: { component: 'test' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    const file = join(c.dir, 'event.json');
    writeFileSync(file, JSON.stringify(event));
    await c.kubectl(['create', '-f', file]);
    const out = await c.kubectl(['describe', 'pod', 'web-pod']);
    assert.match(out.stdout, /^Name:\s+web-pod$/m);
    assert.match(out.stdout, /^Namespace:\s+default$/m);
    assert.match(out.stdout, /Image:\s+nginx/);
    assert.match(out.stdout, /Normal\s+Testing\s+\S+\s+test\s+hello from the test/);
  });

  it('labels and annotates', async () => {
    assert.equal((await c.kubectl(['label', 'pod', 'web-pod', 'env=prod'])).stdout.trim(), 'pod/web-pod labeled');
    assert.equal((await c.kubectl(['label', 'pod', 'web-pod', 'env-'])).stdout.trim(), 'pod/web-pod unlabeled');
    assert.equal((await c.kubectl(['annotate', 'pod', 'web-pod', 'note=hi'])).stdout.trim(), 'pod/web-pod annotated');
    const pod = JSON.parse((await c.kubectl(['get', 'pod', 'web-pod', '-o', 'json'])).stdout);
    assert.equal(pod.metadata.labels.env, undefined);
    assert.equal(pod.metadata.annotations.note, 'hi');
  });

  it('patches with every patch type', async () => {
    await c.kubectl(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"metadata":{"annotations":{"a":"b"}}}}}']);
    await c.kubectl(['patch', 'deploy', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
    await c.kubectl(['patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"2"}]']);
    const d = JSON.parse((await c.kubectl(['get', 'deploy', 'web', '-o', 'json'])).stdout);
    assert.equal(d.spec.template.metadata.annotations.a, 'b');
    assert.equal(d.metadata.labels.m, '1');
    assert.equal(d.metadata.labels.j, '2');
  });

  it('scales a deployment', async () => {
    assert.equal((await c.kubectl(['scale', 'deployment', 'web', '--replicas=5'])).stdout.trim(), 'deployment.apps/web scaled');
    const replicas = await c.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']);
    assert.equal(replicas.stdout, '5');
    await c.kubectl(['scale', 'deployment', 'web', '--current-replicas=5', '--replicas=3']);
    assert.equal((await c.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout, '3');
  });

  it('reports validation errors the Kubernetes way', async () => {
    const file = join(c.dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: c\n');
    const res = await c.kubectl(['apply', '-f', file], { allowFailure: true });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /The Pod "bad" is invalid: spec\.containers\[0\]\.image: Required value/);
    const dup = await c.kubectl(['create', 'configmap', 'dup']);
    assert.equal(dup.code, 0);
    const again = await c.kubectl(['create', 'configmap', 'dup'], { allowFailure: true });
    assert.equal(again.stderr.trim(), 'error: failed to create configmap: configmaps "dup" already exists');
  });

  it('deletes and waits for the object to go', async () => {
    assert.equal((await c.kubectl(['delete', 'pod', 'web-pod'])).stdout.trim(), 'pod "web-pod" deleted');
    assert.equal((await c.kubectl(['delete', '-f', join(c.dir, 'deploy.yaml')])).stdout.trim(), 'deployment.apps "web" deleted');
    const left = await c.kubectl(['get', 'pods,deploy']);
    assert.doesNotMatch(left.stdout, /web/);
  });

  it('creates and deletes a namespace-scoped object in a new namespace', async () => {
    await c.kubectl(['create', 'namespace', 'team-a']);
    await c.kubectl(['-n', 'team-a', 'create', 'configmap', 'cfg', '--from-literal=k=v']);
    const out = await c.kubectl(['get', 'cm', '-A']);
    assert.match(out.stdout, /^team-a\s+cfg\s+1\s+\S+$/m);
  });

  it('runs server-side apply', async () => {
    const file = join(c.dir, 'ssa.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n');
    assert.equal((await c.kubectl(['apply', '--server-side', '-f', file])).stdout.trim(), 'configmap/ssa serverside-applied');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "2"\n');
    await c.kubectl(['apply', '--server-side', '-f', file]);
    assert.equal((await c.kubectl(['get', 'cm', 'ssa', '-o', 'jsonpath={.data.a}'])).stdout, '2');
  });
});
