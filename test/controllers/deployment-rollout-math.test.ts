/**
 * The pure parts of the Deployment controller, table-tested: fenceposts and
 * their rounding, the template hash, template equality, proportions,
 * revision bookkeeping, and the new RS's size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, ReplicaSet } from '../../controllers/controller-utils/workload-objects.ts';
import { setNewReplicaSetAnnotations } from '../../controllers/deployment/deployment-annotations.ts';
import { newRSNewReplicas } from '../../controllers/deployment/new-replica-set.ts';
import { computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from '../../controllers/deployment/pod-template-hash.ts';
import { getProportion } from '../../controllers/deployment/replica-set-counts.ts';
import { maxSurge, maxUnavailable, resolveFenceposts } from '../../controllers/deployment/rollout-limits.ts';

function dep(replicas: number, surge: number | string, unavailable: number | string, type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate'): Deployment {
  return {
    metadata: { name: 'd', annotations: { team: 'a' } },
    spec: {
      replicas,
      strategy: type === 'Recreate' ? { type } : { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    },
  };
}

function rs(name: string, replicas: number, extra: Partial<ReplicaSet['metadata']> = {}, status: ReplicaSet['status'] = {}): ReplicaSet {
  return { metadata: { name, uid: name, ...extra }, spec: { replicas, template: {} }, status };
}

describe('rollout limits', () => {
  const cases: Array<[number, number | string, number | string, number, number]> = [
    [10, '25%', '25%', 3, 2],
    [4, '25%', '25%', 1, 1],
    [3, '25%', '25%', 1, 0],
    [1, '25%', '25%', 1, 0],
    [10, 0, 0, 0, 1],
    [10, '0%', '0%', 0, 1],
    [5, 2, 7, 2, 5],
    [0, '25%', '25%', 0, 0],
  ];
  for (const [replicas, surge, unavailable, wantSurge, wantUnavailable] of cases) {
    it(`${replicas} replicas, surge ${surge}, unavailable ${unavailable} → ${wantSurge}/${wantUnavailable}`, () => {
      const d = dep(replicas, surge, unavailable);
      assert.equal(maxSurge(d), wantSurge);
      assert.equal(maxUnavailable(d), wantUnavailable);
    });
  }
  it('Recreate has neither', () => {
    assert.equal(maxSurge(dep(3, 1, 1, 'Recreate')), 0);
    assert.equal(maxUnavailable(dep(3, 1, 1, 'Recreate')), 0);
  });
  it('defaults to 25%/25%', () => {
    assert.deepEqual(resolveFenceposts(undefined, undefined, 8), { surge: 2, unavailable: 2 });
  });
});

describe('pod-template-hash', () => {
  it('is FNV-1a 32 (reference vectors)', () => {
    assert.equal(fnv32a(new Uint8Array()), 0x811c9dc5);
    assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
    assert.equal(fnv32a(new TextEncoder().encode('foobar')), 0xbf9cf968);
  });
  it('renders digits through SafeEncodeString', () => {
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  });
  it('is stable across key order and empty fields, and changes with the template and collisionCount', () => {
    const a = { metadata: { labels: { app: 'x', tier: 'y' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const b = { spec: { containers: [{ image: 'i', name: 'c', env: [] }] }, metadata: { annotations: {}, labels: { tier: 'y', app: 'x' } } };
    assert.equal(computeHash(a), computeHash(b));
    assert.notEqual(computeHash(a), computeHash({ ...a, spec: { containers: [{ name: 'c', image: 'j' }] } }));
    assert.notEqual(computeHash(a), computeHash(a, 1));
    assert.match(computeHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
  it('equalIgnoreHash ignores only the hash label', () => {
    const t = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    assert.ok(equalIgnoreHash(t, { ...t, metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } } }));
    assert.ok(!equalIgnoreHash(t, { ...t, metadata: { labels: { app: 'y' } } }));
  });
});

describe('proportions and sizes', () => {
  it('new RS grows within surge, counting pods an old RS has not yet removed', () => {
    const d = dep(4, 1, 1);
    const newRS = rs('new', 0);
    assert.equal(newRSNewReplicas(d, [rs('old', 4, {}, { replicas: 4 }), newRS], newRS), 1);
    // Old RS asked to shrink to 3 but still has 4 pods: no room yet.
    const grown = rs('new', 1);
    assert.equal(newRSNewReplicas(d, [rs('old', 3, {}, { replicas: 4 }), grown], grown), 1);
    assert.equal(newRSNewReplicas(d, [rs('old', 3, {}, { replicas: 3 }), grown], grown), 2);
    assert.equal(newRSNewReplicas(dep(4, 1, 1, 'Recreate'), [newRS], newRS), 4);
  });
  it('splits a resize by the max-replicas annotation', () => {
    const d = dep(20, 2, 0);
    const annotated = (name: string, n: number) => rs(name, n, { annotations: { 'deployment.kubernetes.io/max-replicas': '12' } });
    // 10 → 20 replicas (max 12 → 22): an RS of 6 should grow to 11.
    assert.equal(getProportion(annotated('a', 6), d, 10, 0), 5);
    assert.equal(getProportion(annotated('a', 6), d, 3, 0), 3, 'capped by what is left to add');
    assert.equal(getProportion(rs('z', 0), d, 10, 0), 0);
  });
});

describe('revision annotations', () => {
  it('a reused RS takes the new revision and records its old one', () => {
    const d = dep(3, 1, 1);
    const old = rs('old', 0, { annotations: { 'deployment.kubernetes.io/revision': '1' } });
    assert.ok(setNewReplicaSetAnnotations(d, old, 3, true));
    assert.equal(old.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(old.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(old.metadata.annotations?.['team'], 'a');
    assert.ok(setNewReplicaSetAnnotations(d, old, 5, true));
    assert.equal(old.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1,3');
    assert.ok(!setNewReplicaSetAnnotations(d, old, 5, true), 'idempotent');
  });
  it('a new RS gets desired and max replicas', () => {
    const fresh = rs('new', 0);
    setNewReplicaSetAnnotations(dep(10, '25%', '25%'), fresh, 1, false);
    assert.deepEqual(fresh.metadata.annotations, {
      team: 'a',
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '10',
      'deployment.kubernetes.io/max-replicas': '13',
    });
  });
});
