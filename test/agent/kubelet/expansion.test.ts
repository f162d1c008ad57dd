import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, lookupIn } from '../../../agent/kubelet/expansion.ts';

const vars = lookupIn(new Map([['VAR_A', 'A'], ['VAR_B', 'B'], ['EMPTY', '']]));

test('$(VAR) expansion follows kubernetes/third_party/forked/golang/expansion', () => {
  const cases: Array<[string, string]> = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_B)', 'A-B'],
    ['$(EMPTY)x', 'x'],
    // Unknown variables stay as written.
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$(VAR_A)$(UNKNOWN)', 'A$(UNKNOWN)'],
    // $$ escapes.
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['foo$$bar', 'foo$bar'],
    // Not references.
    ['$VAR_A', '$VAR_A'],
    ['${VAR_A}', '${VAR_A}'],
    ['$(VAR_A', '$(VAR_A'],
    ['$', '$'],
    ['trailing$', 'trailing$'],
    ['$()', '$()'],
    ['', ''],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, vars), want, JSON.stringify(input));
});

test('lookupIn consults its maps in order', () => {
  const lookup = lookupIn(new Map([['X', 'first']]), new Map([['X', 'second'], ['Y', 'y']]));
  assert.equal(lookup('X'), 'first');
  assert.equal(lookup('Y'), 'y');
  assert.equal(lookup('Z'), undefined);
});
