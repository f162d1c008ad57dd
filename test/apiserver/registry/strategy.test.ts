import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../client/api/meta.ts';
import { defaultPullPolicy } from '../../../apiserver/registry/kinds/pod-spec-defaults.ts';
import { resources } from '../../../apiserver/registry/resources.ts';
import type { ResourceDefinition } from '../../../apiserver/registry/types.ts';
import { create, defOf, deployment, meta, pod, template, update } from './fixtures.ts';

describe('defaults', () => {
  it('pod and container defaults', () => {
    const { obj } = create('Pod', pod({ containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] }));
    const spec = (obj as any).spec;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.deepEqual(spec.securityContext, {});
    assert.equal(spec.enableServiceLinks, true);
    assert.deepEqual(spec.containers[0], {
      name: 'c',
      image: 'nginx',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    assert.deepEqual((obj as any).status, { phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('imagePullPolicy follows the tag', () => {
    const cases: [string, string][] = [
      ['nginx', 'Always'],
      ['nginx:latest', 'Always'],
      ['nginx:1.27', 'IfNotPresent'],
      ['localhost:5000/app', 'Always'],
      ['localhost:5000/app:v2', 'IfNotPresent'],
      ['nginx@sha256:abc', 'IfNotPresent'],
    ];
    for (const [image, want] of cases) assert.equal(defaultPullPolicy(image), want, image);
  });

  it('deployment defaults include the template', () => {
    const { obj } = create('Deployment', deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }));
    const spec = (obj as any).spec;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    assert.equal(spec.template.spec.restartPolicy, 'Always');
    assert.equal(spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(spec.template.spec.enableServiceLinks, undefined, 'enableServiceLinks is a Pod default, not a template one');
    assert.deepEqual((obj as any).status, {});
  });

  it('service, secret, replicaset, namespace defaults', () => {
    const svc = create('Service', { metadata: meta('svc'), spec: { ports: [{ port: 80 }] } }).obj as any;
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.equal(svc.spec.sessionAffinity, 'None');
    assert.deepEqual(svc.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.deepEqual(svc.status, { loadBalancer: {} });
    const secret = create('Secret', { metadata: meta('s'), stringData: { user: 'admin' } }).obj as any;
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(secret.data, { user: Buffer.from('admin').toString('base64') });
    assert.equal(secret.stringData, undefined);
    const rs = create('ReplicaSet', { metadata: meta('rs'), spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }) } }).obj as any;
    assert.equal(rs.spec.replicas, 1);
    const ns = create('Namespace', { metadata: { name: 'team-a' } }).obj as any;
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
    assert.deepEqual(ns.status, { phase: 'Active' });
    assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'team-a');
  });
});

describe('generation and status carry-over', () => {
  const base = () => create('Deployment', deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) })).obj;
  const stored = (): KubeObject => {
    const obj = base();
    (obj as any).status = { replicas: 1, readyReplicas: 1 };
    return obj;
  };

  it('starts at 1 and moves with the spec only', () => {
    assert.equal(base().metadata.generation, 1);
    const old = stored();
    const scaled = structuredClone(old) as any;
    scaled.spec.replicas = 3;
    assert.equal(update('Deployment', scaled, old).obj.metadata.generation, 2);
    const relabeled = structuredClone(old) as any;
    relabeled.metadata.labels = { x: 'y' };
    assert.equal(update('Deployment', relabeled, old).obj.metadata.generation, 1);
    const annotated = structuredClone(old) as any;
    annotated.metadata.annotations = { note: 'copied to replicasets' };
    assert.equal(update('Deployment', annotated, old).obj.metadata.generation, 2);
  });

  it('main resource keeps status; /status keeps spec and labels', () => {
    const old = stored();
    const next = structuredClone(old) as any;
    next.status = { replicas: 99 };
    next.spec.replicas = 5;
    const main = update('Deployment', next, old).obj as any;
    assert.deepEqual(main.status, { replicas: 1, readyReplicas: 1 });
    assert.equal(main.spec.replicas, 5);
    next.metadata.labels = { changed: 'yes' };
    const status = update('Deployment', next, old, 'status').obj as any;
    assert.deepEqual(status.status, { replicas: 99 });
    assert.equal(status.spec.replicas, 1);
    assert.equal(status.metadata.labels, undefined);
  });

  it('replicaset status update keeps generation', () => {
    const old = create('ReplicaSet', { metadata: meta('rs'), spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }) } }).obj;
    const next = structuredClone(old) as any;
    next.status = { replicas: 1 };
    const res = update('ReplicaSet', next, old, 'status');
    assert.deepEqual(res.errs, []);
    assert.equal(res.obj.metadata.generation, 1);
  });

  it('pod status writes cannot change the spec', () => {
    const old = create('Pod', pod({ containers: [{ name: 'c', image: 'nginx' }] })).obj;
    const next = structuredClone(old) as any;
    next.spec.containers[0].image = 'evil';
    next.status = { phase: 'Running' };
    const res = update('Pod', next, old, 'status').obj as any;
    assert.equal(res.spec.containers[0].image, 'nginx');
    assert.equal(res.status.phase, 'Running');
  });
});

