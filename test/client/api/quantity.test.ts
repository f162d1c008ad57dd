import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuantity, quantityMilliValue, quantityValue } from '../../../client/api/quantity.ts';

test('quantityMilliValue and quantityValue parse Kubernetes quantities exactly, rounding up', () => {
  const cases: [string | number, number, number][] = [
    ['100m', 100, 1],
    ['0.1', 100, 1],
    ['1.5', 1500, 2],
    [2, 2000, 2],
    [0.25, 250, 1],
    ['128Mi', 128 * 1024 * 1024 * 1000, 128 * 1024 * 1024],
    ['1G', 1e12, 1e9],
    ['2Ki', 2048000, 2048],
    ['1e3', 1e6, 1000],
    ['1E', 1e21, 1e18],
    ['500u', 1, 1],
    ['0', 0, 0],
    ['1.1Gi', 1181116006400, 1181116007],
  ];
  for (const [input, milli, value] of cases) {
    assert.equal(quantityMilliValue(input), milli, `milli ${input}`);
    assert.equal(quantityValue(input), value, `value ${input}`);
  }
});

test('parseQuantity rejects malformed input', () => {
  for (const bad of ['', 'abc', '1.2.3', '1Qi', '1 Gi', '.', 'Mi', '1e']) {
    assert.throws(() => parseQuantity(bad), /quantities must match/, bad);
  }
});
