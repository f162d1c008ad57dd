import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  familiarName,
  familiarString,
  InvalidImageReferenceError,
  parseDockerRef,
  parseNormalizedNamed,
  referenceName,
  referenceString,
} from '../../../agent/images/reference.ts';

const hex = 'a'.repeat(64);
const digest = `sha256:${hex}`;

describe('parseNormalizedNamed', () => {
  const valid: [string, string, string][] = [
    // input, normalised, familiar
    ['busybox', 'docker.io/library/busybox', 'busybox'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['library/busybox', 'docker.io/library/busybox', 'busybox'],
    ['docker.io/busybox', 'docker.io/library/busybox', 'busybox'],
    ['index.docker.io/busybox:1', 'docker.io/library/busybox:1', 'busybox:1'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['pier/busybox', 'docker.io/pier/busybox', 'pier/busybox'],
    ['docker.io/library/a/b', 'docker.io/library/a/b', 'library/a/b'],
    ['localhost/foo', 'localhost/foo', 'localhost/foo'],
    ['localhost:5000/foo/bar:tag', 'localhost:5000/foo/bar:tag', 'localhost:5000/foo/bar:tag'],
    ['127.0.0.1:5000/pier/busybox:1.0', '127.0.0.1:5000/pier/busybox:1.0', '127.0.0.1:5000/pier/busybox:1.0'],
    ['quay.io/coreos/etcd:v3.5.0', 'quay.io/coreos/etcd:v3.5.0', 'quay.io/coreos/etcd:v3.5.0'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['gcr.io/a/b/c/d:1', 'gcr.io/a/b/c/d:1', 'gcr.io/a/b/c/d:1'],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com/bar/baz/quux'],
    ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080', 'foo_bar.com:8080'],
    ['a__b/c--d.e_f', 'docker.io/a__b/c--d.e_f', 'a__b/c--d.e_f'],
    ['Foo/bar', 'Foo/bar', 'Foo/bar'],
    ['REGISTRY.EXAMPLE.COM/x', 'REGISTRY.EXAMPLE.COM/x', 'REGISTRY.EXAMPLE.COM/x'],
    ['[::1]:5000/a/b:c', '[::1]:5000/a/b:c', '[::1]:5000/a/b:c'],
    ['xn--n3h.com/app', 'xn--n3h.com/app', 'xn--n3h.com/app'],
    ['busybox:_under.score-1', 'docker.io/library/busybox:_under.score-1', 'busybox:_under.score-1'],
    [`busybox@${digest}`, `docker.io/library/busybox@${digest}`, `busybox@${digest}`],
    [`busybox:1.0@${digest}`, `docker.io/library/busybox:1.0@${digest}`, `busybox:1.0@${digest}`],
    [`myreg:5000/a/b@${digest}`, `myreg:5000/a/b@${digest}`, `myreg:5000/a/b@${digest}`],
    [`x@sha512:${'b'.repeat(128)}`, `docker.io/library/x@sha512:${'b'.repeat(128)}`, `x@sha512:${'b'.repeat(128)}`],
  ];
  for (const [input, normalised, familiar] of valid) {
    it(`normalises ${input.length > 60 ? `${input.slice(0, 57)}...` : input}`, () => {
      const ref = parseNormalizedNamed(input);
      assert.equal(referenceString(ref), normalised);
      assert.equal(familiarString(ref), familiar);
    });
  }

  it('splits domain, path, tag and digest', () => {
    assert.deepEqual(parseNormalizedNamed(`localhost:5000/a/b:t@${digest}`), { domain: 'localhost:5000', path: 'a/b', tag: 't', digest });
    assert.deepEqual(parseNormalizedNamed('busybox'), { domain: 'docker.io', path: 'library/busybox' });
    assert.equal(referenceName(parseNormalizedNamed('busybox:1')), 'docker.io/library/busybox');
    assert.equal(familiarName(parseNormalizedNamed('docker.io/pier/busybox:1')), 'pier/busybox');
  });

  const invalid: [string, RegExp][] = [
    ['', /at least one component/],
    ['UPPER', /must be lowercase/],
    ['busyBox:1', /must be lowercase/],
    ['docker.io/UPPER/x', /must be lowercase/],
    ['localhost/Foo', /must be lowercase/],
    [hex, /64-byte hexadecimal/],
    ['busybox:', /invalid reference format/],
    [':tag', /invalid reference format/],
    ['a/', /invalid reference format/],
    ['/a', /invalid reference format/],
    ['-foo', /invalid reference format/],
    ['foo/-bar', /invalid reference format/],
    ['a..b', /invalid reference format/],
    ['a.-b', /invalid reference format/],
    ['foo bar', /invalid reference format/],
    ['busybox:1:2', /invalid reference format/],
    ['busybox:-tag', /invalid reference format/],
    [`busybox:${'t'.repeat(129)}`, /invalid reference format/],
    ['localhost:notaport/foo', /invalid reference format/],
    ['http://example.com/foo', /invalid reference format/],
    ['busybox@sha256:abc', /invalid reference format/],
    [`busybox@sha256:${'a'.repeat(63)}`, /invalid digest format/],
    [`busybox@sha256:${'A'.repeat(64)}`, /invalid digest format/],
    [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    [`busybox@${digest}:tag`, /invalid reference format/],
    [`example.com/${'a'.repeat(250)}`, /not be more than 255 characters/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 37)}...` : input)}`, () => {
      assert.throws(() => parseNormalizedNamed(input), (err: unknown) => {
        assert.ok(err instanceof InvalidImageReferenceError, String(err));
        assert.equal(err.reason, 'InvalidImageName');
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }
});

describe('parseDockerRef', () => {
  it('adds latest when there is neither tag nor digest', () => {
    assert.equal(referenceString(parseDockerRef('busybox')), 'docker.io/library/busybox:latest');
    assert.equal(referenceString(parseDockerRef('127.0.0.1:5000/pier/busybox')), '127.0.0.1:5000/pier/busybox:latest');
  });
  it('keeps an explicit tag', () => {
    assert.equal(referenceString(parseDockerRef('busybox:1.36')), 'docker.io/library/busybox:1.36');
  });
  it('drops the tag when a digest pins the content', () => {
    assert.deepEqual(parseDockerRef(`busybox:1.0@${digest}`), { domain: 'docker.io', path: 'library/busybox', digest });
    assert.equal(referenceString(parseDockerRef(`busybox@${digest}`)), `docker.io/library/busybox@${digest}`);
  });
});
