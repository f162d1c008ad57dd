import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldErrorBody } from '../../../apiserver/errors/status-error.ts';
import { isDNS1123Label, isDNS1123Subdomain, isConfigMapKey } from '../../../apiserver/registry/validation/dns.ts';
import { isQualifiedName } from '../../../apiserver/registry/validation/qualified-name.ts';
import { create, deployment, meta, pod, summary, template, update } from './fixtures.ts';

describe('name syntax (apimachinery messages verbatim)', () => {
  it('subdomain', () => {
    assert.deepEqual(isDNS1123Subdomain('example.com'), []);
    assert.deepEqual(isDNS1123Subdomain('Bad_Name'), [
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
  });
  it('label', () => {
    assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
    assert.deepEqual(isDNS1123Label('-x'), [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });
  it('qualified names and config keys', () => {
    assert.deepEqual(isQualifiedName('example.com/app'), []);
    assert.deepEqual(isQualifiedName('/app'), ['prefix part must be non-empty']);
    assert.equal(isQualifiedName('a/b/c').length, 1);
    assert.deepEqual(isConfigMapKey('ok.key_1'), []);
    assert.equal(isConfigMapKey('bad key').length, 1);
  });
});

describe('validateObject', () => {
  const cases: { name: string; kind: string; body: object; want: string[] }[] = [
    { name: 'valid pod', kind: 'Pod', body: pod({ containers: [{ name: 'c', image: 'nginx' }] }), want: [] },
    { name: 'no containers', kind: 'Pod', body: pod({ containers: [] }), want: ['spec.containers: Required'] },
    { name: 'no spec', kind: 'Pod', body: { metadata: meta('web') }, want: ['spec.containers: Required'] },
    { name: 'missing image', kind: 'Pod', body: pod({ containers: [{ name: 'c' }] }), want: ['spec.containers[0].image: Required'] },
    { name: 'empty image', kind: 'Pod', body: pod({ containers: [{ name: 'c', image: '' }] }), want: ['spec.containers[0].image: Required'] },
    { name: 'wrong type', kind: 'Pod', body: pod({ containers: [{ name: 'c', image: 42 }] }), want: ['spec.containers[0].image: TypeInvalid'] },
    {
      name: 'enum',
      kind: 'Pod',
      body: pod({ restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'i' }] }),
      want: ['spec.restartPolicy: NotSupported'],
    },
    {
      name: 'duplicate container names',
      kind: 'Pod',
      body: pod({ containers: [{ name: 'c', image: 'i' }, { name: 'c', image: 'i' }] }),
      want: ['spec.containers[1].name: Duplicate'],
    },
    {
      name: 'port range',
      kind: 'Pod',
      body: pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 0 }, { containerPort: 65536 }] }] }),
      want: ['spec.containers[0].ports[0].containerPort: Invalid', 'spec.containers[0].ports[1].containerPort: Invalid'],
    },
    { name: 'bad pod name', kind: 'Pod', body: { metadata: meta('Web'), spec: { containers: [{ name: 'c', image: 'i' }] } }, want: ['metadata.name: Invalid'] },
    { name: 'no name', kind: 'ConfigMap', body: { metadata: { namespace: 'default' } }, want: ['metadata.name: Required'] },
    { name: 'no namespace', kind: 'ConfigMap', body: { metadata: { name: 'x' } }, want: ['metadata.namespace: Required'] },
    { name: 'namespace on cluster kind', kind: 'Node', body: { metadata: { name: 'n', namespace: 'x' } }, want: ['metadata.namespace: Forbidden'] },
    { name: 'namespace name is a label', kind: 'Namespace', body: { metadata: { name: 'a.b' } }, want: ['metadata.name: Invalid'] },
    { name: 'service name is DNS-1035', kind: 'Service', body: { metadata: meta('1abc'), spec: { ports: [{ port: 80 }] } }, want: ['metadata.name: Invalid'] },
    {
      name: 'bad label value',
      kind: 'ConfigMap',
      body: { metadata: { ...meta('x'), labels: { app: 'has space' } } },
      want: ['metadata.labels: Invalid'],
    },
    {
      name: 'annotations too big',
      kind: 'ConfigMap',
      body: { metadata: { ...meta('x'), annotations: { a: 'x'.repeat(256 * 1024) } } },
      want: ['metadata.annotations: TooLong'],
    },
    { name: 'configmap key', kind: 'ConfigMap', body: { metadata: meta('x'), data: { 'bad key': 'v' } }, want: ['data[bad key]: Invalid'] },
    { name: 'configmap value type', kind: 'ConfigMap', body: { metadata: meta('x'), data: { k: 1 } }, want: ['data[k]: TypeInvalid'] },
    {
      name: 'deployment without selector',
      kind: 'Deployment',
      body: deployment({ template: template({ app: 'web' }) }),
      want: ['spec.selector: Required'],
    },
    {
      name: 'selector mismatch',
      kind: 'Deployment',
      body: deployment({ selector: { matchLabels: { app: 'x' } }, template: template({ app: 'web' }) }),
      want: ['spec.template.metadata.labels: Invalid'],
    },
    {
      name: 'negative replicas',
      kind: 'Deployment',
      body: deployment({ replicas: -1, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }),
      want: ['spec.replicas: Invalid'],
    },
    {
      name: 'template restartPolicy',
      kind: 'ReplicaSet',
      body: { metadata: meta('rs'), spec: { selector: { matchLabels: { a: 'b' } }, template: { ...template({ a: 'b' }), spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } },
      want: ['spec.template.spec.restartPolicy: NotSupported'],
    },
    { name: 'service without ports', kind: 'Service', body: { metadata: meta('svc'), spec: { selector: { a: 'b' } } }, want: ['spec.ports: Required'] },
    {
      name: 'service port names',
      kind: 'Service',
      body: { metadata: meta('svc'), spec: { ports: [{ port: 80 }, { port: 81 }] } },
      want: ['spec.ports[0].name: Required', 'spec.ports[1].name: Required'],
    },
    { name: 'tls secret keys', kind: 'Secret', body: { metadata: meta('s'), type: 'kubernetes.io/tls', data: {} }, want: ['data[tls.crt]: Required', 'data[tls.key]: Required'] },
    { name: 'lease duration', kind: 'Lease', body: { metadata: meta('l'), spec: { leaseDurationSeconds: 0 } }, want: ['spec.leaseDurationSeconds: Invalid'] },
    {
      name: 'event namespace',
      kind: 'Event',
      body: { metadata: meta('e.1', 'default'), involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } },
      want: ['involvedObject.namespace: Invalid'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(summary(create(c.kind, c.body).errs), c.want));
  }

  it('renders messages as kubectl prints them', () => {
    const { errs } = create('Pod', pod({ restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 0 }] }] }));
    assert.deepEqual(
      errs.map((e) => `${e.path}: ${fieldErrorBody(e)}`),
      [
        'spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ],
    );
  });

  it('accepts fields it does not model', () => {
    const body = pod({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
      containers: [{ name: 'c', image: 'i', livenessProbe: { exec: { command: ['true'] } }, securityContext: { runAsUser: 1000 }, futureField: 1 }],
    });
    assert.deepEqual(create('Pod', body).errs, []);
  });

  it('stored objects stay valid when revalidated', () => {
    const { obj } = create('Deployment', deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }));
    const again = create('Deployment', obj);
    assert.deepEqual(again.errs, []);
  });
});

