import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../apiserver/errors/status-error.ts';
import {
  patchMetaByKind,
  patchMetaDeployment,
  patchMetaForKind,
  patchMetaNode,
  patchMetaPod,
  patchMetaService,
} from '../../../apiserver/patch/core-patch-meta.ts';
import type { PatchMeta } from '../../../apiserver/patch/patch-meta.ts';
import { applyStrategicMergePatch } from '../../../apiserver/patch/strategic-merge-patch.ts';

/** A small schema in the shape of apimachinery's MergeItem test struct. */
const item: { fields: Record<string, PatchMeta> } = { fields: {} };
Object.assign(item.fields, {
  mergingList: { strategy: 'merge', mergeKey: 'name', items: item },
  nonMergingList: { items: item },
  mergingIntList: { strategy: 'merge' },
  replacingItem: { strategy: 'replace' },
  retainKeysMap: { strategy: 'retainKeys' },
  retainKeysMergingList: { strategy: 'merge,retainKeys', mergeKey: 'name', items: item },
} satisfies Record<string, PatchMeta>);

interface Case {
  name: string;
  doc: unknown;
  patch: unknown;
  want: unknown;
  meta?: PatchMeta;
}

/** Fails if any `$` directive key survived anywhere in `value`. */
function assertNoDirectives(value: unknown, path = ''): void {
  if (Array.isArray(value)) value.forEach((v, i) => assertNoDirectives(v, `${path}[${i}]`));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      assert.ok(!k.startsWith('$'), `directive ${k} survived at ${path || '.'}`);
      assertNoDirectives(v, `${path}.${k}`);
    }
  }
}

