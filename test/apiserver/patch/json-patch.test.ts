import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../apiserver/errors/status-error.ts';
import { applyJsonPatch, maxJsonPatchOperations } from '../../../apiserver/patch/json-patch.ts';

interface Case {
  name: string;
  doc: unknown;
  patch: unknown;
  want: unknown;
}

// The RFC 6902 appendix A examples, plus Kubernetes-shaped ones.
const cases: Case[] = [
  { name: 'add an object member', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux' }], want: { foo: 'bar', baz: 'qux' } },
  {
    name: 'add an array element',
    doc: { foo: ['bar', 'baz'] },
    patch: [{ op: 'add', path: '/foo/1', value: 'qux' }],
    want: { foo: ['bar', 'qux', 'baz'] },
  },
  {
    name: 'remove an object member',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'remove', path: '/baz' }],
    want: { foo: 'bar' },
  },
  {
    name: 'remove an array element',
    doc: { foo: ['bar', 'qux', 'baz'] },
    patch: [{ op: 'remove', path: '/foo/1' }],
    want: { foo: ['bar', 'baz'] },
  },
  {
    name: 'replace a value',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'replace', path: '/baz', value: 'boo' }],
    want: { baz: 'boo', foo: 'bar' },
  },
  {
    name: 'move a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'move an array element',
    doc: { foo: ['all', 'grass', 'cows', 'eat'] },
    patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    want: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'test then add',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    want: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  { name: 'add a nested member object', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }], want: { foo: 'bar', child: { grandchild: {} } } },
  {
    name: 'add an array value',
    doc: { foo: ['bar'] },
    patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
    want: { foo: ['bar', ['abc', 'def']] },
  },
  {
    name: 'pointer escapes ~0 and ~1',
    doc: { metadata: { labels: { 'app.kubernetes.io/name': 'x', 'a~b': 'y' } } },
    patch: [
      { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'z' },
      { op: 'remove', path: '/metadata/labels/a~0b' },
    ],
    want: { metadata: { labels: { 'app.kubernetes.io/name': 'z' } } },
  },
  {
    name: 'copy',
    doc: { spec: { a: { x: 1 } } },
    patch: [{ op: 'copy', from: '/spec/a', path: '/spec/b' }],
    want: { spec: { a: { x: 1 }, b: { x: 1 } } },
  },
  {
    name: 'add at the end index appends',
    doc: { l: [1, 2] },
    patch: [{ op: 'add', path: '/l/2', value: 3 }],
    want: { l: [1, 2, 3] },
  },
  {
    name: 'test compares objects regardless of key order',
    doc: { a: { x: 1, y: [1, { z: 2 }] } },
    patch: [{ op: 'test', path: '/a', value: { y: [1, { z: 2 }], x: 1 } }],
    want: { a: { x: 1, y: [1, { z: 2 }] } },
  },
  { name: 'replace the whole document', doc: { a: 1 }, patch: [{ op: 'replace', path: '', value: { b: 2 } }], want: { b: 2 } },
  {
    name: 'rollout undo shape',
    doc: { metadata: { annotations: { 'deployment.kubernetes.io/revision': '2' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'v2' }] } } } },
    patch: [
      { op: 'replace', path: '/spec/template', value: { spec: { containers: [{ name: 'c', image: 'v1' }] } } },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '1' } },
    ],
    want: { metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'v1' }] } } } },
  },
  {
    name: '__proto__ and constructor are ordinary keys',
    doc: { data: {} },
    patch: [
      { op: 'add', path: '/data/__proto__', value: { polluted: true } },
      { op: 'add', path: '/data/constructor', value: 'c' },
    ],
    want: JSON.parse('{"data":{"__proto__":{"polluted":true},"constructor":"c"}}'),
  },
];

interface ErrorCase {
  name: string;
  doc: unknown;
  patch: unknown;
  code: number;
  reason: string;
  message: string | RegExp;
}