describe('update validation', () => {
  it('deployment selector is immutable', () => {
    const { obj: old } = create('Deployment', deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }));
    const next = structuredClone(old) as any;
    next.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
    next.spec.template.metadata.labels = { app: 'web', tier: 'x' };
    const { errs } = update('Deployment', next, old);
    assert.deepEqual(summary(errs), ['spec.selector: Invalid']);
    assert.equal(errs[0]?.detail, 'field is immutable');
  });

  it('pod spec: image may change, other fields may not', () => {
    const { obj: old } = create('Pod', pod({ containers: [{ name: 'c', image: 'nginx:1' }] }));
    const image = structuredClone(old) as any;
    image.spec.containers[0].image = 'nginx:2';
    image.spec.containers[0].imagePullPolicy = 'IfNotPresent';
    assert.deepEqual(summary(update('Pod', image, old).errs), []);
    const other = structuredClone(old) as any;
    other.spec.containers[0].command = ['sh'];
    assert.deepEqual(summary(update('Pod', other, old).errs), ['spec: Forbidden']);
    const tolerations = structuredClone(old) as any;
    tolerations.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }];
    assert.deepEqual(summary(update('Pod', tolerations, old).errs), []);
  });

  it('immutable configmaps and secrets', () => {
    const { obj: old } = create('ConfigMap', { metadata: meta('c'), data: { a: '1' }, immutable: true });
    assert.deepEqual(summary(update('ConfigMap', { ...old, data: { a: '2' } }, old).errs), ['data: Forbidden']);
    const { obj: s } = create('Secret', { metadata: meta('s'), data: {} });
    assert.deepEqual(summary(update('Secret', { ...s, type: 'kubernetes.io/basic-auth', data: { username: 'dQ==' } }, s).errs), ['type: Invalid']);
  });

  it('service clusterIP carries over and may not change', () => {
    const { obj: old } = create('Service', { metadata: meta('svc'), spec: { ports: [{ port: 80 }], clusterIP: '10.96.0.10' } });
    const omitted = update('Service', { metadata: meta('svc'), spec: { ports: [{ port: 80 }] } }, old);
    assert.deepEqual(omitted.errs, []);
    assert.equal((omitted.obj as any).spec.clusterIP, '10.96.0.10');
    const changed = update('Service', { metadata: meta('svc'), spec: { ports: [{ port: 80 }], clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] } }, old);
    assert.deepEqual(summary(changed.errs), ['spec.clusterIPs[0]: Invalid']);
  });
});
