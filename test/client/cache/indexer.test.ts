import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../client/api/meta.ts';
import { DeletedFinalStateUnknown, unwrapTombstone } from '../../../client/cache/deleted-final-state-unknown.ts';
import { Indexer, metaNamespaceKeyFunc, namespaceIndex, splitMetaNamespaceKey } from '../../../client/cache/indexer.ts';
import { Lister } from '../../../client/cache/lister.ts';

interface Pod extends KubeObject {
  spec: { nodeName?: string };
}

const pod = (namespace: string, name: string, nodeName?: string, rv = '1'): Pod => ({
  metadata: { namespace, name, resourceVersion: rv },
  spec: nodeName === undefined ? {} : { nodeName },
});

const byNodeName = (p: Pod) => (p.spec.nodeName ? [p.spec.nodeName] : []);

describe('keys', () => {
  it('are namespace/name, or name for cluster-scoped objects, and split back', () => {
    assert.equal(metaNamespaceKeyFunc(pod('default', 'a')), 'default/a');
    assert.equal(metaNamespaceKeyFunc({ metadata: { name: 'n1' } }), 'n1');
    assert.deepEqual(splitMetaNamespaceKey('default/a'), { namespace: 'default', name: 'a' });
    assert.deepEqual(splitMetaNamespaceKey('n1'), { name: 'n1' });
    assert.throws(() => splitMetaNamespaceKey('a/b/c'));
    assert.throws(() => metaNamespaceKeyFunc({ metadata: {} }));
  });
});

describe('Indexer', () => {
  it('stores by key and keeps a custom index in step with add, update, delete and replace', () => {
    const idx = new Indexer<Pod>({ nodeName: byNodeName });
    idx.add(pod('default', 'a', 'node-1'));
    idx.add(pod('default', 'b', 'node-1'));
    idx.add(pod('kube-system', 'c'));
    assert.deepEqual(idx.indexKeys('nodeName', 'node-1').sort(), ['default/a', 'default/b']);
    assert.deepEqual(idx.listIndexFuncValues('nodeName'), ['node-1']);

    const old = idx.update(pod('default', 'b', 'node-2', '2'));
    assert.equal(old?.metadata.resourceVersion, '1');
    assert.deepEqual(idx.indexKeys('nodeName', 'node-1'), ['default/a']);
    assert.deepEqual(idx.byIndex('nodeName', 'node-2').map((p) => p.metadata.name), ['b']);

    idx.delete(pod('default', 'a'));
    assert.deepEqual(idx.indexKeys('nodeName', 'node-1'), []);
    assert.deepEqual(idx.listIndexFuncValues('nodeName'), ['node-2'], 'empty index values are dropped');
    assert.equal(idx.getByKey('default/a'), undefined);
    assert.equal(idx.size, 2);

    idx.replace([pod('x', 'z', 'node-9')]);
    assert.deepEqual(idx.listKeys(), ['x/z']);
    assert.deepEqual(idx.indexKeys('nodeName', 'node-2'), []);
    assert.deepEqual(idx.indexKeys('nodeName', 'node-9'), ['x/z']);
    assert.deepEqual(idx.indexKeys(namespaceIndex, 'x'), ['x/z']);
    assert.throws(() => idx.byIndex('missing', 'v'), /does not exist/);
  });

  it('lists through a Lister by namespace, name and index', () => {
    const idx = new Indexer<Pod>({ nodeName: byNodeName });
    idx.add(pod('default', 'a', 'node-1'));
    idx.add(pod('other', 'b', 'node-1'));
    const lister = new Lister(idx);
    assert.equal(lister.get('default', 'a')?.metadata.name, 'a');
    assert.equal(lister.get('default', 'b'), undefined);
    assert.deepEqual(lister.list('other').map((p) => p.metadata.name), ['b']);
    assert.equal(lister.list().length, 2);
    assert.equal(lister.list(undefined, (p) => p.metadata.namespace === 'default').length, 1);
    assert.equal(lister.byIndex('nodeName', 'node-1').length, 2);
  });
});

describe('DeletedFinalStateUnknown', () => {
  it('unwraps to the last known object', () => {
    const p = pod('default', 'a');
    assert.equal(unwrapTombstone(new DeletedFinalStateUnknown('default/a', p)), p);
    assert.equal(unwrapTombstone(p), p);
  });
});

describe('Indexer.addIndexers', () => {
  it('indexes present items, accepts the same index twice, and refuses a different one under a taken name', () => {
    const byNode = (o: KubeObject) => [String((o as { spec?: { nodeName?: string } }).spec?.nodeName ?? '')];
    const indexer = new Indexer<KubeObject>();
    indexer.add({ ...pod('default', 'a'), spec: { nodeName: 'n1' } } as KubeObject);
    indexer.addIndexers({ byNode });
    assert.deepEqual(indexer.byIndex('byNode', 'n1').map((o) => o.metadata.name), ['a']);
    indexer.addIndexers({ byNode });
    indexer.add({ ...pod('default', 'b'), spec: { nodeName: 'n1' } } as KubeObject);
    assert.deepEqual(indexer.byIndex('byNode', 'n1').map((o) => o.metadata.name).sort(), ['a', 'b']);
    assert.throws(() => indexer.addIndexers({ byNode: () => [] }), /indexer conflict: "byNode" already exists/);
  });
});
