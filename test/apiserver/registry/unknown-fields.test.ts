/**
 * Unknown fields: the kinds' field tables (known-fields.json) match the
 * models of the installed @kubernetes/client-node, every kind in the
 * resource table has one, and pruning drops exactly the fields a type lacks,
 * at any depth, reporting apiserver's paths.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resources } from '../../../apiserver/registry/resources.ts';
import { knownFieldsJson } from '../../../apiserver/registry/validation/generate-known-fields.ts';
import { hasKnownFields, pruneUnknownFields, strictDecodingMessage } from '../../../apiserver/registry/validation/unknown-fields.ts';

describe('known fields', () => {
  it('known-fields.json is what @kubernetes/client-node generates now (else: npm run generate:known-fields)', () => {
    const stored = readFileSync(new URL('../../../apiserver/registry/validation/known-fields.json', import.meta.url), 'utf8');
    assert.equal(stored, knownFieldsJson());
  });

  it('describes every kind the API server serves', () => {
    for (const def of resources) assert.ok(hasKnownFields(def.model), `${def.kind}: no fields for ${def.model}`);
  });
});

describe('pruneUnknownFields', () => {
  it('drops unknown fields at every depth and reports their paths in document order', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      specc: { x: 1 },
      metadata: { name: 'p', labels: { a: 'b' }, annotations: { 'x/y': 'z' }, bogus: true },
      spec: {
        containers: [
          { name: 'a', image: 'busybox', imagee: 'typo', ports: [{ containerPort: 80, hostPortt: 1 }], resources: { limits: { cpu: '1' } } },
          { name: 'b', image: 'busybox', env: [{ name: 'E', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name', extra: 1 } } }] },
        ],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [], matchLabelz: {} }] } } },
      },
      status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'True', why: 'x' }] },
    };
    const found = pruneUnknownFields('V1Pod', pod);
    assert.deepEqual(found, [
      'specc',
      'metadata.bogus',
      'spec.containers[0].imagee',
      'spec.containers[0].ports[0].hostPortt',
      'spec.containers[1].env[0].valueFrom.fieldRef.extra',
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchLabelz',
      'status.conditions[0].why',
    ]);
    assert.deepEqual(pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' }, annotations: { 'x/y': 'z' } },
      spec: {
        containers: [
          { name: 'a', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } },
          { name: 'b', image: 'busybox', env: [{ name: 'E', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
        ],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [] }] } } },
      },
      status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it('leaves free-form JSON alone and does not look into values of the wrong type', () => {
    const revision = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { spec: { anything: { goes: true } } } };
    assert.deepEqual(pruneUnknownFields('V1ControllerRevision', revision), []);
    assert.deepEqual(revision.data, { spec: { anything: { goes: true } } });
    // Wrong types are the schema's to refuse (422), not unknown fields.
    assert.deepEqual(pruneUnknownFields('V1Pod', { spec: 'text', metadata: [1, 2], status: null }), []);
    assert.deepEqual(pruneUnknownFields('V1Pod', 'not an object'), []);
  });

  it('knows the fields of every served kind, e.g. a Deployment template, a Service port, a Lease', () => {
    const dep = { spec: { replicas: 1, replica: 2, template: { spec: { containers: [{ name: 'c', image: 'i', readinessProbe: { httpGet: { path: '/', port: 'http', hostt: 'x' } } }] } } } };
    assert.deepEqual(pruneUnknownFields('V1Deployment', dep), ['spec.replica', 'spec.template.spec.containers[0].readinessProbe.httpGet.hostt']);
    assert.deepEqual(pruneUnknownFields('V1Service', { spec: { ports: [{ port: 80, targetPort: 'web', nodePortt: 1 }] } }), ['spec.ports[0].nodePortt']);
    assert.deepEqual(pruneUnknownFields('V1Lease', { spec: { holderIdentity: 'a', renewTime: '2026-01-01T00:00:00.000000Z', leaseDurationSecond: 1 } }), ['spec.leaseDurationSecond']);
    assert.deepEqual(pruneUnknownFields('CoreV1Event', { involvedObject: { kind: 'Pod' }, reason: 'x', series: { count: 2, state: 'x' } }), ['series.state']);
  });

  it("words the Strict error as apiserver's strict decoding error", () => {
    assert.equal(strictDecodingMessage(['spec.replica']), 'strict decoding error: unknown field "spec.replica"');
    assert.equal(strictDecodingMessage(['a', 'b.c']), 'strict decoding error: unknown field "a", unknown field "b.c"');
  });
});