const cases: Case[] = [
  // --- maps and nulls
  { name: 'null deletes a key', doc: { name: 'a', value: 1 }, patch: { value: null }, want: { name: 'a' } },
  { name: 'null for a missing key is ignored', doc: { name: 'a' }, patch: { other: null }, want: { name: 'a' } },
  {
    name: 'maps merge recursively',
    doc: { spec: { paused: true, replicas: 1, template: { metadata: { labels: { app: 'web' } } } } },
    patch: { spec: { paused: null, template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } } } },
    want: {
      spec: {
        replicas: 1,
        template: { metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } },
      },
    },
    meta: patchMetaDeployment,
  },
  { name: 'nulls inside a new map are dropped', doc: {}, patch: { simpleMap: { a: null, b: 'x' } }, want: { simpleMap: { b: 'x' } } },
  { name: '$patch: replace on a map', doc: { simpleMap: { a: '1', b: '2' } }, patch: { simpleMap: { $patch: 'replace', c: '3' } }, want: { simpleMap: { c: '3' } } },
  { name: '$patch: delete on a map', doc: { simpleMap: { a: '1' }, name: 'x' }, patch: { simpleMap: { $patch: 'delete' } }, want: { simpleMap: {}, name: 'x' } },
  { name: 'patchStrategy replace on a map', doc: { replacingItem: { a: 1, b: 2 } }, patch: { replacingItem: { c: 3 } }, want: { replacingItem: { c: 3 } } },
  { name: 'a type change replaces', doc: { name: { a: 1 } }, patch: { name: 'flat' }, want: { name: 'flat' } },

  // --- lists merged by key
  {
    name: 'merge list elements by key; new ones are appended',
    doc: { mergingList: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] },
    patch: { mergingList: [{ name: 'b', other: 'x' }, { name: 'c' }] },
    want: { mergingList: [{ name: 'a', value: '1' }, { name: 'b', value: '2', other: 'x' }, { name: 'c' }] },
  },
  {
    name: '$patch: delete removes an element',
    doc: { mergingList: [{ name: 'a' }, { name: 'b' }] },
    patch: { mergingList: [{ name: 'a', $patch: 'delete' }] },
    want: { mergingList: [{ name: 'b' }] },
  },
  {
    name: '$patch: delete of an absent element is a no-op',
    doc: { mergingList: [{ name: 'a' }] },
    patch: { mergingList: [{ name: 'zzz', $patch: 'delete' }] },
    want: { mergingList: [{ name: 'a' }] },
  },
  {
    name: '$patch: replace element replaces the list',
    doc: { mergingList: [{ name: 'a', value: '1' }, { name: 'b' }] },
    patch: { mergingList: [{ $patch: 'replace' }, { name: 'c', value: '3' }] },
    want: { mergingList: [{ name: 'c', value: '3' }] },
  },
  {
    name: 'a replace marker in a list without merge strategy is dropped',
    doc: { nonMergingList: [{ name: 'a' }] },
    patch: { nonMergingList: [{ $patch: 'replace' }, { name: 'c' }] },
    want: { nonMergingList: [{ name: 'c' }] },
  },
  {
    name: 'a replace marker in a list the document lacks is dropped',
    doc: {},
    patch: { mergingList: [{ $patch: 'replace' }, { name: 'c' }] },
    want: { mergingList: [{ name: 'c' }] },
  },
  {
    name: '$patch: replace on a map the document lacks keeps the map',
    doc: {},
    patch: { simpleMap: { $patch: 'replace', a: '1' } },
    want: { simpleMap: { a: '1' } },
  },
  {
    name: 'nested element fields merge recursively',
    doc: { mergingList: [{ name: 'a', mergingList: [{ name: 'x', value: '1' }] }] },
    patch: { mergingList: [{ name: 'a', mergingList: [{ name: 'x', value: null, other: 'o' }] }] },
    want: { mergingList: [{ name: 'a', mergingList: [{ name: 'x', other: 'o' }] }] },
  },
  {
    name: 'lists without a merge strategy are replaced',
    doc: { nonMergingList: [{ name: 'a' }, { name: 'b' }] },
    patch: { nonMergingList: [{ name: 'c' }] },
    want: { nonMergingList: [{ name: 'c' }] },
  },

  // --- lists of primitives
  { name: 'primitive merge lists are sets', doc: { mergingIntList: [1, 2] }, patch: { mergingIntList: [2, 3] }, want: { mergingIntList: [1, 2, 3] } },
  {
    name: '$deleteFromPrimitiveList',
    doc: { mergingIntList: [1, 2, 3] },
    patch: { '$deleteFromPrimitiveList/mergingIntList': [2, 9] },
    want: { mergingIntList: [1, 3] },
  },
  {
    name: 'finalizers: add one, remove one (kubectl apply)',
    doc: { metadata: { finalizers: ['a.example.com/x', 'kubernetes'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['b.example.com/y', 'kubernetes'], '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'], finalizers: ['b.example.com/y'] } },
    want: { metadata: { finalizers: ['b.example.com/y', 'kubernetes'] } },
    meta: patchMetaPod,
  },

  // --- $setElementOrder
  {
    name: '$setElementOrder reorders',
    doc: { mergingList: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] },
    patch: { '$setElementOrder/mergingList': [{ name: 'b' }, { name: 'a' }] },
    want: { mergingList: [{ name: 'b', value: '2' }, { name: 'a', value: '1' }] },
  },
  {
    // apimachinery "add map and delete map from merging list" (three-way):
    // the server-only element 4 keeps its place before the added 3.
    name: '$setElementOrder with a server-only element, an addition and a deletion',
    doc: { mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] },
    patch: { '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }], mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }] },
    want: { mergingList: [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }] },
  },
  {
    // Go's mergeSortedSlice: `s` precedes `b` in the live list, so it goes first.
    name: '$setElementOrder with server-only elements and no patch list',
    doc: { mergingList: [{ name: 'a' }, { name: 's' }, { name: 'b' }] },
    patch: { '$setElementOrder/mergingList': [{ name: 'b' }, { name: 'a' }] },
    want: { mergingList: [{ name: 's' }, { name: 'b' }, { name: 'a' }] },
  },
  {
    name: '$setElementOrder of primitives',
    doc: { mergingIntList: [1, 2, 3] },
    patch: { '$setElementOrder/mergingIntList': [3, 1, 4], mergingIntList: [4] },
    want: { mergingIntList: [2, 3, 1, 4] },
  },
  {
    name: '$setElementOrder for a list the document lacks',
    doc: {},
    patch: { '$setElementOrder/mergingList': [{ name: 'b' }, { name: 'a' }], mergingList: [{ name: 'b' }, { name: 'a' }] },
    want: { mergingList: [{ name: 'b' }, { name: 'a' }] },
  },

  // --- $retainKeys
  {
    name: '$retainKeys clears fields not listed',
    doc: { retainKeysMap: { name: 'a', value: 'v', other: 'o' } },
    patch: { retainKeysMap: { $retainKeys: ['name', 'other'], other: 'p' } },
    want: { retainKeysMap: { name: 'a', other: 'p' } },
  },
  {
    name: 'Deployment strategy switch to Recreate drops rollingUpdate',
    doc: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
    meta: patchMetaDeployment,
  },
  {
    name: 'volume source switch with $retainKeys in a merged list element',
    doc: { spec: { volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'data', emptyDir: {} }] } },
    patch: { spec: { volumes: [{ $retainKeys: ['name', 'secret'], name: 'cfg', secret: { secretName: 's' } }] } },
    want: { spec: { volumes: [{ name: 'cfg', secret: { secretName: 's' } }, { name: 'data', emptyDir: {} }] } },
    meta: patchMetaPod,
  },

  // --- core kinds
  {
    name: 'Service ports merge by port',
    doc: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
    patch: { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
    want: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } },
    meta: patchMetaService,
  },
  {
    name: 'Node taints are replaced, conditions merge by type',
    doc: {
      spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'DiskPressure', status: 'False' }] },
    },
    patch: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    want: {
      spec: { taints: [{ key: 'b', effect: 'NoExecute' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'False' }] },
    },
    meta: patchMetaNode,
  },
  {
    name: 'Pod env merges by name inside a container merged by name',
    doc: { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], tolerations: [] }] } },
    patch: { spec: { containers: [{ name: 'c', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } },
    want: { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }], tolerations: [] }] } },
    meta: patchMetaPod,
  },
  {
    name: 'no meta: lists replace whole (CRD-like)',
    doc: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
    patch: { spec: { containers: [{ name: 'a', image: 'x' }] } },
    want: { spec: { containers: [{ name: 'a', image: 'x' }] } },
    meta: {},
  },
  {
    name: 'directives inside a newly added element are dropped',
    doc: { mergingList: [] },
    patch: { mergingList: [{ name: 'n', '$setElementOrder/mergingList': [{ name: 'x' }], mergingList: [{ name: 'x' }, { name: 'y', $patch: 'delete' }], value: null }] },
    want: { mergingList: [{ name: 'n', mergingList: [{ name: 'x' }] }] },
  },
  {
    name: '$patch: delete of the whole object',
    doc: { a: 1 },
    patch: { $patch: 'delete' },
    want: {},
  },
];

