import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeValue, parseFieldSelector, SelectorParseError, unescapeValue, type FieldRequirement } from '../../../client/fields/selector.ts';
import { SelectorParseError as LabelSelectorParseError } from '../../../client/labels/selector.ts';

const parseCases: { text: string; requirements: FieldRequirement[]; canonical: string }[] = [
  { text: '', requirements: [], canonical: '' },
  { text: 'metadata.name=web', requirements: [{ field: 'metadata.name', operator: '=', value: 'web' }], canonical: 'metadata.name=web' },
  { text: 'metadata.name==web', requirements: [{ field: 'metadata.name', operator: '=', value: 'web' }], canonical: 'metadata.name=web' },
  { text: 'spec.nodeName!=n1', requirements: [{ field: 'spec.nodeName', operator: '!=', value: 'n1' }], canonical: 'spec.nodeName!=n1' },
  { text: 'spec.nodeName=', requirements: [{ field: 'spec.nodeName', operator: '=', value: '' }], canonical: 'spec.nodeName=' },
  {
    // kubectl describe's event query; terms come back sorted.
    text: 'involvedObject.namespace=default,involvedObject.uid=1234-abcd,involvedObject.name=web',
    requirements: [
      { field: 'involvedObject.name', operator: '=', value: 'web' },
      { field: 'involvedObject.namespace', operator: '=', value: 'default' },
      { field: 'involvedObject.uid', operator: '=', value: '1234-abcd' },
    ],
    canonical: 'involvedObject.name=web,involvedObject.namespace=default,involvedObject.uid=1234-abcd',
  },
  { text: 'a=b,,c=d', requirements: [{ field: 'a', operator: '=', value: 'b' }, { field: 'c', operator: '=', value: 'd' }], canonical: 'a=b,c=d' },
  { text: 'a=x\\,y\\=z\\\\', requirements: [{ field: 'a', operator: '=', value: 'x,y=z\\' }], canonical: 'a=x\\,y\\=z\\\\' },
  { text: 'a!=\\=b', requirements: [{ field: 'a', operator: '!=', value: '=b' }], canonical: 'a!=\\=b' },
];

const errorCases: { text: string; message: string }[] = [
  { text: 'metadata.name', message: "invalid selector: 'metadata.name'; can't understand 'metadata.name'" },
  { text: 'a=b,c', message: "invalid selector: 'a=b,c'; can't understand 'c'" },
  { text: 'a!==b', message: 'invalid field selector: unescaped character in value: 61' },
  { text: 'a=b=c', message: 'invalid field selector: unescaped character in value: 61' },
  { text: 'a=\\x', message: 'invalid field selector: invalid escape sequence: \\x' },
  { text: 'a=b\\', message: 'invalid field selector: invalid escape sequence: \\' },
];

describe('parseFieldSelector', () => {
  for (const c of parseCases) {
    it(`parses ${JSON.stringify(c.text)}`, () => {
      const sel = parseFieldSelector(c.text);
      assert.deepStrictEqual(sel.requirements(), c.requirements);
      assert.equal(sel.toString(), c.canonical);
      assert.equal(sel.empty(), c.requirements.length === 0);
      assert.deepStrictEqual(parseFieldSelector(sel.toString()).requirements(), c.requirements);
    });
  }

  for (const c of errorCases) {
    it(`rejects ${JSON.stringify(c.text)}`, () => {
      assert.throws(
        () => parseFieldSelector(c.text),
        (err: unknown) => err instanceof SelectorParseError && err.message === c.message,
      );
    });
  }

  it('shares its error type with label selectors', () => {
    assert.equal(SelectorParseError, LabelSelectorParseError);
  });

  const pod: Record<string, string> = { 'metadata.name': 'web', 'metadata.namespace': 'default', 'spec.nodeName': 'n1' };
  const get = (field: string): string | undefined => pod[field];
  const matchCases: { text: string; want: boolean }[] = [
    { text: '', want: true },
    { text: 'metadata.name=web', want: true },
    { text: 'metadata.name=db', want: false },
    { text: 'metadata.name=web,spec.nodeName=n1', want: true },
    { text: 'metadata.name=web,spec.nodeName=n2', want: false },
    { text: 'spec.nodeName!=n2', want: true },
    { text: 'spec.nodeName!=n1', want: false },
    // A missing field reads as "" (fields.Set.Get).
    { text: 'status.phase=', want: true },
    { text: 'status.phase!=Running', want: true },
    { text: 'status.phase=Running', want: false },
  ];
  for (const c of matchCases) {
    it(`${JSON.stringify(c.text)} ${c.want ? 'matches' : 'does not match'}`, () => {
      assert.equal(parseFieldSelector(c.text).matches(get), c.want);
    });
  }

  it('reports exact matches', () => {
    const sel = parseFieldSelector('spec.nodeName=n1,metadata.name!=x');
    assert.equal(sel.requiresExactMatch('spec.nodeName'), 'n1');
    assert.equal(sel.requiresExactMatch('metadata.name'), undefined);
  });
});

describe('escapeValue / unescapeValue', () => {
  for (const raw of ['plain', 'a,b', 'a=b', 'back\\slash', ',=\\', '']) {
    it(`round-trips ${JSON.stringify(raw)}`, () => {
      assert.equal(unescapeValue(escapeValue(raw)), raw);
    });
  }
});
