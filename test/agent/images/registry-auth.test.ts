import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate } from '../../../agent/images/registry-auth.ts';
import { isLoopbackRegistry, registryBaseUrl } from '../../../agent/images/registry-client.ts';

describe('parseWwwAuthenticate', () => {
  it("parses Docker Hub's bearer challenge", () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
  });
  it('parses basic, token values and several challenges', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://a/token", service=reg, Basic realm="r"'), [
      { scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg' } },
      { scheme: 'basic', params: { realm: 'r' } },
    ]);
  });
  it('keeps commas and escaped quotes inside quoted values; lower-cases names', () => {
    assert.deepEqual(parseWwwAuthenticate('BEARER Realm="https://a/t?x=1,2",error="insufficient_scope",note="say \\"hi\\""'), [
      { scheme: 'bearer', params: { realm: 'https://a/t?x=1,2', error: 'insufficient_scope', note: 'say "hi"' } },
    ]);
  });
  it('returns nothing for an empty header', () => {
    assert.deepEqual(parseWwwAuthenticate(''), []);
  });
});

describe('registryBaseUrl', () => {
  it("maps docker.io to Docker Hub's API host over HTTPS", () => {
    assert.equal(registryBaseUrl('docker.io'), 'https://registry-1.docker.io');
  });
  it('speaks plain HTTP to loopback registries only, unless a registry is named insecure', () => {
    assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(registryBaseUrl('localhost:5000'), 'http://localhost:5000');
    assert.equal(registryBaseUrl('localhost'), 'http://localhost');
    assert.equal(registryBaseUrl('[::1]:5000'), 'http://[::1]:5000');
    assert.equal(registryBaseUrl('registry.example.com:5000'), 'https://registry.example.com:5000');
    assert.equal(registryBaseUrl('10.0.0.5:5000'), 'https://10.0.0.5:5000');
    assert.equal(registryBaseUrl('10.0.0.5:5000', ['10.0.0.5:5000']), 'http://10.0.0.5:5000');
    assert.equal(registryBaseUrl('10.0.0.5:5001', ['10.0.0.5:5000']), 'https://10.0.0.5:5001');
    assert.equal(isLoopbackRegistry('127.5.6.7:80'), true);
    assert.equal(isLoopbackRegistry('127.example.com'), false);
  });
});