/** The client-side apply of KUBECTL_WIRE.md §4: a three-way diff with $setElementOrder and $patch: delete. */
const kubectlApplyPatch = {
  metadata: {
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' },
    labels: { app: null, tier: 'fe' },
  },
  spec: {
    '$setElementOrder/containers': [{ name: 'c1' }],
    containers: [
      {
        '$setElementOrder/ports': [{ containerPort: 8080 }],
        env: [{ name: 'A', value: '1' }],
        image: 'nginx:1.26',
        name: 'c1',
        ports: [{ containerPort: 8080 }, { $patch: 'delete', containerPort: 80 }],
      },
      { $patch: 'delete', name: 'c2' },
    ],
  },
};

const livePod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'default',
    uid: 'u1',
    resourceVersion: '7',
    labels: { app: 'web', keep: 'me' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n' },
    finalizers: ['example.com/f'],
  },
  spec: {
    nodeName: 'n1',
    containers: [
      { name: 'c1', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 8080, protocol: 'TCP' }], terminationMessagePath: '/dev/termination-log' },
      { name: 'c2', image: 'busybox', command: ['sleep', '3600'] },
    ],
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  },
  status: { phase: 'Running' },
};

describe('applyStrategicMergePatch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.doc);
      const patchBefore = JSON.stringify(c.patch);
      const got = applyStrategicMergePatch(c.doc, c.patch, c.meta ?? item);
      assert.deepStrictEqual(got, c.want);
      assertNoDirectives(got);
      assert.deepStrictEqual(c.doc, before, 'input document must not change');
      assert.equal(JSON.stringify(c.patch), patchBefore, 'patch must not change');
    });
  }

  it('applies the kubectl client-side apply payload (KUBECTL_WIRE §4)', () => {
    const got = applyStrategicMergePatch(livePod, kubectlApplyPatch, patchMetaForKind('Pod'));
    assert.deepStrictEqual(got, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        namespace: 'default',
        uid: 'u1',
        resourceVersion: '7',
        labels: { keep: 'me', tier: 'fe' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' },
        finalizers: ['example.com/f'],
      },
      spec: {
        nodeName: 'n1',
        containers: [
          {
            name: 'c1',
            image: 'nginx:1.26',
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            terminationMessagePath: '/dev/termination-log',
            env: [{ name: 'A', value: '1' }],
          },
        ],
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      },
      status: { phase: 'Running' },
    });
    assertNoDirectives(got);
  });

  it('applying the same kubectl payload twice is stable', () => {
    const meta = patchMetaForKind('Pod');
    const once = applyStrategicMergePatch(livePod, kubectlApplyPatch, meta);
    assert.deepStrictEqual(applyStrategicMergePatch(once, kubectlApplyPatch, meta), once);
  });

  it('rollout restart, pause and resume payloads', () => {
    const meta = patchMetaForKind('Deployment');
    const d = { spec: { replicas: 2, template: { metadata: { labels: { app: 'd1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    const restarted = applyStrategicMergePatch(
      d,
      { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-01T10:00:00Z' } } } } },
      meta,
    );
    assert.deepStrictEqual(restarted, {
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: 'd1' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-01T10:00:00Z' } },
          spec: { containers: [{ name: 'c', image: 'i' }] },
        },
      },
    });
    const paused = applyStrategicMergePatch(d, { spec: { paused: true } }, meta);
    assert.equal((paused as { spec: { paused?: boolean } }).spec.paused, true);
    assert.deepStrictEqual(applyStrategicMergePatch(paused, { spec: { paused: null } }, meta), d);
  });

  it('answers 400 for a patch nested too deeply to walk', () => {
    let patch: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50000; i++) patch = { spec: patch };
    assert.throws(
      () => applyStrategicMergePatch({ spec: {} }, patch, patchMetaPod),
      (err: unknown) => err instanceof StatusError && err.code === 400 && err.message === 'json: exceeded max depth',
    );
  });

  it('merges long lists in linear time', () => {
    // The Go code scans lists linearly for every element; 20k elements must not take minutes.
    const containers = Array.from({ length: 20000 }, (_, i) => ({ name: `c${i}`, image: 'a' }));
    const patch = { spec: { containers: containers.map((c, i) => (i % 2 ? { name: c.name, image: 'b' } : { name: c.name, $patch: 'delete' })) } };
    const started = performance.now();
    const got = applyStrategicMergePatch({ spec: { containers } }, patch, patchMetaPod) as { spec: { containers: { name: string; image: string }[] } };
    assert.ok(performance.now() - started < 5000, 'took more than 5 s');
    assert.equal(got.spec.containers.length, 10000);
    assert.deepStrictEqual(got.spec.containers[0], { name: 'c1', image: 'b' });
  });

  it('does not pollute Object.prototype', () => {
    const got = applyStrategicMergePatch({ data: {} }, JSON.parse('{"data":{"__proto__":{"polluted":true}},"__proto__":{"x":1}}'), undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.deepStrictEqual(Object.keys(got as object).sort(), ['__proto__', 'data']);
  });

  const errorCases: { name: string; doc: unknown; patch: unknown; code: number; message: RegExp }[] = [
    { name: 'patch is not an object', doc: {}, patch: [1], code: 400, message: /^invalid JSON document$/ },
    { name: 'document is not an object', doc: [1], patch: {}, code: 400, message: /^invalid JSON document$/ },
    { name: 'element lacks the merge key', doc: { mergingList: [{ name: 'a' }] }, patch: { mergingList: [{ value: 'x' }] }, code: 400, message: /does not contain declared merge key: name/ },
    { name: 'delete element lacks the merge key', doc: { mergingList: [{ name: 'a' }] }, patch: { mergingList: [{ $patch: 'delete' }] }, code: 400, message: /does not contain declared merge key: name/ },
    { name: 'unknown $patch', doc: { simpleMap: {} }, patch: { simpleMap: { $patch: 'frob' } }, code: 400, message: /unknown patch type: frob/ },
    { name: '$patch: merge in a list', doc: { mergingList: [] }, patch: { mergingList: [{ name: 'a', $patch: 'merge' }] }, code: 400, message: /merging lists cannot yet be specified/ },
    { name: '$retainKeys not a list', doc: { retainKeysMap: {} }, patch: { retainKeysMap: { $retainKeys: 'name' } }, code: 400, message: /invalid patch format of retainKeys/ },
    { name: 'patch sets a field $retainKeys omits', doc: { retainKeysMap: {} }, patch: { retainKeysMap: { $retainKeys: ['name'], value: 'v' } }, code: 400, message: /invalid patch format of retainKeys/ },
    { name: 'bad $setElementOrder key', doc: {}, patch: { $setElementOrderX: [] }, code: 400, message: /invalid patch format of setElementOrder list/ },
    { name: 'bad $deleteFromPrimitiveList key', doc: {}, patch: { $deleteFromPrimitiveList: [] }, code: 400, message: /invalid patch format of primitive list/ },
    {
      name: '$setElementOrder does not cover the patch list',
      doc: { mergingList: [{ name: 'a' }] },
      patch: { '$setElementOrder/mergingList': [{ name: 'a' }], mergingList: [{ name: 'b' }] },
      code: 400,
      message: /doesn't match \$setElementOrder list/,
    },
    { name: 'lists of lists', doc: { mergingIntList: [[1]] }, patch: { mergingIntList: [[2]] }, code: 422, message: /lists of lists are not supported/ },
    { name: 'mixed element types', doc: { mergingIntList: [1] }, patch: { mergingIntList: ['a'] }, code: 400, message: /list element types are not identical/ },
  ];
  for (const c of errorCases) {
    it(`rejects: ${c.name}`, () => {
      assert.throws(
        () => applyStrategicMergePatch(c.doc, c.patch, item),
        (err: unknown) => {
          assert.ok(err instanceof StatusError, `expected a StatusError, got ${String(err)}`);
          assert.equal(err.code, c.code);
          assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }
});

describe('core patch meta', () => {
  it('has an entry for each kind pier serves', () => {
    for (const kind of ['Pod', 'Deployment', 'ReplicaSet', 'Node', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'Namespace', 'Event', 'ServiceAccount', 'Lease']) {
      assert.ok(patchMetaForKind(kind), kind);
      assert.equal(patchMetaForKind(kind), patchMetaByKind[kind]);
    }
  });

  it('answers undefined for unknown kinds, inherited names included', () => {
    for (const kind of ['Widget', 'constructor', '__proto__', 'toString']) assert.equal(patchMetaForKind(kind), undefined);
  });

  it('merges pod template containers inside Deployment and ReplicaSet', () => {
    for (const kind of ['Deployment', 'ReplicaSet']) {
      const doc = { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] } } } };
      const got = applyStrategicMergePatch(doc, { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } }, patchMetaForKind(kind));
      assert.deepStrictEqual(got, { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] } } } }, kind);
    }
  });

  // Without $setElementOrder, elements the live list lacks go before the
  // server's own (apimachinery's mergeSortedSlice), as `kubectl patch` does.
  it('merges ownerReferences by uid, new ones first', () => {
    const doc = { metadata: { ownerReferences: [{ uid: 'u1', kind: 'ReplicaSet', name: 'r1' }] } };
    const got = applyStrategicMergePatch(doc, { metadata: { ownerReferences: [{ uid: 'u2', kind: 'ReplicaSet', name: 'r2' }] } }, patchMetaForKind('ConfigMap'));
    assert.deepStrictEqual(got, {
      metadata: {
        ownerReferences: [
          { uid: 'u2', kind: 'ReplicaSet', name: 'r2' },
          { uid: 'u1', kind: 'ReplicaSet', name: 'r1' },
        ],
      },
    });
  });

  it('replaces Endpoints subsets whole', () => {
    const doc = { subsets: [{ addresses: [{ ip: '10.0.0.1' }] }, { addresses: [{ ip: '10.0.0.2' }] }] };
    const got = applyStrategicMergePatch(doc, { subsets: [{ addresses: [{ ip: '10.0.0.3' }] }] }, patchMetaForKind('Endpoints'));
    assert.deepStrictEqual(got, { subsets: [{ addresses: [{ ip: '10.0.0.3' }] }] });
  });
});
