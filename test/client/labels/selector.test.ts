import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  labelSelectorFromMetav1,
  matchesNothing,
  parseLabelSelector,
  SelectorParseError,
  selectorFromSet,
  selectorToString,
  type Metav1LabelSelector,
} from '../../../client/labels/selector.ts';

// Canonical strings: requirements sorted by key, set values sorted and unique.
const parseCases: { text: string; canonical: string }[] = [
  { text: '', canonical: '' },
  { text: 'a=b', canonical: 'a=b' },
  { text: 'a==b', canonical: 'a==b' },
  { text: 'a!=b', canonical: 'a!=b' },
  { text: 'x=a,y=b,z=c', canonical: 'x=a,y=b,z=c' },
  { text: 'z=c,x=a', canonical: 'x=a,z=c' },
  { text: '  a = b ,  c  ', canonical: 'a=b,c' },
  { text: 'a', canonical: 'a' },
  { text: '!a', canonical: '!a' },
  { text: 'x in (foo,,baz),y,z notin ()', canonical: 'x in (,baz,foo),y,z notin ()' },
  { text: 'env in (prod, qa)', canonical: 'env in (prod,qa)' },
  { text: 'env in (b,a,b)', canonical: 'env in (a,b)' },
  { text: 'env notin (x)', canonical: 'env notin (x)' },
  { text: 'a=', canonical: 'a=' },
  { text: 'a=,b=c', canonical: 'a=,b=c' },
  { text: 'app.kubernetes.io/name=web', canonical: 'app.kubernetes.io/name=web' },
  { text: 'in in (in)', canonical: 'in in (in)' },
  { text: 'k>1,k2<5', canonical: 'k>1,k2<5' },
  { text: 'a\tin\n(b)', canonical: 'a in (b)' },
];

const invalidKeyDetail =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

