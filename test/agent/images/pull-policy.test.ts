import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPullPolicy, ImageNeverPullError, shouldPullImage } from '../../../agent/images/pull-policy.ts';

const digest = `sha256:${'c'.repeat(64)}`;

describe('defaultPullPolicy', () => {
  const cases: [string, string][] = [
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['docker.io/library/busybox:latest', 'Always'],
    ['127.0.0.1:5000/pier/busybox', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['localhost:5000/a:v1', 'IfNotPresent'],
    [`busybox@${digest}`, 'IfNotPresent'],
    [`busybox:latest@${digest}`, 'Always'],
    [`busybox:1.0@${digest}`, 'IfNotPresent'],
    ['NOT A REFERENCE', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) it(`${image} → ${want}`, () => assert.equal(defaultPullPolicy(image), want));
});

describe('shouldPullImage', () => {
  it('Always pulls, present or not', () => {
    assert.equal(shouldPullImage('Always', true, 'busybox'), true);
    assert.equal(shouldPullImage('Always', false, 'busybox'), true);
  });
  it('IfNotPresent pulls only when absent', () => {
    assert.equal(shouldPullImage('IfNotPresent', true, 'busybox:1'), false);
    assert.equal(shouldPullImage('IfNotPresent', false, 'busybox:1'), true);
  });
  it('Never uses a present image and fails with ErrImageNeverPull otherwise', () => {
    assert.equal(shouldPullImage('Never', true, 'busybox:1'), false);
    assert.throws(
      () => shouldPullImage('Never', false, 'busybox:1'),
      (err: unknown) => err instanceof ImageNeverPullError && err.reason === 'ErrImageNeverPull' && err.message === 'Container image "busybox:1" is not present with pull policy of Never',
    );
  });
});