const errorCases: ErrorCase[] = [
  { name: 'patch is not an array', doc: {}, patch: { op: 'add' }, code: 400, reason: 'BadRequest', message: /cannot unmarshal object/ },
  { name: 'unknown op', doc: {}, patch: [{ op: 'frobnicate', path: '/a' }], code: 400, reason: 'BadRequest', message: 'Unexpected kind: frobnicate' },
  { name: 'missing op', doc: {}, patch: [{ path: '/a' }], code: 400, reason: 'BadRequest', message: 'Unexpected kind: unknown' },
  { name: 'missing path', doc: {}, patch: [{ op: 'add', value: 1 }], code: 400, reason: 'BadRequest', message: /failed to decode path/ },
  { name: 'missing value', doc: {}, patch: [{ op: 'add', path: '/a' }], code: 400, reason: 'BadRequest', message: /missing value field/ },
  { name: 'missing from', doc: {}, patch: [{ op: 'move', path: '/a' }], code: 400, reason: 'BadRequest', message: /missing from field/ },
  { name: 'pointer without leading slash', doc: {}, patch: [{ op: 'add', path: 'a', value: 1 }], code: 400, reason: 'BadRequest', message: /JSON pointer/ },
  {
    name: 'replace a missing key',
    doc: { spec: {} },
    patch: [{ op: 'replace', path: '/spec/foo', value: 1 }],
    code: 422,
    reason: 'Invalid',
    message: 'replace operation does not apply: doc is missing key: /spec/foo: missing value',
  },
  {
    name: 'add under a missing parent',
    doc: {},
    patch: [{ op: 'add', path: '/spec/foo', value: 1 }],
    code: 422,
    reason: 'Invalid',
    message: 'add operation does not apply: doc is missing path: "/spec/foo": missing value',
  },
  {
    name: 'remove a missing key',
    doc: { a: {} },
    patch: [{ op: 'remove', path: '/a/b' }],
    code: 422,
    reason: 'Invalid',
    message: "error in remove for path: '/a/b': Unable to remove nonexistent key: b: missing value",
  },
  { name: 'test fails', doc: { a: 1 }, patch: [{ op: 'test', path: '/a', value: 2 }], code: 422, reason: 'Invalid', message: 'testing value /a failed: test failed' },
  { name: 'test of a missing path fails', doc: {}, patch: [{ op: 'test', path: '/a', value: null }], code: 422, reason: 'Invalid', message: 'testing value /a failed: test failed' },
  {
    name: 'enormous index',
    doc: { l: [] },
    patch: [{ op: 'add', path: '/l/99999999999999999999', value: 1 }],
    code: 422,
    reason: 'Invalid',
    message: /Unable to access invalid index/,
  },
  { name: 'index past the end', doc: { l: [1] }, patch: [{ op: 'add', path: '/l/2', value: 1 }], code: 422, reason: 'Invalid', message: /invalid index/ },
  { name: 'leading zero index', doc: { l: [1, 2] }, patch: [{ op: 'remove', path: '/l/01' }], code: 422, reason: 'Invalid', message: /invalid index/ },
  { name: 'negative index', doc: { l: [1, 2] }, patch: [{ op: 'replace', path: '/l/-1', value: 0 }], code: 422, reason: 'Invalid', message: /missing key/ },
  { name: 'move into own child', doc: { a: { b: {} } }, patch: [{ op: 'move', from: '/a', path: '/a/b/c' }], code: 422, reason: 'Invalid', message: /own child/ },
  {
    name: 'inherited members are not there',
    doc: { a: {} },
    patch: [{ op: 'copy', from: '/a/constructor', path: '/b' }],
    code: 422,
    reason: 'Invalid',
    message: 'copy operation does not apply: doc is missing from path: /a/constructor: missing value',
  },
  {
    name: 'too many operations',
    doc: {},
    patch: Array.from({ length: maxJsonPatchOperations + 1 }, () => ({ op: 'test', path: '', value: {} })),
    code: 413,
    reason: 'RequestEntityTooLarge',
    message: `The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${maxJsonPatchOperations + 1}`,
  },
];

describe('applyJsonPatch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.doc);
      assert.deepStrictEqual(applyJsonPatch(c.doc, c.patch), c.want);
      assert.deepStrictEqual(c.doc, before, 'input document must not change');
    });
  }

  for (const c of errorCases) {
    it(`rejects: ${c.name}`, () => {
      assert.throws(
        () => applyJsonPatch(c.doc, c.patch),
        (err: unknown) => {
          assert.ok(err instanceof StatusError, `expected a StatusError, got ${String(err)}`);
          assert.equal(err.code, c.code);
          assert.equal(err.reason, c.reason);
          if (typeof c.message === 'string') assert.equal(err.message, c.message);
          else assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }

  it('does not pollute Object.prototype', () => {
    const out = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as object;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepStrictEqual(Object.keys(out), ['__proto__']);
    assert.throws(() => applyJsonPatch({ a: {} }, [{ op: 'add', path: '/a/__proto__/polluted', value: true }]), /doc is missing path/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('fails atomically: a failed operation leaves no partial result', () => {
    const doc = { a: 1 };
    assert.throws(() =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/a', value: 2 },
        { op: 'test', path: '/a', value: 3 },
      ]),
    );
    assert.deepStrictEqual(doc, { a: 1 });
  });

  it('the result shares nothing with the patch', () => {
    const value = { x: [1] };
    const out = applyJsonPatch({}, [{ op: 'add', path: '/v', value }]) as { v: { x: number[] } };
    out.v.x.push(2);
    assert.deepStrictEqual(value, { x: [1] });
  });

  it('answers 400 for a value nested too deeply to walk', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < 50000; i++) value = i % 2 ? { a: value } : [value];
    assert.throws(
      () => applyJsonPatch({}, [{ op: 'add', path: '/x', value }]),
      (err: unknown) => err instanceof StatusError && err.code === 400 && err.message === 'json: exceeded max depth',
    );
  });

  it('bounds the total size of copies', () => {
    // Each copy doubles the document; 40 of them would need terabytes.
    const big = 'x'.repeat(1 << 16);
    const patch = [{ op: 'add', path: '/a', value: [big] }, ...Array.from({ length: 40 }, () => ({ op: 'copy', from: '/a', path: '/a/-' }))];
    assert.throws(
      () => applyJsonPatch({}, patch),
      (err: unknown) => err instanceof StatusError && err.code === 422 && /accumulated copy size/.test(err.message),
    );
  });
});
