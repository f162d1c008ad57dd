import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoDuration } from '../../cli/go-duration.ts';

test('Go durations parse as time.ParseDuration does', () => {
  const ok: Array<[string, number]> = [['0', 0], ['40s', 40_000], ['5m', 300_000], ['1m30s', 90_000], ['250ms', 250], ['1.5h', 5_400_000], ['1h2m3s4ms', 3_723_004], ['.5s', 500]];
  for (const [text, ms] of ok) assert.equal(parseGoDuration(text), ms, text);
  for (const bad of ['', '10', 's', '-1s', '1d', '1s ', ' 1s', '1.s.s']) assert.equal(parseGoDuration(bad), undefined, bad);
});
