import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipAddressBytes, servingNames } from '../../../client/pki/subject-alt-names.ts';

test('ipAddressBytes parses IPv4, IPv6 and leaves DNS names alone', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', '7f000001'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['localhost', undefined],
    ['node-1.example', undefined],
  ];
  for (const [input, want] of cases) assert.equal(ipAddressBytes(input)?.toString('hex'), want, input);
});

test('servingNames puts the loopback names first and removes duplicates', () => {
  assert.deepEqual(servingNames(['LOCALHOST', '[fd00::1]', '', 'node-1', '127.0.0.1']), ['127.0.0.1', '::1', 'localhost', 'fd00::1', 'node-1']);
});
