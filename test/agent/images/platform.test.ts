import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainIds } from '../../../agent/images/chain-id.ts';
import { sha256Of } from '../../../agent/images/digest.ts';
import { parseManifest } from '../../../agent/images/oci-image-spec.ts';
import { selectPlatformManifest } from '../../../agent/images/platform.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (c: string, architecture: string, os = 'linux', variant?: string) => ({
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  digest: d(c),
  size: 100,
  platform: { architecture, os, ...(variant ? { variant } : {}) },
});

describe('selectPlatformManifest', () => {
  const list = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [entry('1', 'arm', 'linux', 'v7'), entry('2', 'arm64', 'linux', 'v8'), entry('3', 'unknown', 'unknown'), entry('4', 'amd64'), entry('5', 'amd64', 'windows')],
    }),
  );

  it('picks linux/amd64 from a Docker manifest list, wherever it is listed', () => {
    const parsed = parseManifest(list, undefined, 'test');
    assert.equal(parsed.kind, 'index');
    if (parsed.kind !== 'index') return;
    assert.equal(selectPlatformManifest(parsed.index).digest, d('4'));
    assert.equal(selectPlatformManifest(parsed.index, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, d('2'));
    assert.equal(selectPlatformManifest(parsed.index, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, d('1'));
  });

  it('names the platforms on offer when none matches', () => {
    const parsed = parseManifest(list, undefined, 'test');
    if (parsed.kind !== 'index') throw new Error('not an index');
    assert.throws(() => selectPlatformManifest(parsed.index, { os: 'linux', architecture: 's390x' }, 'busybox'), /busybox: no manifest for platform linux\/s390x \(image has linux\/arm\/v7, linux\/arm64\/v8, linux\/amd64, windows\/amd64\)/);
  });

  it('tells a manifest from an index by shape when mediaType is absent, and refuses schema 1', () => {
    const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x', digest: d('a'), size: 1 }, layers: [] })), undefined, 't');
    assert.equal(m.kind, 'manifest');
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] })), undefined, 't'), /schema 1 is not supported/);
    assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":2,"layers":"x"}'), 'application/vnd.oci.image.manifest.v1+json', 't'), /invalid image manifest/);
  });
});

describe('chainIds', () => {
  it('follows the OCI ChainID recursion', () => {
    assert.deepEqual(chainIds([]), []);
    assert.deepEqual(chainIds([d('a')]), [d('a')]);
    const second = sha256Of(`${d('a')} ${d('b')}`);
    assert.deepEqual(chainIds([d('a'), d('b'), d('c')]), [d('a'), second, sha256Of(`${second} ${d('c')}`)]);
  });
});