const errorCases: { text: string; message: string | RegExp }[] = [
  { text: ',a', message: "found ',', expected: !, identifier, or 'end of string'" },
  { text: 'a,', message: "found '', expected: identifier after ','" },
  { text: 'a,,b', message: "found ',', expected: identifier after ','" },
  { text: 'a=b)', message: "found ')', expected: ',' or 'end of string'" },
  { text: 'a b', message: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
  { text: 'a in b', message: "unable to parse requirement: found 'b' expected: '('" },
  { text: 'a in (b', message: "unable to parse requirement: found '', expected: ',' or ')'" },
  { text: 'a in (b c)', message: "unable to parse requirement: found 'c', expected: ',' or ')'" },
  { text: 'a=(', message: "unable to parse requirement: found '(', expected: identifier" },
  { text: '!', message: "unable to parse requirement: found '', expected: identifier" },
  { text: '!a=b', message: "found '=', expected: ',' or 'end of string'" },
  { text: 'k<-5', message: /unable to parse requirement: values\[0\]\[k\]: Invalid value: "-5"/ },
  { text: '-a=b', message: `unable to parse requirement: <nil>: Invalid value: "-a": ${invalidKeyDetail}` },
  { text: 'a/b/c', message: /unable to parse requirement: <nil>: Invalid value: "a\/b\/c": a qualified name must consist of/ },
  { text: 'a=-b', message: /unable to parse requirement: values\[0\]\[a\]: Invalid value: "-b": a valid label must be an empty string/ },
  { text: `a=${'x'.repeat(64)}`, message: /must be no more than 63 characters/ },
  { text: 'a>b', message: /for 'Gt', 'Lt' operators, the value must be an integer/ },
  { text: '(', message: "found '(', expected: !, identifier, or 'end of string'" },
];

const matchCases: { selector: string; labels: Record<string, string> | undefined; want: boolean }[] = [
  { selector: '', labels: undefined, want: true },
  { selector: '', labels: { a: 'b' }, want: true },
  { selector: 'a=b', labels: { a: 'b' }, want: true },
  { selector: 'a=b', labels: { a: 'c' }, want: false },
  { selector: 'a=b', labels: undefined, want: false },
  { selector: 'a==b,c=d', labels: { a: 'b', c: 'd', e: 'f' }, want: true },
  { selector: 'a==b,c=d', labels: { a: 'b' }, want: false },
  { selector: 'a!=b', labels: {}, want: true },
  { selector: 'a!=b', labels: { a: 'b' }, want: false },
  { selector: 'a!=b', labels: { a: 'c' }, want: true },
  { selector: 'a in (x,y)', labels: { a: 'y' }, want: true },
  { selector: 'a in (x,y)', labels: { a: 'z' }, want: false },
  { selector: 'a in (x,y)', labels: {}, want: false },
  { selector: 'a notin (x,y)', labels: {}, want: true },
  { selector: 'a notin (x,y)', labels: { a: 'x' }, want: false },
  { selector: 'a', labels: { a: '' }, want: true },
  { selector: 'a', labels: { b: 'a' }, want: false },
  { selector: '!a', labels: { b: 'a' }, want: true },
  { selector: '!a', labels: { a: 'x' }, want: false },
  { selector: 'a=', labels: { a: '' }, want: true },
  { selector: 'a=', labels: {}, want: false },
  { selector: 'k>5', labels: { k: '6' }, want: true },
  { selector: 'k>5', labels: { k: '5' }, want: false },
  { selector: 'k<5', labels: { k: 'x' }, want: false },
  { selector: 'constructor', labels: {}, want: false },
  { selector: '!toString', labels: {}, want: true },
];

describe('parseLabelSelector', () => {
  for (const c of parseCases) {
    it(`parses ${JSON.stringify(c.text)}`, () => {
      const sel = parseLabelSelector(c.text);
      assert.equal(sel.toString(), c.canonical);
      assert.equal(sel.empty(), c.canonical === '');
      // The canonical form parses back to itself.
      assert.equal(parseLabelSelector(sel.toString()).toString(), c.canonical);
    });
  }

  for (const c of errorCases) {
    it(`rejects ${JSON.stringify(c.text)}`, () => {
      assert.throws(
        () => parseLabelSelector(c.text),
        (err: unknown) => {
          assert.ok(err instanceof SelectorParseError, `expected SelectorParseError, got ${String(err)}`);
          if (typeof c.message === 'string') assert.equal(err.message, c.message);
          else assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }

  for (const c of matchCases) {
    it(`${JSON.stringify(c.selector)} ${c.want ? 'matches' : 'does not match'} ${JSON.stringify(c.labels)}`, () => {
      assert.equal(parseLabelSelector(c.selector).matches(c.labels), c.want);
    });
  }

  it('exposes requirements and exact matches', () => {
    const sel = parseLabelSelector('b in (y),a=x,c!=z');
    assert.deepStrictEqual(
      sel.requirements().map((r) => [r.key, r.operator, r.values]),
      [
        ['a', '=', ['x']],
        ['b', 'in', ['y']],
        ['c', '!=', ['z']],
      ],
    );
    assert.equal(sel.requiresExactMatch('a'), 'x');
    assert.equal(sel.requiresExactMatch('b'), 'y');
    assert.equal(sel.requiresExactMatch('c'), undefined);
  });
});

describe('labelSelectorFromMetav1', () => {
  it('a nil selector matches nothing', () => {
    for (const nil of [undefined, null]) {
      const sel = labelSelectorFromMetav1(nil);
      assert.equal(sel.matches({}), false);
      assert.equal(sel.matches({ a: 'b' }), false);
      assert.equal(sel.empty(), false);
      assert.equal(matchesNothing(sel), true);
    }
  });

  it('an empty selector matches everything', () => {
    for (const empty of [{}, { matchLabels: {}, matchExpressions: [] }]) {
      const sel = labelSelectorFromMetav1(empty);
      assert.equal(sel.empty(), true);
      assert.equal(sel.matches(undefined), true);
      assert.equal(sel.matches({ a: 'b' }), true);
    }
  });

  const cases: { selector: Metav1LabelSelector; text: string; yes: Record<string, string>[]; no: Record<string, string>[] }[] = [
    { selector: { matchLabels: { app: 'web' } }, text: 'app=web', yes: [{ app: 'web', x: 'y' }], no: [{ app: 'db' }, {}] },
    {
      selector: { matchLabels: { tier: 'fe', app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['qa', 'prod'] }] },
      text: 'app=web,env in (prod,qa),tier=fe',
      yes: [{ app: 'web', tier: 'fe', env: 'qa' }],
      no: [{ app: 'web', tier: 'fe' }, { app: 'web', tier: 'fe', env: 'dev' }],
    },
    {
      selector: {
        matchExpressions: [
          { key: 'b', operator: 'NotIn', values: ['x'] },
          { key: 'a', operator: 'Exists' },
          { key: 'c', operator: 'DoesNotExist' },
        ],
      },
      text: 'a,b notin (x),!c',
      yes: [{ a: '' }, { a: '1', b: 'y' }],
      no: [{ a: '1', b: 'x' }, { a: '1', c: '1' }, { b: 'y' }],
    },
  ];
  for (const c of cases) {
    it(`converts to ${c.text}`, () => {
      const sel = labelSelectorFromMetav1(c.selector);
      assert.equal(sel.toString(), c.text);
      assert.equal(selectorToString(c.selector), c.text);
      for (const labels of c.yes) assert.equal(sel.matches(labels), true, JSON.stringify(labels));
      for (const labels of c.no) assert.equal(sel.matches(labels), false, JSON.stringify(labels));
    });
  }

  const invalid: { selector: Metav1LabelSelector; message: RegExp }[] = [
    { selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, message: /^values: Invalid value: \[\]: for 'in', 'notin' operators, values set can't be empty$/ },
    { selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, message: /values set must be empty for exists and does not exist/ },
    { selector: { matchLabels: { 'bad key': 'x' } }, message: /^key: Invalid value: "bad key": name part must consist/ },
    { selector: { matchLabels: { a: 'bad value' } }, message: /^values\[0\]\[a\]: Invalid value: "bad value"/ },
    { selector: { matchExpressions: [{ key: 'a', operator: 'Gt' as 'In', values: ['1'] }] }, message: /^"Gt" is not a valid label selector operator$/ },
  ];
  for (const c of invalid) {
    it(`rejects ${JSON.stringify(c.selector)}`, () => {
      assert.throws(() => labelSelectorFromMetav1(c.selector), (err: unknown) => err instanceof SelectorParseError && c.message.test(err.message));
    });
  }
});

describe('selectorToString', () => {
  it('is empty for nil and empty selectors', () => {
    assert.equal(selectorToString(undefined), '');
    assert.equal(selectorToString(null), '');
    assert.equal(selectorToString({}), '');
  });

  it('gives the scale subresource string that parses back to an equivalent selector', () => {
    const metav1 = { matchLabels: { app: 'd1' }, matchExpressions: [{ key: 'pod-template-hash', operator: 'NotIn' as const, values: ['b', 'a'] }] };
    const text = selectorToString(metav1);
    assert.equal(text, 'app=d1,pod-template-hash notin (a,b)');
    const reparsed = parseLabelSelector(text);
    for (const labels of [{ app: 'd1' }, { app: 'd1', 'pod-template-hash': 'a' }, { app: 'd2' }]) {
      assert.equal(reparsed.matches(labels), labelSelectorFromMetav1(metav1).matches(labels), JSON.stringify(labels));
    }
  });
});

describe('selectorFromSet', () => {
  it('selects exactly the set', () => {
    const sel = selectorFromSet({ b: '2', a: '1' });
    assert.equal(sel.toString(), 'a=1,b=2');
    assert.equal(sel.matches({ a: '1', b: '2', c: '3' }), true);
    assert.equal(sel.matches({ a: '1' }), false);
    assert.equal(selectorFromSet(undefined).empty(), true);
  });
});
