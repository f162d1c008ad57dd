import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitString, integer, objectIdentifier, time, tlv } from '../../../client/pki/der.ts';

const hex = (b: Buffer) => b.toString('hex');

test('integer is minimal and never negative', () => {
  const cases: [Buffer | number, string][] = [
    [0, '020100'],
    [2, '020102'],
    [0x7f, '02017f'],
    [0x80, '02020080'],
    [Buffer.from([0, 0, 0x01]), '020101'],
    [Buffer.from([0, 0x80]), '02020080'],
    [Buffer.from([0xff, 0x01]), '020300ff01'],
  ];
  for (const [input, want] of cases) assert.equal(hex(integer(input)), want, `integer(${hex(Buffer.from(typeof input === 'number' ? [input] : input))})`);
});

test('object identifiers encode base-128 arcs', () => {
  assert.equal(hex(objectIdentifier('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
  assert.equal(hex(objectIdentifier('2.5.29.17')), '0603551d11');
  assert.equal(hex(objectIdentifier('1.3.6.1.5.5.7.3.1')), '06082b06010505070301');
});

test('lengths of 128 bytes and more use the long form', () => {
  assert.equal(hex(tlv(0x04, Buffer.alloc(127)).subarray(0, 2)), '047f');
  assert.equal(hex(tlv(0x04, Buffer.alloc(128)).subarray(0, 3)), '048180');
  assert.equal(hex(tlv(0x04, Buffer.alloc(300)).subarray(0, 4)), '0482012c');
});

test('time is UTCTime before 2050 and GeneralizedTime from 2050', () => {
  assert.equal(time(new Date('2026-11-23T10:09:08.765Z')).toString('latin1'), '\x17\x0d261123100908Z');
  assert.equal(time(new Date('2050-01-02T03:04:05Z')).toString('latin1'), '\x18\x0f20500102030405Z');
});

test('bit string carries its unused-bit count', () => {
  assert.equal(hex(bitString(Buffer.from([0x86]), 1)), '03020186');
});
