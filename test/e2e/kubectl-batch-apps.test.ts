/**
 * The real kubectl 1.32 against pier for the batch/v1, apps/v1 DaemonSet and
 * ControllerRevision, and discovery.k8s.io/v1 kinds: discovery, the typed
 * `create job` (a protobuf body), apply/re-apply, get -o wide, describe,
 * strategic merge patch, and kube's 422 for a Job that restarts Always.
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

const daemonSetYaml = (image: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd
  labels:
    app: fluentd
spec:
  selector:
    matchLabels:
      app: fluentd
  template:
    metadata:
      labels:
        app: fluentd
    spec:
      nodeSelector:
        kubernetes.io/os: linux
      containers:
      - name: fluentd
        image: ${image}
        env:
        - name: LEVEL
          value: info
`;

const endpointSliceYaml = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  labels:
    kubernetes.io/service-name: web
addressType: IPv4
ports:
- name: http
  protocol: TCP
  port: 80
endpoints:
- addresses:
  - 10.1.0.5
  conditions:
    ready: true
  nodeName: node-1
  targetRef:
    kind: Pod
    name: web-1
    namespace: default
- addresses:
  - 10.1.0.6
  conditions:
    ready: false
`;

const controllerRevisionYaml = `apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: fluentd-7d9c
revision: 1
data:
  spec:
    template:
      $patch: replace
`;

const badJobYaml = `apiVersion: batch/v1
kind: Job
metadata:
  name: bad
spec:
  template:
    spec:
      restartPolicy: Always
      containers:
      - name: c
        image: busybox
`;

function write(name: string, text: string): string {
  const file = join(c.dir, name);
  writeFileSync(file, text);
  return file;
}

describe('kubectl with Jobs, DaemonSets, ControllerRevisions and EndpointSlices', () => {
  it('lists them in api-resources', async () => {
    const out = (await c.kubectl(['api-resources'])).stdout;
    assert.match(out, /^daemonsets\s+ds\s+apps\/v1\s+true\s+DaemonSet$/m);
    assert.match(out, /^controllerrevisions\s+apps\/v1\s+true\s+ControllerRevision$/m);
    assert.match(out, /^jobs\s+batch\/v1\s+true\s+Job$/m);
    assert.match(out, /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
    const batch = (await c.kubectl(['api-resources', '--api-group=batch', '-o', 'wide'])).stdout;
    assert.match(batch, /^jobs\s+batch\/v1\s+true\s+Job\s+create,delete,deletecollection,get,list,patch,update,watch\s+all$/m);
  });

  it('creates a job with the typed client (protobuf) and prints its columns', async () => {
    const created = await c.kubectl(['create', 'job', 'j', '--image=busybox', '-v=8', '--', 'echo', 'hi']);
    assert.equal(created.stdout.trim(), 'job.batch/j created');
    assert.match(created.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/, 'kubectl sent protobuf');
    const job = JSON.parse((await c.kubectl(['get', 'job', 'j', '-o', 'json'])).stdout);
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid } });
    assert.equal(job.spec.template.metadata.labels['job-name'], 'j');
    assert.equal(job.spec.template.metadata.labels['batch.kubernetes.io/job-name'], 'j');
    assert.equal(job.spec.template.metadata.labels['controller-uid'], job.metadata.uid);
    assert.equal(job.spec.backoffLimit, 6);
    assert.equal(job.spec.completionMode, 'NonIndexed');
    const table = (await c.kubectl(['get', 'job', 'j'])).stdout;
    assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/m);
    assert.match(table, /^j\s+Running\s+0\/1\s+\d+s$/m);
    const wide = (await c.kubectl(['get', 'job', 'j', '-o', 'wide'])).stdout;
    assert.match(wide, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    assert.match(wide, new RegExp(`^j\\s+Running\\s+0/1\\s+\\d+s\\s+j\\s+busybox\\s+batch\\.kubernetes\\.io/controller-uid=${job.metadata.uid}$`, 'm'));
  });

  it('refuses a Job that restarts Always with kube’s message', async () => {
    const res = await c.kubectl(['apply', '-f', write('bad-job.yaml', badJobYaml)], { allowFailure: true });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /The Job "bad" is invalid: spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
    const raw = await c.server.api('POST', '/apis/batch/v1/namespaces/default/jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'bad' },
      spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    assert.equal(raw.statusCode, 422);
    assert.equal(raw.json.reason, 'Invalid');
    assert.deepEqual(raw.json.details.causes, [
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"', field: 'spec.template.spec.restartPolicy' },
    ]);
  });

  it('applies a DaemonSet, an EndpointSlice and a ControllerRevision, and re-applies them unchanged', async () => {
    const ds = write('ds.yaml', daemonSetYaml('fluentd:v1'));
    const eps = write('eps.yaml', endpointSliceYaml);
    const rev = write('rev.yaml', controllerRevisionYaml);
    assert.equal((await c.kubectl(['apply', '-f', ds])).stdout.trim(), 'daemonset.apps/fluentd created');
    assert.equal((await c.kubectl(['apply', '-f', eps])).stdout.trim(), 'endpointslice.discovery.k8s.io/web-abc created');
    assert.equal((await c.kubectl(['apply', '-f', rev])).stdout.trim(), 'controllerrevision.apps/fluentd-7d9c created');
    assert.equal((await c.kubectl(['apply', '-f', ds])).stdout.trim(), 'daemonset.apps/fluentd unchanged');
    assert.equal((await c.kubectl(['apply', '-f', eps])).stdout.trim(), 'endpointslice.discovery.k8s.io/web-abc unchanged');
    assert.equal((await c.kubectl(['apply', '-f', rev])).stdout.trim(), 'controllerrevision.apps/fluentd-7d9c unchanged');
    const got = JSON.parse((await c.kubectl(['get', 'ds', 'fluentd', '-o', 'json'])).stdout);
    assert.deepEqual(got.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(got.spec.revisionHistoryLimit, 10);
    assert.equal(got.metadata.generation, 1);
    assert.equal(got.metadata.annotations['deprecated.daemonset.template.generation'], '1');

    writeFileSync(ds, daemonSetYaml('fluentd:v2'));
    assert.equal((await c.kubectl(['apply', '-f', ds])).stdout.trim(), 'daemonset.apps/fluentd configured');
    const gens = await c.kubectl(['get', 'ds', 'fluentd', '-o', `jsonpath={.metadata.generation} {.metadata.annotations.deprecated\\.daemonset\\.template\\.generation}`]);
    assert.equal(gens.stdout, '2 2');
  });

  it('gets them with -o wide and all together', async () => {
    const ds = (await c.kubectl(['get', 'ds', '-o', 'wide'])).stdout;
    assert.match(ds, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    assert.match(ds, /^fluentd\s+0\s+0\s+0\s+0\s+0\s+kubernetes\.io\/os=linux\s+\d+s\s+fluentd\s+fluentd:v2\s+app=fluentd$/m);
    const eps = (await c.kubectl(['get', 'endpointslices', '-o', 'wide'])).stdout;
    assert.match(eps, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/m);
    assert.match(eps, /^web-abc\s+IPv4\s+80\s+10\.1\.0\.5,10\.1\.0\.6\s+\d+s$/m);
    const all = (await c.kubectl(['get', 'ds,jobs,endpointslices,controllerrevisions'])).stdout;
    assert.match(all, /^daemonset\.apps\/fluentd\s+0\s+0\s+0\s+0\s+0\s+kubernetes\.io\/os=linux\s+\d+s$/m);
    assert.match(all, /^job\.batch\/j\s+Running\s+0\/1\s+\d+s$/m);
    assert.match(all, /^endpointslice\.discovery\.k8s\.io\/web-abc\s+IPv4\s+80\s+10\.1\.0\.5,10\.1\.0\.6\s+\d+s$/m);
    assert.match(all, /^controllerrevision\.apps\/fluentd-7d9c\s+<none>\s+1\s+\d+s$/m);
    const everything = (await c.kubectl(['get', 'all'])).stdout;
    assert.match(everything, /daemonset\.apps\/fluentd/);
    assert.match(everything, /job\.batch\/j/);
  });

  it('describes a DaemonSet and an EndpointSlice', async () => {
    const ds = (await c.kubectl(['describe', 'ds', 'fluentd'])).stdout;
    assert.match(ds, /^Name:\s+fluentd$/m);
    assert.match(ds, /^Selector:\s+app=fluentd$/m);
    assert.match(ds, /^Node-Selector:\s+kubernetes\.io\/os=linux$/m);
    assert.match(ds, /Image:\s+fluentd:v2/);
    const eps = (await c.kubectl(['describe', 'endpointslice', 'web-abc'])).stdout;
    assert.match(eps, /^Name:\s+web-abc$/m);
    assert.match(eps, /^AddressType:\s+IPv4$/m);
    assert.match(eps, /10\.1\.0\.5/);
    assert.match(eps, /NodeName:\s+node-1/);
  });

  it('strategic-merge-patches DaemonSet containers by name', async () => {
    const patch = '{"spec":{"template":{"spec":{"containers":[{"name":"fluentd","image":"fluentd:v3"},{"name":"sidecar","image":"busybox"}]}}}}';
    assert.equal((await c.kubectl(['patch', 'ds', 'fluentd', '-p', patch])).stdout.trim(), 'daemonset.apps/fluentd patched');
    const got = JSON.parse((await c.kubectl(['get', 'ds', 'fluentd', '-o', 'json'])).stdout);
    const containers = got.spec.template.spec.containers;
    assert.deepEqual(containers.map((x: { name: string; image: string }) => `${x.name}=${x.image}`), ['fluentd=fluentd:v3', 'sidecar=busybox']);
    assert.deepEqual(containers[0].env, [{ name: 'LEVEL', value: 'info' }], 'the merged container keeps its other fields');
    assert.equal(got.metadata.generation, 3);
  });

  it('refuses an EndpointSlice addressType change', async () => {
    const res = await c.kubectl(['patch', 'endpointslice', 'web-abc', '--type=merge', '-p', '{"addressType":"IPv6","endpoints":[]}'], { allowFailure: true });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /addressType: Invalid value: "IPv6": field is immutable/);
  });

  it('deletes them', async () => {
    const out = await c.kubectl(['delete', 'ds/fluentd', 'job/j', 'endpointslice/web-abc', 'controllerrevision/fluentd-7d9c']);
    assert.match(out.stdout, /daemonset\.apps "fluentd" deleted/);
    assert.match(out.stdout, /job\.batch "j" deleted/);
    assert.match(out.stdout, /endpointslice\.discovery\.k8s\.io "web-abc" deleted/);
    assert.match(out.stdout, /controllerrevision\.apps "fluentd-7d9c" deleted/);
  });
});
