/**
 * Job, DaemonSet, ControllerRevision and EndpointSlice through their
 * strategies: defaulting, kube's field errors (one per bad field, kube's
 * paths and messages), update rules and `kubectl get` columns.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../client/api/meta.ts';
import { fieldErrorBody, type FieldError } from '../../../apiserver/errors/status-error.ts';
import { patchMetaForKind } from '../../../apiserver/patch/core-patch-meta.ts';
import { create, defOf, meta, summary, template, update } from './fixtures.ts';

const uid = '0f6c1a8e-1111-4222-8333-444455556666';
const now = new Date('2026-01-10T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

function messages(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.path}: ${fieldErrorBody(e)}`);
}

function job(spec: object, extra: object = {}): object {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { ...meta('pi'), uid, ...extra }, spec };
}

const jobTemplate = (restartPolicy = 'Never', labels?: Record<string, string>) => ({
  ...(labels ? { metadata: { labels } } : {}),
  spec: { restartPolicy, containers: [{ name: 'pi', image: 'perl:5.34' }] },
});

function daemonSet(spec: object): object {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('fluentd'), spec };
}

function slice(body: object): object {
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('web-abc'), ...body };
}

function cells(kind: string, obj: object, wide = false): (string | number | boolean | null)[] {
  return defOf(kind)
    .printColumns.filter((c) => wide || c.priority === 0)
    .map((c) => c.cell(obj as KubeObject, now));
}

describe('Job defaults and the generated selector', () => {
  it('fills SetDefaults_Job and stamps the template with name and UID', () => {
    const { obj, errs } = create('Job', job({ template: jobTemplate() }));
    assert.deepEqual(errs, []);
    const spec = obj['spec'] as any;
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.suspend, false);
    assert.equal(spec.manualSelector, false);
    assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    const want = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': uid, 'job-name': 'pi' };
    assert.deepEqual(spec.template.metadata.labels, want);
    assert.deepEqual(obj.metadata.labels, want, 'job labels default to the template labels');
    assert.equal(obj.metadata.generation, 1);
    assert.deepEqual(obj['status'], {});
    assert.equal(spec.template.spec.dnsPolicy, 'ClusterFirst', 'the pod template is defaulted too');
  });

  it('leaves completions unset when only parallelism is given', () => {
    const { obj } = create('Job', job({ parallelism: 3, template: jobTemplate() }));
    assert.equal((obj['spec'] as any).completions, undefined);
    assert.equal((obj['spec'] as any).parallelism, 3);
  });

  it('keeps the user labels of the job and the template', () => {
    const { obj, errs } = create('Job', job({ template: jobTemplate('OnFailure', { app: 'pi' }) }, { labels: { team: 'x' } }));
    assert.deepEqual(errs, []);
    assert.deepEqual(obj.metadata.labels, { team: 'x' });
    assert.equal((obj['spec'] as any).template.metadata.labels.app, 'pi');
  });

  it('backoffLimit defaults to MaxInt32 with backoffLimitPerIndex; podFailurePolicy means Failed replacement', () => {
    const { obj } = create('Job', job({ completionMode: 'Indexed', completions: 2, backoffLimitPerIndex: 1, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] }, template: jobTemplate() }));
    const spec = obj['spec'] as any;
    assert.equal(spec.backoffLimit, 2147483647);
    assert.equal(spec.podReplacementPolicy, 'Failed');
    assert.equal(spec.podFailurePolicy.rules[0].onPodConditions[0].status, 'True');
  });

  it('manualSelector: the selector is the user’s', () => {
    const { obj, errs } = create('Job', job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } }, template: jobTemplate('Never', { app: 'pi' }) }));
    assert.deepEqual(errs, []);
    assert.deepEqual((obj['spec'] as any).selector, { matchLabels: { app: 'pi' } });
    assert.deepEqual((obj['spec'] as any).template.metadata.labels, { app: 'pi' });
  });
});

describe('Job validation', () => {
  const cases: { name: string; body: object; want: string[] }[] = [
    {
      name: 'restartPolicy defaulted to Always',
      body: job({ template: { spec: { containers: [{ name: 'c', image: 'i' }] } } }),
      want: ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'],
    },
    { name: 'negative backoffLimit', body: job({ backoffLimit: -1, template: jobTemplate() }), want: ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0'] },
    { name: 'negative parallelism', body: job({ parallelism: -2, template: jobTemplate() }), want: ['spec.parallelism: Invalid value: -2: must be greater than or equal to 0'] },
    {
      name: 'unknown completionMode',
      body: job({ completionMode: 'Sometimes', template: jobTemplate() }),
      want: ['spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"'],
    },
    { name: 'Indexed without completions', body: job({ completionMode: 'Indexed', parallelism: 2, template: jobTemplate() }), want: ['spec.completions: Required value: when completion mode is Indexed'] },
    { name: 'no containers', body: job({ template: { spec: { restartPolicy: 'Never', containers: [] } } }), want: ['spec.template.spec.containers: Required value'] },
    {
      name: 'manual selector not matching',
      body: job({ manualSelector: true, selector: { matchLabels: { app: 'a' } }, template: jobTemplate('Never', { app: 'b' }) }),
      want: ['spec.template.metadata.labels: Invalid value: {"app":"b"}: `selector` does not match template `labels`'],
    },
    { name: 'manual selector missing', body: job({ manualSelector: true, template: jobTemplate('Never', { app: 'b' }) }), want: ['spec.selector: Required value'] },
    {
      name: 'a generated selector the user overrode',
      body: job({ selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } }, template: jobTemplate() }),
      want: [
        'spec.template.metadata.labels: Invalid value: {"batch.kubernetes.io/controller-uid":"0f6c1a8e-1111-4222-8333-444455556666","batch.kubernetes.io/job-name":"pi","controller-uid":"0f6c1a8e-1111-4222-8333-444455556666","job-name":"pi"}: `selector` does not match template `labels`',
        'spec.selector: Invalid value: {"matchLabels":{"batch.kubernetes.io/controller-uid":"other"}}: `selector` not auto-generated',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(messages(create('Job', c.body).errs), c.want));
  }

  it('a too-long name fails on the generated job-name label', () => {
    const { errs } = create('Job', { ...job({ template: jobTemplate() }), metadata: { ...meta('a'.repeat(64)), uid } });
    assert.ok(summary(errs).includes('spec.template.metadata.labels: Invalid'), summary(errs).join('\n'));
  });
});

describe('Job updates', () => {
  const stored = () => create('Job', job({ template: jobTemplate() })).obj;

  it('bumps generation on spec change only and keeps status', () => {
    const old = { ...stored(), status: { active: 1 } } as KubeObject;
    const same = update('Job', old, old);
    assert.deepEqual(same.errs, []);
    assert.equal(same.obj.metadata.generation, 1);
    const next = structuredClone(old) as any;
    next.spec.backoffLimit = 2;
    next.status = { succeeded: 5 };
    const changed = update('Job', next, old);
    assert.deepEqual(changed.errs, []);
    assert.equal(changed.obj.metadata.generation, 2);
    assert.deepEqual(changed.obj['status'], { active: 1 });
  });

  it('the template, selector, completions and completionMode are immutable', () => {
    const old = stored();
    const next = structuredClone(old) as any;
    next.spec.template.spec.containers[0].image = 'perl:5.36';
    next.spec.selector = { matchLabels: { ...next.spec.selector.matchLabels, extra: 'x' } };
    next.spec.template.metadata.labels.extra = 'x';
    next.spec.completions = 3;
    next.spec.completionMode = 'Indexed';
    const { errs } = update('Job', next, old);
    // The widened selector is also no longer the generated one: one error per path.
    assert.deepEqual(summary(errs), ['spec.selector: Invalid', 'spec.completions: Invalid', 'spec.template: Invalid', 'spec.completionMode: Invalid']);
    // validateCompletions looks at the new mode: an Indexed Job scales completions with parallelism.
    assert.deepEqual(errs.map((e) => e.detail), ['`selector` not auto-generated', 'can only be modified in tandem with spec.parallelism', 'field is immutable', 'field is immutable']);
  });

  it('completions of a NonIndexed Job are immutable', () => {
    const old = stored();
    const next = structuredClone(old) as any;
    next.spec.completions = 3;
    assert.deepEqual(messages(update('Job', next, old).errs), ['spec.completions: Invalid value: 3: field is immutable']);
  });

  it('a suspended Job that never ran may change its scheduling directives', () => {
    const old = create('Job', job({ suspend: true, template: jobTemplate() })).obj;
    const next = structuredClone(old) as any;
    next.spec.template.spec.nodeSelector = { zone: 'a' };
    next.spec.template.metadata.annotations = { note: 'x' };
    assert.deepEqual(update('Job', next, old).errs, []);
    next.spec.template.spec.containers[0].image = 'other';
    assert.deepEqual(summary(update('Job', next, old).errs), ['spec.template: Invalid']);
  });

  it('/status keeps the spec', () => {
    const old = stored();
    const next = structuredClone(old) as any;
    next.spec.backoffLimit = 1;
    next.status = { startTime: ago(10), active: 1 };
    const { obj, errs } = update('Job', next, old, 'status');
    assert.deepEqual(errs, []);
    assert.equal((obj['spec'] as any).backoffLimit, 6);
    assert.equal((obj['status'] as any).active, 1);
  });

  it('selects on status.successful', () => {
    assert.equal(defOf('Job').fieldSelectors?.['status.successful']?.({ metadata: {}, status: { succeeded: 2 } } as KubeObject), '2');
  });
});

describe('DaemonSet', () => {
  const valid = () => daemonSet({ selector: { matchLabels: { app: 'f' } }, template: template({ app: 'f' }) });

  it('defaults RollingUpdate 1/0 and 10 revisions; starts template generation at 1', () => {
    const { obj, errs } = create('DaemonSet', valid());
    assert.deepEqual(errs, []);
    const spec = obj['spec'] as any;
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.template.spec.restartPolicy, 'Always');
    assert.equal(obj.metadata.generation, 1);
    assert.equal(obj.metadata.annotations?.['deprecated.daemonset.template.generation'], '1');
  });

  it('OnDelete gets no rollingUpdate', () => {
    const body = valid() as any;
    body.spec.updateStrategy = { type: 'OnDelete' };
    const { obj, errs } = create('DaemonSet', body);
    assert.deepEqual(errs, []);
    assert.deepEqual((obj['spec'] as any).updateStrategy, { type: 'OnDelete' });
  });

  const cases: { name: string; spec: object; want: string[] }[] = [
    {
      name: 'selector does not match',
      spec: { selector: { matchLabels: { app: 'x' } }, template: template({ app: 'f' }) },
      want: ['spec.template.metadata.labels: Invalid value: {"app":"f"}: `selector` does not match template `labels`'],
    },
    { name: 'empty selector', spec: { selector: {}, template: template({ app: 'f' }) }, want: ['spec.selector: Invalid value: {}: empty selector is invalid for daemonset'] },
    { name: 'no selector', spec: { template: template({ app: 'f' }) }, want: ['spec.selector: Required value'] },
    {
      name: 'restartPolicy',
      spec: { selector: { matchLabels: { app: 'f' } }, template: { ...template({ app: 'f' }), spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'i' }] } } },
      want: ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    },
    {
      name: 'activeDeadlineSeconds',
      spec: { selector: { matchLabels: { app: 'f' } }, template: { ...template({ app: 'f' }), spec: { activeDeadlineSeconds: 5, containers: [{ name: 'c', image: 'i' }] } } },
      want: ['spec.template.spec.activeDeadlineSeconds: Invalid value: 5: activeDeadlineSeconds must be nil for daemon sets'],
    },
    {
      name: 'unknown update strategy',
      spec: { selector: { matchLabels: { app: 'f' } }, template: template({ app: 'f' }), updateStrategy: { type: 'Blue' } },
      want: ['spec.updateStrategy: Unsupported value: {"type":"Blue"}: supported values: "RollingUpdate", "OnDelete"'],
    },
    {
      name: 'surge and unavailable both set',
      spec: { selector: { matchLabels: { app: 'f' } }, template: template({ app: 'f' }), updateStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } } },
      want: ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "10%": may not be set when maxUnavailable is non-zero'],
    },
    {
      name: 'surge and unavailable both zero',
      spec: { selector: { matchLabels: { app: 'f' } }, template: template({ app: 'f' }), updateStrategy: { rollingUpdate: { maxUnavailable: '0%', maxSurge: 0 } } },
      want: ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    },
    {
      name: 'over 100%',
      spec: { selector: { matchLabels: { app: 'f' } }, template: template({ app: 'f' }), updateStrategy: { rollingUpdate: { maxUnavailable: '120%' } } },
      want: ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%'],
    },
    { name: 'negative revisionHistoryLimit', spec: { selector: { matchLabels: { app: 'f' } }, template: template({ app: 'f' }), revisionHistoryLimit: -1 }, want: ['spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0'] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(messages(create('DaemonSet', daemonSet(c.spec)).errs), c.want));
  }

  it('bumps generation and template generation on template change; selector is immutable', () => {
    const old = create('DaemonSet', valid()).obj;
    const sameSpec = update('DaemonSet', { ...structuredClone(old), metadata: { ...old.metadata, annotations: {} } }, old);
    assert.equal(sameSpec.obj.metadata.generation, 1);
    assert.equal(sameSpec.obj.metadata.annotations?.['deprecated.daemonset.template.generation'], '1', 'the client cannot drop it');
    const strategyOnly = structuredClone(old) as any;
    strategyOnly.spec.minReadySeconds = 5;
    const s = update('DaemonSet', strategyOnly, old);
    assert.equal(s.obj.metadata.generation, 2);
    assert.equal(s.obj.metadata.annotations?.['deprecated.daemonset.template.generation'], '1');
    const tpl = structuredClone(old) as any;
    tpl.spec.template.spec.containers[0].image = 'fluentd:2';
    const t = update('DaemonSet', tpl, old);
    assert.deepEqual(t.errs, []);
    assert.equal(t.obj.metadata.generation, 2);
    assert.equal(t.obj.metadata.annotations?.['deprecated.daemonset.template.generation'], '2');
    const sel = structuredClone(old) as any;
    sel.spec.selector = { matchLabels: { app: 'f', x: 'y' } };
    sel.spec.template.metadata.labels.x = 'y';
    assert.deepEqual(summary(update('DaemonSet', sel, old).errs), ['spec.selector: Invalid']);
  });

  it('/status keeps spec and labels', () => {
    const old = create('DaemonSet', valid()).obj;
    const next = structuredClone(old) as any;
    next.spec.minReadySeconds = 9;
    next.metadata.labels = { hacked: 'yes' };
    next.status = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, numberMisscheduled: 0 };
    const { obj, errs } = update('DaemonSet', next, old, 'status');
    assert.deepEqual(errs, []);
    assert.equal((obj['spec'] as any).minReadySeconds, undefined);
    assert.equal(obj.metadata.labels, undefined);
    assert.equal((obj['status'] as any).numberReady, 2);
  });

  it('patch metadata merges template containers by name; updateStrategy has no retainKeys', () => {
    const meta = patchMetaForKind('DaemonSet');
    assert.equal(meta?.fields?.['spec']?.fields?.['template']?.fields?.['spec']?.fields?.['containers']?.mergeKey, 'name');
    assert.equal(meta?.fields?.['spec']?.fields?.['updateStrategy'], undefined);
    assert.equal(patchMetaForKind('Job')?.fields?.['spec']?.fields?.['template']?.fields?.['spec']?.fields?.['containers']?.mergeKey, 'name');
    assert.equal(patchMetaForKind('Job')?.fields?.['status']?.fields?.['conditions']?.mergeKey, 'type');
    assert.deepEqual(patchMetaForKind('EndpointSlice')?.fields?.['endpoints'], undefined, 'endpoints are atomic');
  });
});

describe('ControllerRevision', () => {
  const revision = (extra: object) => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta('fluentd-5d8f'), ...extra });

  it('accepts any JSON data and defaults revision to 0', () => {
    const { obj, errs } = create('ControllerRevision', revision({ data: { spec: { template: { $patch: 'replace' } } } }));
    assert.deepEqual(errs, []);
    assert.equal(obj['revision'], 0);
  });

  it('requires data; revision is non-negative', () => {
    assert.deepEqual(messages(create('ControllerRevision', revision({ revision: 1 })).errs), ['data: Required value: data is mandatory']);
    assert.deepEqual(messages(create('ControllerRevision', revision({ data: {}, revision: -1 })).errs), ['revision: Invalid value: -1: must be greater than or equal to 0']);
  });

  it('data is immutable, revision is not', () => {
    const old = create('ControllerRevision', revision({ data: { a: 1 }, revision: 1 })).obj;
    assert.deepEqual(update('ControllerRevision', { ...structuredClone(old), revision: 2 }, old).errs, []);
    assert.deepEqual(summary(update('ControllerRevision', { ...structuredClone(old), data: { a: 2 } }, old).errs), ['data: Invalid']);
  });

  it('prints CONTROLLER as kind.group/name', () => {
    const obj = {
      metadata: { name: 'fluentd-5d8f', creationTimestamp: ago(90), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'u', controller: true }] },
      revision: 3,
    };
    assert.deepEqual(defOf('ControllerRevision').printColumns.map((c) => c.name), ['Name', 'Controller', 'Revision', 'Age']);
    assert.deepEqual(cells('ControllerRevision', obj), ['fluentd-5d8f', 'daemonset.apps/fluentd', 3, '90s']);
    assert.deepEqual(cells('ControllerRevision', { metadata: { name: 'x' }, revision: 1 })[1], '<none>');
  });
});

describe('EndpointSlice', () => {
  const ep = (addresses: string[], extra: object = {}) => ({ addresses, conditions: { ready: true }, ...extra });

  it('defaults port name and protocol; generation 1', () => {
    const { obj, errs } = create('EndpointSlice', slice({ addressType: 'IPv4', endpoints: [ep(['10.1.0.5'], { nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default' } })], ports: [{ port: 80 }] }));
    assert.deepEqual(errs, []);
    assert.deepEqual((obj['ports'] as any)[0], { port: 80, name: '', protocol: 'TCP' });
    assert.equal(obj.metadata.generation, 1);
  });

  const cases: { name: string; body: object; want: string[] }[] = [
    { name: 'no addressType', body: { endpoints: [] }, want: ['addressType: Required value'] },
    { name: 'unknown addressType', body: { addressType: 'IPX' }, want: ['addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"'] },
    { name: 'bad IPv4', body: { addressType: 'IPv4', endpoints: [ep(['10.1.0.300'])] }, want: ['endpoints[0].addresses[0]: Invalid value: "10.1.0.300": must be a valid IPv4 address'] },
    { name: 'IPv6 in an IPv4 slice', body: { addressType: 'IPv4', endpoints: [ep(['fd00::1'])] }, want: ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address'] },
    { name: 'loopback', body: { addressType: 'IPv4', endpoints: [ep(['127.0.0.1'])] }, want: ['endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'] },
    { name: 'link-local IPv6', body: { addressType: 'IPv6', endpoints: [ep(['fe80::1'])] }, want: ['endpoints[0].addresses[0]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)'] },
    { name: 'FQDN with one segment', body: { addressType: 'FQDN', endpoints: [ep(['web'])] }, want: ['endpoints[0].addresses[0]: Invalid value: "web": should be a domain with at least two segments separated by dots'] },
    { name: 'no addresses', body: { addressType: 'IPv4', endpoints: [ep([])] }, want: ['endpoints[0].addresses: Required value: must contain at least 1 address'] },
    { name: 'bad nodeName', body: { addressType: 'IPv4', endpoints: [ep(['10.0.0.1'], { nodeName: 'Node_1' })] }, want: [`endpoints[0].nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`] },
    { name: 'duplicate port names', body: { addressType: 'IPv4', ports: [{ name: 'http', port: 80 }, { name: 'http', port: 8080 }] }, want: ['ports[1].name: Duplicate value: "http"'] },
    { name: 'bad protocol', body: { addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'HTTP' }] }, want: ['ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'] },
    { name: 'ready is a bool', body: { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: 'yes' } }] }, want: ['endpoints[0].conditions.ready: Invalid value: "yes": must be of type boolean'] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(messages(create('EndpointSlice', slice(c.body)).errs), c.want));
  }

  it('addressType is immutable; generation moves with endpoints and labels, not annotations', () => {
    const old = create('EndpointSlice', slice({ addressType: 'IPv4', endpoints: [ep(['10.1.0.5'])] })).obj;
    assert.deepEqual(messages(update('EndpointSlice', { ...structuredClone(old), addressType: 'IPv6', endpoints: [] }, old).errs), ['addressType: Invalid value: "IPv6": field is immutable']);
    const annotated = update('EndpointSlice', { ...structuredClone(old), metadata: { ...old.metadata, annotations: { a: 'b' } } }, old);
    assert.equal(annotated.obj.metadata.generation, 1);
    const moved = update('EndpointSlice', { ...structuredClone(old), endpoints: [ep(['10.1.0.6'])] }, old);
    assert.equal(moved.obj.metadata.generation, 2);
    const relabelled = update('EndpointSlice', { ...structuredClone(old), metadata: { ...old.metadata, labels: { 'kubernetes.io/service-name': 'web' } } }, old);
    assert.equal(relabelled.obj.metadata.generation, 2);
  });

  it('prints ports, endpoints and <unset>', () => {
    const base = { metadata: { name: 'web-abc', creationTimestamp: ago(30) }, addressType: 'IPv4' };
    assert.deepEqual(defOf('EndpointSlice').printColumns.map((c) => c.name), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    assert.deepEqual(cells('EndpointSlice', { ...base, ports: [{ port: 80 }, { name: 'dns' }, {}], endpoints: [ep(['10.0.0.1', '10.0.0.2'])] }), ['web-abc', 'IPv4', '80,dns,*', '10.0.0.1,10.0.0.2', '30s']);
    assert.deepEqual(cells('EndpointSlice', base), ['web-abc', 'IPv4', '<unset>', '<unset>', '30s']);
    const many = { ...base, ports: [1, 2, 3, 4, 5].map((port) => ({ port })), endpoints: [ep(['10.0.0.1', '10.0.0.2']), ep(['10.0.0.3', '10.0.0.4'])] };
    assert.deepEqual(cells('EndpointSlice', many).slice(2, 4), ['1,2,3 + 2 more...', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...']);
  });
});

describe('Job and DaemonSet columns', () => {
  const jobObj = (status: object, spec: object = { completions: 1, parallelism: 1 }, metadata: object = {}) => ({
    metadata: { name: 'pi', creationTimestamp: ago(600), ...metadata },
    spec: { ...spec, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }, template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }, { name: 'side', image: 'busybox' }] } } },
    status,
  });
  const cond = (type: string, status = 'True') => ({ type, status });

  it('has kube 1.32’s columns', () => {
    assert.deepEqual(defOf('Job').printColumns.map((c) => `${c.name}:${c.priority}`), ['Name:0', 'Status:0', 'Completions:0', 'Duration:0', 'Age:0', 'Containers:1', 'Images:1', 'Selector:1']);
    assert.deepEqual(defOf('DaemonSet').printColumns.map((c) => `${c.name}:${c.priority}`), [
      'Name:0', 'Desired:0', 'Current:0', 'Ready:0', 'Up-to-date:0', 'Available:0', 'Node Selector:0', 'Age:0', 'Containers:1', 'Images:1', 'Selector:1',
    ]);
  });

  const cases: { name: string; obj: object; want: [string, string, string] }[] = [
    { name: 'not started', obj: jobObj({}), want: ['Running', '0/1', ''] },
    { name: 'running', obj: jobObj({ startTime: ago(65), active: 1 }), want: ['Running', '0/1', '65s'] },
    { name: 'complete', obj: jobObj({ startTime: ago(300), completionTime: ago(290), succeeded: 1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }), want: ['Complete', '1/1', '10s'] },
    { name: 'failed', obj: jobObj({ startTime: ago(300), completionTime: ago(100), failed: 7, conditions: [cond('FailureTarget'), cond('Failed')] }), want: ['Failed', '0/1', '3m20s'] },
    { name: 'suspended', obj: jobObj({ conditions: [cond('Suspended')] }), want: ['Suspended', '0/1', ''] },
    { name: 'condition not true', obj: jobObj({ conditions: [cond('Suspended', 'False')] }), want: ['Running', '0/1', ''] },
    { name: 'terminating', obj: jobObj({}, undefined, { deletionTimestamp: ago(1) }), want: ['Terminating', '0/1', ''] },
    { name: 'work queue', obj: jobObj({ succeeded: 1 }, { parallelism: 3 }), want: ['Running', '1/1 of 3', ''] },
    { name: 'no completions, serial', obj: jobObj({}, { parallelism: 1 }), want: ['Running', '0/1', ''] },
  ];
  for (const c of cases) {
    it(`job ${c.name}`, () => assert.deepEqual(cells('Job', c.obj).slice(1, 4), c.want));
  }

  it('job wide columns', () => {
    assert.deepEqual(cells('Job', jobObj({}), true).slice(4), ['10m', 'pi,side', 'perl:5.34,busybox', `batch.kubernetes.io/controller-uid=${uid}`]);
  });

  it('daemonset row', () => {
    const ds = {
      metadata: { name: 'fluentd', creationTimestamp: ago(7200) },
      spec: { selector: { matchLabels: { app: 'f' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'f', image: 'fluentd:1' }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    };
    assert.deepEqual(cells('DaemonSet', ds, true), ['fluentd', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '120m', 'f', 'fluentd:1', 'app=f']);
    const bare = { metadata: { name: 'x', creationTimestamp: ago(5) }, spec: { template: { spec: { containers: [] } } } };
    assert.deepEqual(cells('DaemonSet', bare), ['x', 0, 0, 0, 0, 0, '<none>', '5s']);
  });
});
