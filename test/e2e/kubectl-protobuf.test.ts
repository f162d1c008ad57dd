/**
 * kubectl 1.32's typed-client commands send `application/vnd.kubernetes.protobuf`
 * bodies (create namespace/configmap/secret/deployment/service/serviceaccount,
 * drain's DeleteOptions or Eviction, auth can-i). They must succeed against pier,
 * and what lands in storage must be what the JSON path would have stored.
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

async function getJson(args: string[]): Promise<any> {
  return JSON.parse((await c.kubectl(['get', ...args, '-o', 'json'])).stdout);
}

describe('kubectl protobuf request bodies', () => {
  it('create namespace', async () => {
    const r = await c.kubectl(['create', 'namespace', 'x']);
    assert.equal(r.stdout.trim(), 'namespace/x created');
    assert.equal((await getJson(['namespace', 'x'])).metadata.name, 'x');
  });

  it('create configmap, with literal and binary data', async () => {
    const file = join(c.dir, 'bin.dat');
    writeFileSync(file, Buffer.from([0x00, 0xff, 0x10]));
    assert.equal((await c.kubectl(['create', 'configmap', 'c', '--from-literal=a=b'])).stdout.trim(), 'configmap/c created');
    assert.deepEqual((await getJson(['configmap', 'c'])).data, { a: 'b' });
    assert.equal((await c.kubectl(['create', 'configmap', 'cbin', `--from-file=${file}`])).stdout.trim(), 'configmap/cbin created');
    assert.deepEqual((await getJson(['configmap', 'cbin'])).binaryData, { 'bin.dat': 'AP8Q' });
  });

  it('create secret generic and docker-registry', async () => {
    assert.equal((await c.kubectl(['create', 'secret', 'generic', 's', '--from-literal=a=b'])).stdout.trim(), 'secret/s created');
    const s = await getJson(['secret', 's']);
    assert.deepEqual(s.data, { a: Buffer.from('b').toString('base64') });
    assert.equal(s.type, 'Opaque');
    await c.kubectl(['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u', '--docker-password=p']);
    const reg = await getJson(['secret', 'reg']);
    assert.equal(reg.type, 'kubernetes.io/dockerconfigjson');
    assert.match(Buffer.from(reg.data['.dockerconfigjson'], 'base64').toString(), /"r\.example"/);
  });

  it('create deployment, then scale it with --current-replicas', async () => {
    const r = await c.kubectl(['create', 'deployment', 'd', '--image=nginx', '--replicas=2', '--port=80', '--', 'nginx', '-g', 'daemon off;']);
    assert.equal(r.stdout.trim(), 'deployment.apps/d created');
    const d = await getJson(['deployment', 'd']);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.selector, { matchLabels: { app: 'd' } });
    const container = d.spec.template.spec.containers[0];
    assert.equal(container.image, 'nginx');
    assert.deepEqual(container.command, ['nginx', '-g', 'daemon off;']);
    assert.equal(container.ports[0].containerPort, 80);

    const s = await c.kubectl(['scale', 'deploy', 'd', '--current-replicas=2', '--replicas=3']);
    assert.equal(s.stdout.trim(), 'deployment.apps/d scaled');
    assert.equal((await getJson(['deployment', 'd'])).spec.replicas, 3);
    const stale = await c.kubectl(['scale', 'deploy', 'd', '--current-replicas=2', '--replicas=4'], { allowFailure: true });
    assert.notEqual(stale.code, 0, 'a wrong --current-replicas must be refused');
  });

  it('create service clusterip and nodeport', async () => {
    assert.equal((await c.kubectl(['create', 'service', 'clusterip', 's', '--tcp=80:8080'])).stdout.trim(), 'service/s created');
    const s = await getJson(['service', 's']);
    assert.equal(s.spec.type, 'ClusterIP');
    assert.deepEqual(s.spec.selector, { app: 's' });
    assert.equal(s.spec.ports[0].port, 80);
    assert.equal(s.spec.ports[0].targetPort, 8080);
    assert.equal(s.spec.ports[0].protocol, 'TCP');
    assert.equal((await c.kubectl(['create', 'service', 'nodeport', 'np', '--tcp=443:https'])).stdout.trim(), 'service/np created');
    const np = await getJson(['service', 'np']);
    assert.equal(np.spec.type, 'NodePort');
    assert.equal(np.spec.ports[0].targetPort, 'https');
  });

  it('create serviceaccount', async () => {
    assert.equal((await c.kubectl(['create', 'serviceaccount', 'sa'])).stdout.trim(), 'serviceaccount/sa created');
    assert.equal((await getJson(['serviceaccount', 'sa'])).metadata.name, 'sa');
  });

  it('drain sends protobuf DeleteOptions (or an Eviction) for each pod', async () => {
    await c.kubectl(['apply', '-f', '-'], {
      stdin: `apiVersion: v1
kind: Node
metadata:
  name: n1
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
spec:
  nodeName: n1
  containers:
  - name: c
    image: nginx
`,
    });
    const r = await c.kubectl(['drain', 'n1', '--force', '--grace-period=0', '--timeout=30s']);
    assert.match(r.stdout, /pod\/p1 (evicted|deleted)/);
    assert.match(r.stdout, /node\/n1 drained/);
    const gone = await c.kubectl(['get', 'pod', 'p1', '-n', 'default'], { allowFailure: true });
    assert.match(gone.stderr, /NotFound/);
  });

  it('answers auth can-i and whoami for the admin', async () => {
    const r = await c.kubectl(['auth', 'can-i', 'get', 'pods']);
    assert.equal(r.stdout.trim(), 'yes');
    const all = await c.kubectl(['auth', 'can-i', '--list'], { allowFailure: true });
    assert.doesNotMatch(all.stderr, /UnsupportedMediaType|BadRequest/);
    const who = await c.kubectl(['auth', 'whoami', '-o', 'json']);
    assert.equal(JSON.parse(who.stdout).status.userInfo.username, 'admin');
  });
});