describe('pod graceful deletion', () => {
  const grace = (podBody: object, requested?: number) => defOf('Pod').strategy.gracePeriodSeconds!(podBody as KubeObject, requested);
  it('follows CheckGracefulDelete', () => {
    const bound = { metadata: meta('p'), spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30 }, status: { phase: 'Running' } };
    assert.equal(grace(bound), 30);
    assert.equal(grace(bound, 5), 5);
    assert.equal(grace(bound, 0), 0);
    assert.equal(grace(bound, -3), 1);
    assert.equal(grace({ ...bound, spec: { terminationGracePeriodSeconds: 30 } }), 0, 'unbound pods go at once');
    assert.equal(grace({ ...bound, status: { phase: 'Succeeded' } }), 0, 'finished pods go at once');
  });
});

describe('namespace deletion', () => {
  it('is pending while spec.finalizers remain and turns Terminating', () => {
    const ns = create('Namespace', { metadata: { name: 'x' } }).obj;
    const s = defOf('Namespace').strategy;
    assert.equal(s.finalizationPending!(ns), true);
    s.prepareForDelete!(ns);
    assert.equal((ns as any).status.phase, 'Terminating');
    (ns as any).spec.finalizers = [];
    assert.equal(s.finalizationPending!(ns), false);
  });
});

describe('resource table', () => {
  const defs = resources as readonly ResourceDefinition[];
  it('declares the kinds with Kubernetes short names and scopes', () => {
    const rows = defs.map((d) => `${d.group}/${d.plural} ${d.shortNames.join(',')} ${d.namespaced ? 'ns' : 'cluster'} ${d.categories.join(',')}`);
    assert.deepEqual(rows, [
      '/namespaces ns cluster ',
      '/pods po ns all',
      '/nodes no cluster ',
      '/events ev ns ',
      '/configmaps cm ns ',
      '/secrets  ns ',
      '/services svc ns all',
      '/endpoints ep ns ',
      '/serviceaccounts sa ns ',
      'apps/deployments deploy ns all',
      'apps/replicasets rs ns all',
      'apps/daemonsets ds ns all',
      'apps/controllerrevisions  ns ',
      'batch/jobs  ns all',
      'discovery.k8s.io/endpointslices  ns ',
      'coordination.k8s.io/leases  ns ',
    ]);
  });
  it('status and scale subresources', () => {
    assert.deepEqual(defs.filter((d) => d.statusStrategy).map((d) => d.plural), ['namespaces', 'pods', 'nodes', 'services', 'deployments', 'replicasets', 'daemonsets', 'jobs']);
    assert.deepEqual(defs.filter((d) => d.scale).map((d) => d.plural), ['deployments', 'replicasets']);
    assert.ok(defs.every((d) => d.patchMeta), 'every kind has strategic-merge metadata');
  });
  it('field selectors', () => {
    const p = { metadata: meta('p'), spec: { nodeName: 'n1', restartPolicy: 'Always' }, status: { phase: 'Running', podIP: '10.0.0.5' } } as unknown as KubeObject;
    const sel = defOf('Pod').fieldSelectors!;
    assert.equal(sel['spec.nodeName']!(p), 'n1');
    assert.equal(sel['status.phase']!(p), 'Running');
    assert.equal(sel['status.podIP']!(p), '10.0.0.5');
    assert.equal(defOf('Node').fieldSelectors!['spec.unschedulable']!({ metadata: {}, spec: {} }), 'false');
    assert.equal(defOf('ReplicaSet').fieldSelectors!['status.replicas']!({ metadata: {}, status: { replicas: 2 } }), '2');
    const ev = { metadata: {}, involvedObject: { kind: 'Pod', name: 'p' }, source: { component: 'kubelet' } } as unknown as KubeObject;
    assert.equal(defOf('Event').fieldSelectors!['involvedObject.kind']!(ev), 'Pod');
    assert.equal(defOf('Event').fieldSelectors!['source']!(ev), 'kubelet');
  });
});
