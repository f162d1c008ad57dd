import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../client/api/meta.ts';
import { humanDuration, translateTimestampSince } from '../../../apiserver/registry/printing/human-duration.ts';
import { podRow } from '../../../apiserver/registry/pods/print.ts';
import { defOf } from './fixtures.ts';

const now = new Date('2026-01-10T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

describe('HumanDuration', () => {
  const cases: [number, string][] = [
    [-3, '<invalid>'],
    [-1.5, '0s'],
    [0, '0s'],
    [5, '5s'],
    [119, '119s'],
    [120, '2m'],
    [200, '3m20s'],
    [300, '5m'],
    [599, '9m59s'],
    [600, '10m'],
    [179 * 60, '179m'],
    [3 * 3600, '3h'],
    [3 * 3600 + 120, '3h2m'],
    [8 * 3600, '8h'],
    [47 * 3600, '47h'],
    [51 * 3600, '2d3h'],
    [48 * 3600, '2d'],
    [8 * 86400, '8d'],
    [729 * 86400, '729d'],
    [730 * 86400, '2y'],
    [731 * 86400, '2y1d'],
    [8 * 365 * 86400, '8y'],
  ];
  for (const [s, want] of cases) it(`${s}s -> ${want}`, () => assert.equal(humanDuration(s * 1000), want));
  it('translateTimestampSince', () => {
    assert.equal(translateTimestampSince(undefined, now), '<unknown>');
    assert.equal(translateTimestampSince('garbage', now), '<unknown>');
    assert.equal(translateTimestampSince(ago(65), now), '65s');
  });
});

function pod(status: object, spec: object = { containers: [{ name: 'c', image: 'i' }] }, metadata: object = {}): KubeObject {
  return { metadata: { name: 'p', creationTimestamp: ago(300), ...metadata }, spec, status } as KubeObject;
}

const running = { state: { running: { startedAt: ago(60) } }, ready: true, restartCount: 0, name: 'c' };

describe('pod STATUS/READY/RESTARTS', () => {
  const cases: { name: string; pod: KubeObject; want: [string, string, string] }[] = [
    { name: 'pending', pod: pod({ phase: 'Pending' }), want: ['0/1', 'Pending', '0'] },
    {
      name: 'container creating',
      pod: pod({ phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
      want: ['0/1', 'ContainerCreating', '0'],
    },
    { name: 'running', pod: pod({ phase: 'Running', containerStatuses: [running] }), want: ['1/1', 'Running', '0'] },
    {
      name: 'crash loop with restart age',
      pod: pod({
        phase: 'Running',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } } }],
      }),
      want: ['0/1', 'CrashLoopBackOff', '4 (2m ago)'],
    },
    {
      name: 'completed',
      pod: pod({ phase: 'Succeeded', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      want: ['0/1', 'Completed', '0'],
    },
    {
      name: 'exit code without reason',
      pod: pod({ phase: 'Failed', containerStatuses: [{ name: 'c', restartCount: 0, state: { terminated: { exitCode: 137 } } }] }),
      want: ['0/1', 'ExitCode:137', '0'],
    },
    { name: 'terminating', pod: pod({ phase: 'Running', containerStatuses: [running] }, undefined, { deletionTimestamp: ago(-30) }), want: ['1/1', 'Terminating', '0'] },
    {
      name: 'finished pods being deleted keep their phase',
      pod: pod({ phase: 'Succeeded' }, undefined, { deletionTimestamp: ago(-30) }),
      want: ['0/1', 'Succeeded', '0'],
    },
    { name: 'node lost', pod: pod({ phase: 'Running', reason: 'NodeLost' }, undefined, { deletionTimestamp: ago(0) }), want: ['0/1', 'Unknown', '0'] },
    {
      name: 'init containers running',
      pod: pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 0, state: { running: {} } }] },
        { initContainers: [{ name: 'init', image: 'i' }], containers: [{ name: 'c', image: 'i' }] },
      ),
      want: ['0/1', 'Init:0/1', '0'],
    },
    {
      name: 'init container failing',
      pod: pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
        { initContainers: [{ name: 'init', image: 'i' }], containers: [{ name: 'c', image: 'i' }] },
      ),
      want: ['0/1', 'Init:CrashLoopBackOff', '2'],
    },
    {
      name: 'scheduling gated',
      pod: pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
      want: ['0/1', 'SchedulingGated', '0'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const row = podRow(c.pod, now);
      assert.deepEqual([row.ready, row.status, row.restarts], c.want);
    });
  }

  it('full row with wide columns', () => {
    const p = pod({ phase: 'Running', podIP: '10.1.0.4', containerStatuses: [running] }, { nodeName: 'node-1', containers: [{ name: 'c', image: 'i' }] });
    const cols = defOf('Pod').printColumns;
    assert.deepEqual(cols.map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    assert.deepEqual(cols.map((c) => c.cell(p, now)), ['p', '1/1', 'Running', '0', '5m', '10.1.0.4', 'node-1', '<none>', '<none>']);
    assert.equal(cols[0]?.format, 'name');
  });
});

