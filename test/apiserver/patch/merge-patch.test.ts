import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../apiserver/errors/status-error.ts';
import { applyMergePatch } from '../../../apiserver/patch/merge-patch.ts';

// RFC 7386 appendix A (object patches; Kubernetes refuses non-object patches),
// plus what kubectl label/annotate/scale send.
const cases: { name: string; doc: unknown; patch: unknown; want: unknown }[] = [
  { name: 'replace a member', doc: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'add a member', doc: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
  { name: 'null deletes', doc: { a: 'b' }, patch: { a: null }, want: {} },
  { name: 'null deletes one of two', doc: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
  { name: 'list replaces a string', doc: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'string replaces a list', doc: { a: 'c' }, patch: { a: ['b'] }, want: { a: ['b'] } },
  { name: 'nested merge with delete', doc: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, want: { a: { b: 'd' } } },
  { name: 'lists replace whole', doc: { a: [{ b: 'c' }] }, patch: { a: [1] }, want: { a: [1] } },
  { name: 'empty patch', doc: { e: null }, patch: {}, want: { e: null } },
  { name: 'nulls inside a new object are dropped', doc: {}, patch: { a: { bb: { ccc: null } } }, want: { a: { bb: {} } } },
  { name: 'nulls inside a list are kept', doc: {}, patch: { a: [{ x: null }, null] }, want: { a: [{ x: null }, null] } },
  { name: 'object over a scalar', doc: { a: 'foo' }, patch: { a: { b: 'c' } }, want: { a: { b: 'c' } } },
  {
    name: 'kubectl label',
    doc: { metadata: { name: 'web', labels: { app: 'web', old: 'x' } } },
    patch: { metadata: { labels: { tier: 'fe', old: null } } },
    want: { metadata: { name: 'web', labels: { app: 'web', tier: 'fe' } } },
  },
  { name: 'kubectl scale', doc: { spec: { replicas: 1, selector: 'app=web' } }, patch: { spec: { replicas: 3 } }, want: { spec: { replicas: 3, selector: 'app=web' } } },
  { name: 'patch onto no document', doc: undefined, patch: { a: 1 }, want: { a: 1 } },
  {
    name: '__proto__ is an ordinary key',
    doc: { data: {} },
    patch: JSON.parse('{"data":{"__proto__":{"x":1}}}'),
    want: JSON.parse('{"data":{"__proto__":{"x":1}}}'),
  },
];

describe('applyMergePatch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.doc);
      const patchBefore = structuredClone(c.patch);
      assert.deepStrictEqual(applyMergePatch(c.doc, c.patch), c.want);
      assert.deepStrictEqual(c.doc, before, 'input document must not change');
      assert.deepStrictEqual(c.patch, patchBefore, 'patch must not change');
    });
  }

  for (const patch of [[1], 'x', null, 3]) {
    it(`refuses a non-object patch ${JSON.stringify(patch)} with 400`, () => {
      assert.throws(
        () => applyMergePatch({ a: 1 }, patch),
        (err: unknown) => err instanceof StatusError && err.code === 400 && err.reason === 'BadRequest',
      );
    });
  }

  it('the result shares nothing with the document', () => {
    const doc = { spec: { template: { labels: { a: 'b' } } }, other: { x: 1 } };
    const out = applyMergePatch(doc, { spec: { replicas: 2 } }) as typeof doc;
    out.other.x = 2;
    out.spec.template.labels.a = 'c';
    assert.deepStrictEqual(doc, { spec: { template: { labels: { a: 'b' } } }, other: { x: 1 } });
  });

  it('answers 400 for a patch nested too deeply to walk', () => {
    let patch: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50000; i++) patch = { a: patch };
    assert.throws(
      () => applyMergePatch({}, patch),
      (err: unknown) => err instanceof StatusError && err.code === 400 && err.message === 'json: exceeded max depth',
    );
  });

  it('does not pollute Object.prototype', () => {
    applyMergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
