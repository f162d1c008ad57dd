import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDirLayout, defaultDataDir } from '../../cli/data-dir.ts';

test('the default data dir is per user: $XDG_DATA_HOME/pier, else ~/.local/share/pier', () => {
  assert.equal(defaultDataDir({ HOME: '/home/ana' }), '/home/ana/.local/share/pier');
  assert.equal(defaultDataDir({ HOME: '/home/ana', XDG_DATA_HOME: '/data/ana' }), '/data/ana/pier');
  // The XDG spec says a relative path is invalid and must be ignored.
  assert.equal(defaultDataDir({ HOME: '/home/ana', XDG_DATA_HOME: 'relative' }), '/home/ana/.local/share/pier');
  assert.equal(defaultDataDir({ HOME: '/home/ana', XDG_DATA_HOME: '' }), '/home/ana/.local/share/pier');
});

test('the data dir layout', () => {
  assert.deepEqual(dataDirLayout('/d'), {
    dir: '/d',
    pkiDir: '/d/pki',
    tokenAuthFile: '/d/tokens.csv',
    kubeconfig: '/d/kubeconfig',
    etcdDataDir: '/d/etcd',
    etcdLog: '/d/etcd.log',
    agentRootDir: '/d/agent',
  });
});
