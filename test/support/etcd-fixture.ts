/**
 * A file-wide etcd plus a raw `etcd3` client on it, for storage tests that
 * look at etcd directly: registers the before/after hooks and returns an
 * object whose fields are set once `before` has run.
 */
import { after, before } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcd, type TestEtcd } from './etcd.ts';

export function etcdWithRawClient(): { etcd: TestEtcd; raw: Etcd3 } {
  const fx = {} as { etcd: TestEtcd; raw: Etcd3 };
  before(async () => {
    fx.etcd = await startEtcd();
    fx.raw = new Etcd3({ hosts: fx.etcd.endpoint });
  });
  after(async () => {
    fx.raw?.close();
    await fx.etcd?.stop();
  });
  return fx;
}