describe('other kinds', () => {
  const cells = (kind: string, obj: object) => defOf(kind).printColumns.map((c) => c.cell(obj as KubeObject, now));
  const names = (kind: string) => defOf(kind).printColumns.map((c) => c.name.toUpperCase());

  it('deployments', () => {
    assert.deepEqual(names('Deployment'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const d = {
      metadata: { name: 'web', creationTimestamp: ago(3600 * 50) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'fe' } }, template: { spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'redis' }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    assert.deepEqual(cells('Deployment', d), ['web', '2/3', 3, 2, '2d2h', 'a,b', 'nginx,redis', 'app=web,tier=fe']);
  });

  it('replicasets', () => {
    assert.deepEqual(names('ReplicaSet'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const rs = { metadata: { name: 'web-1', creationTimestamp: ago(10) }, spec: { replicas: 2, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'a'] }] }, template: { spec: { containers: [] } } }, status: { replicas: 2 } };
    assert.deepEqual(cells('ReplicaSet', rs), ['web-1', 2, 2, 0, '10s', '', '', 'app in (a,b)']);
  });

  it('nodes', () => {
    const n = {
      metadata: { name: 'n1', creationTimestamp: ago(60), labels: { 'node-role.kubernetes.io/control-plane': '' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.168.1.5' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'pier://0.1' },
      },
    };
    assert.deepEqual(cells('Node', n), ['n1', 'Ready,SchedulingDisabled', 'control-plane', '60s', 'v1.32.0', '192.168.1.5', '<none>', 'Debian', '6.1', 'pier://0.1']);
  });

  it('services', () => {
    const s = { metadata: { name: 'web', creationTimestamp: ago(5) }, spec: { type: 'NodePort', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web' } } };
    assert.deepEqual(cells('Service', s), ['web', 'NodePort', '10.96.0.9', '<none>', '80:30080/TCP,53/UDP', '5s', 'app=web']);
    const lb = { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [] } };
    assert.deepEqual(cells('Service', lb), ['lb', 'LoadBalancer', '<none>', '<pending>', '<none>', '<unknown>', '<none>']);
  });

  it('endpoints', () => {
    const e = {
      metadata: { name: 'web', creationTimestamp: ago(5) },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80 }] }],
    };
    assert.deepEqual(cells('Endpoints', e), ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...', '5s']);
    assert.deepEqual(cells('Endpoints', { metadata: { name: 'x' } }), ['x', '<none>', '<unknown>']);
  });

  it('events', () => {
    assert.deepEqual(names('Event'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
    const e = {
      metadata: { name: 'web.1' },
      involvedObject: { kind: 'Pod', name: 'web' },
      type: 'Normal',
      reason: 'Scheduled',
      message: ' Successfully assigned default/web to n1 ',
      source: { component: 'default-scheduler' },
      firstTimestamp: ago(90),
      lastTimestamp: ago(30),
    };
    assert.deepEqual(cells('Event', e), ['30s', 'Normal', 'Scheduled', 'pod/web', '', 'default-scheduler', 'Successfully assigned default/web to n1', '90s', 1, 'web.1']);
  });

  it('namespaces, configmaps, secrets, serviceaccounts, leases', () => {
    assert.deepEqual(cells('Namespace', { metadata: { name: 'ns', creationTimestamp: ago(1) }, status: { phase: 'Active' } }), ['ns', 'Active', '1s']);
    assert.deepEqual(cells('ConfigMap', { metadata: { name: 'c', creationTimestamp: ago(1) }, data: { a: '1' }, binaryData: { b: 'AA==' } }), ['c', 2, '1s']);
    assert.deepEqual(cells('Secret', { metadata: { name: 's', creationTimestamp: ago(1) }, type: 'Opaque', data: { a: 'MQ==' } }), ['s', 'Opaque', 1, '1s']);
    assert.deepEqual(cells('ServiceAccount', { metadata: { name: 'default', creationTimestamp: ago(1) } }), ['default', 0, '1s']);
    assert.deepEqual(cells('Lease', { metadata: { name: 'l', creationTimestamp: ago(1) }, spec: { holderIdentity: 'me' } }), ['l', 'me', '1s']);
  });
});
