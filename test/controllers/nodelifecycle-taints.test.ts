/**
 * The pure parts of node lifecycle and taint eviction: which taints a node's
 * conditions call for, toleration matching and windows, and the default
 * tolerations pier applies in place of the DefaultTolerationSeconds admission
 * plugin.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredTaints } from '../../controllers/nodelifecycle/node-lifecycle-controller.ts';
import type { Node } from '../../controllers/nodelifecycle/pods-by-node.ts';
import { withDefaultTolerations } from '../../controllers/nodelifecycle/taint-eviction-controller.ts';
import { matchingTolerations, minTolerationMs, type Taint } from '../../controllers/nodelifecycle/taints.ts';

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
const custom: Taint = { key: 'example.com/dedicated', value: 'db', effect: 'NoExecute' };

function node(conditions: Array<[string, 'True' | 'False' | 'Unknown']>, taints: Taint[] = [], unschedulable = false): Node {
  return {
    metadata: { name: 'n' },
    spec: { taints, ...(unschedulable ? { unschedulable } : {}) },
    status: { conditions: conditions.map(([type, status]) => ({ type, status })) },
  };
}

const keys = (taints: Taint[]) => taints.map((t) => `${t.key}:${t.effect}`).sort();

describe('desiredTaints', () => {
  const cases: Array<[string, Node, string[]]> = [
    ['Ready=True: none', node([['Ready', 'True']]), []],
    ['Ready=Unknown: unreachable', node([['Ready', 'Unknown']]), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']],
    ['Ready=False: not-ready', node([['Ready', 'False']]), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']],
    [
      'pressure conditions and unschedulable',
      node([['Ready', 'True'], ['MemoryPressure', 'True'], ['DiskPressure', 'True'], ['PIDPressure', 'False']], [], true),
      ['node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule'],
    ],
    ['recovery removes managed taints, keeps others', node([['Ready', 'True']], [unreachable, { ...unreachable, effect: 'NoSchedule' }, custom]), ['example.com/dedicated:NoExecute']],
    ['Unknown → False swaps the NoExecute taint', node([['Ready', 'False']], [unreachable]), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']],
  ];
  for (const [name, n, want] of cases) {
    it(name, () => assert.deepEqual(keys(desiredTaints(n, '2024-01-01T00:00:00Z')), want));
  }

  it('keeps timeAdded of a taint already present and stamps new NoExecute taints', () => {
    const old = { ...unreachable, timeAdded: '2020-01-01T00:00:00Z' };
    const out = desiredTaints(node([['Ready', 'Unknown']], [old]), '2024-01-01T00:00:00Z');
    assert.equal(out.find((t) => t.effect === 'NoExecute')?.timeAdded, '2020-01-01T00:00:00Z');
    const fresh = desiredTaints(node([['Ready', 'False']]), '2024-01-01T00:00:00Z');
    assert.equal(fresh.find((t) => t.effect === 'NoExecute')?.timeAdded, '2024-01-01T00:00:00Z');
    assert.equal(fresh.find((t) => t.effect === 'NoSchedule')?.timeAdded, undefined);
  });
});

describe('tolerations', () => {
  it('matches every taint or none', () => {
    assert.deepEqual(matchingTolerations([unreachable, custom], [{ key: unreachable.key, operator: 'Exists' }]), { allTolerated: false, used: [] });
    const all = matchingTolerations([unreachable, custom], [{ operator: 'Exists' }]);
    assert.equal(all.allTolerated, true);
    assert.equal(all.used.length, 2);
    assert.equal(matchingTolerations([custom], [{ key: custom.key, operator: 'Equal', value: 'web' }]).allTolerated, false);
    assert.equal(matchingTolerations([custom], [{ key: custom.key, value: 'db', effect: 'NoExecute' }]).allTolerated, true);
  });

  it('windows: shortest tolerationSeconds, forever without one, at once for ≤ 0', () => {
    assert.equal(minTolerationMs([{ tolerationSeconds: 30 }, { tolerationSeconds: 5 }, {}]), 5_000);
    assert.equal(minTolerationMs([{}, { tolerationSeconds: null }]), -1);
    assert.equal(minTolerationMs([{ tolerationSeconds: -1 }, { tolerationSeconds: 5 }]), 0);
    assert.equal(minTolerationMs([]), 0);
  });

  it('adds the default not-ready/unreachable tolerations only where the pod has none', () => {
    const none = withDefaultTolerations([], 300, 200);
    assert.deepEqual(
      none.map((t) => [t.key, t.tolerationSeconds]),
      [
        ['node.kubernetes.io/not-ready', 300],
        ['node.kubernetes.io/unreachable', 200],
      ],
    );
    const own = withDefaultTolerations([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }], 300, 200);
    assert.deepEqual(own.map((t) => t.key), ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']);
    assert.equal(withDefaultTolerations([{ operator: 'Exists' }], 300, 300).length, 1, 'a wildcard toleration covers both');
  });
});
