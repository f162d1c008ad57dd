import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServerMetricsRegistry, etcdRequestType, requestDurationBuckets } from '../../../apiserver/metrics/metrics.ts';
import { escapeLabelValue } from '../../../apiserver/metrics/labels.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict parser for the text exposition format: every line must be a comment or a well-formed sample. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'exposition ends with a newline');
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `one TYPE line per family: ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest !== '') {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      assert.ok(l, `malformed labels: ${JSON.stringify(m[2])}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), `value of ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

function find(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
}

test('request counter and duration histogram, by verb/group/resource/subresource', () => {
  const m = new ApiServerMetricsRegistry();
  m.observeRequest('list', '', 'pods', '', 200, 0.003);
  m.observeRequest('list', '', 'pods', '', 200, 0.3);
  m.observeRequest('create', 'apps', 'deployments', '', 201, 70);
  m.observeRequest('update', 'apps', 'deployments', 'status', 409, 0.01);
  const { samples, types } = parseExposition(m.render());
  assert.equal(types.get('apiserver_request_total'), 'counter');
  assert.equal(types.get('apiserver_request_duration_seconds'), 'histogram');

  assert.equal(find(samples, 'apiserver_request_total', { verb: 'LIST', group: '', resource: 'pods', subresource: '', code: '200' }), 2);
  assert.equal(find(samples, 'apiserver_request_total', { verb: 'POST', group: 'apps', resource: 'deployments', subresource: '', code: '201' }), 1);
  assert.equal(find(samples, 'apiserver_request_total', { verb: 'PUT', group: 'apps', resource: 'deployments', subresource: 'status', code: '409' }), 1);

  const pods = { verb: 'LIST', group: '', resource: 'pods', subresource: '' };
  const buckets = samples.filter((s) => s.name === 'apiserver_request_duration_seconds_bucket' && s.labels.resource === 'pods');
  assert.deepEqual(buckets.map((s) => s.labels.le), [...requestDurationBuckets.map(String), '+Inf']);
  assert.equal(find(samples, 'apiserver_request_duration_seconds_bucket', { ...pods, le: '0.005' }), 1);
  assert.equal(find(samples, 'apiserver_request_duration_seconds_bucket', { ...pods, le: '0.2' }), 1);
  assert.equal(find(samples, 'apiserver_request_duration_seconds_bucket', { ...pods, le: '0.4' }), 2);
  assert.equal(find(samples, 'apiserver_request_duration_seconds_bucket', { ...pods, le: '+Inf' }), 2);
  assert.equal(find(samples, 'apiserver_request_duration_seconds_count', pods), 2);
  assert.ok(Math.abs(find(samples, 'apiserver_request_duration_seconds_sum', pods)! - 0.303) < 1e-9);
  // Above the last bucket: counted only in +Inf.
  const slow = { verb: 'POST', group: 'apps', resource: 'deployments', subresource: '' };
  assert.equal(find(samples, 'apiserver_request_duration_seconds_bucket', { ...slow, le: '60' }), 0);
  assert.equal(find(samples, 'apiserver_request_duration_seconds_bucket', { ...slow, le: '+Inf' }), 1);
});

test('registered watchers gauge follows opens and closes', () => {
  const m = new ApiServerMetricsRegistry();
  m.watchDelta('', 'pods', 1);
  m.watchDelta('', 'pods', 1);
  m.watchDelta('apps', 'deployments', 1);
  m.watchDelta('', 'pods', -1);
  const { samples, types } = parseExposition(m.render());
  assert.equal(types.get('apiserver_registered_watchers'), 'gauge');
  assert.equal(find(samples, 'apiserver_registered_watchers', { group: '', resource: 'pods' }), 1);
  assert.equal(find(samples, 'apiserver_registered_watchers', { group: 'apps', resource: 'deployments' }), 1);
});

test('etcd request duration by operation and type', () => {
  const m = new ApiServerMetricsRegistry();
  m.observeEtcd('get', etcdRequestType('/registry/pods/default/a'), 0.001);
  m.observeEtcd('txn', etcdRequestType('/registry/deployments.apps/default/a'), 0.02);
  const { samples, types } = parseExposition(m.render());
  assert.equal(types.get('etcd_request_duration_seconds'), 'histogram');
  assert.equal(find(samples, 'etcd_request_duration_seconds_count', { operation: 'get', type: 'pods' }), 1);
  assert.equal(find(samples, 'etcd_request_duration_seconds_bucket', { operation: 'txn', type: 'deployments.apps', le: '0.025' }), 1);
  assert.equal(find(samples, 'etcd_request_duration_seconds_bucket', { operation: 'txn', type: 'deployments.apps', le: '0.005' }), 0);
});

test('etcdRequestType takes the resource segment of a storage key', () => {
  assert.equal(etcdRequestType('/registry/namespaces/default'), 'namespaces');
  assert.equal(etcdRequestType('/registry/pods/'), 'pods');
  assert.equal(etcdRequestType('/other/x'), 'other');
  assert.equal(etcdRequestType(''), 'unknown');
});

test('label values are escaped and parse back to the original', () => {
  const nasty = 'a"b\\c\nd,e}f=g';
  assert.equal(escapeLabelValue(nasty), 'a\\"b\\\\c\\nd,e}f=g');
  const m = new ApiServerMetricsRegistry();
  m.observeRequest('get', nasty, 'pods', '', 200, 0.1);
  m.observeRequest('get', `${nasty}x`, 'pods', '', 200, 0.1);
  const { samples } = parseExposition(m.render());
  assert.equal(find(samples, 'apiserver_request_total', { verb: 'GET', group: nasty, resource: 'pods', subresource: '', code: '200' }), 1);
  assert.equal(find(samples, 'apiserver_request_total', { verb: 'GET', group: `${nasty}x`, resource: 'pods', subresource: '', code: '200' }), 1);
});

test('process metrics are present and plausible', () => {
  const { samples, types } = parseExposition(new ApiServerMetricsRegistry().render());
  assert.equal(types.get('process_cpu_seconds_total'), 'counter');
  assert.equal(types.get('process_resident_memory_bytes'), 'gauge');
  assert.ok(find(samples, 'process_resident_memory_bytes', {})! > 1024 * 1024);
  assert.ok(find(samples, 'process_cpu_seconds_total', {})! > 0);
  const start = find(samples, 'process_start_time_seconds', {})!;
  assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 3600, `start time ${start}`);
});
