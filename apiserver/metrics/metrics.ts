/**
 * The API server's Prometheus metrics, served as text at `/metrics`. Names,
 * labels and buckets follow kube-apiserver's (k8s.io/apiserver
 * pkg/endpoints/metrics and pkg/storage/etcd3/metrics) so existing
 * dashboards and queries read them.
 */
import { CounterVec } from './counter.ts';
import { GaugeVec } from './gauge.ts';
import { HistogramVec } from './histogram.ts';
import { renderProcessMetrics } from './process-metrics.ts';

/** What the API server records; `buildApiServer` calls these, `/metrics` serves `render()`. */
export interface ApiServerMetrics {
  /** One finished request: verb is the Kubernetes verb (GET->get/list/watch, POST->create, ...). */
  observeRequest(verb: string, group: string, resource: string, subresource: string, code: number, seconds: number): void;
  /** A watch stream opened (+1) or closed (-1). */
  watchDelta(group: string, resource: string, delta: 1 | -1): void;
  /** An etcd call: operation is get/list/create/update/delete/txn/count, type is the plural. */
  observeEtcd(operation: string, type: string, seconds: number): void;
  /** Prometheus text exposition (text/plain; version=0.0.4). */
  render(): string;
}

/** kube-apiserver's apiserver_request_duration_seconds buckets. */
export const requestDurationBuckets: readonly number[] = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

/** kube-apiserver's etcd_request_duration_seconds buckets. */
export const etcdRequestDurationBuckets: readonly number[] = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 10, 15, 20, 25, 30, 40, 50, 60,
];

/**
 * The verb label kube-apiserver reports: the installer's action verb
 * (POST for create, PUT for update), upper case.
 */
export function reportedVerb(verb: string): string {
  switch (verb) {
    case 'create':
      return 'POST';
    case 'update':
      return 'PUT';
    default:
      return verb.toUpperCase();
  }
}

/**
 * The `type` label of etcd_request_duration_seconds for a storage key:
 * the group-qualified plural, `/registry/<type>/...`.
 */
export function etcdRequestType(key: string): string {
  const parts = key.split('/');
  return (parts[1] === 'registry' ? parts[2] : parts[1]) || 'unknown';
}

/** The in-memory registry behind `/metrics`. */
export class ApiServerMetricsRegistry implements ApiServerMetrics {
  private readonly requestTotal = new CounterVec(
    'apiserver_request_total',
    'Counter of apiserver requests broken out for each verb, group, resource, subresource and HTTP response code.',
    ['verb', 'group', 'resource', 'subresource', 'code'],
  );
  private readonly requestDuration = new HistogramVec(
    'apiserver_request_duration_seconds',
    'Response latency distribution in seconds for each verb, group, resource and subresource.',
    ['verb', 'group', 'resource', 'subresource'],
    requestDurationBuckets,
  );
  private readonly registeredWatchers = new GaugeVec(
    'apiserver_registered_watchers',
    'Number of currently registered watchers for a given resource.',
    ['group', 'resource'],
  );
  private readonly etcdRequestDuration = new HistogramVec(
    'etcd_request_duration_seconds',
    'Etcd request latency in seconds for each operation and object type.',
    ['operation', 'type'],
    etcdRequestDurationBuckets,
  );

  observeRequest(verb: string, group: string, resource: string, subresource: string, code: number, seconds: number): void {
    const v = reportedVerb(verb);
    this.requestTotal.inc([v, group, resource, subresource, String(code)]);
    this.requestDuration.observe([v, group, resource, subresource], seconds);
  }

  watchDelta(group: string, resource: string, delta: 1 | -1): void {
    this.registeredWatchers.add([group, resource], delta);
  }

  observeEtcd(operation: string, type: string, seconds: number): void {
    this.etcdRequestDuration.observe([operation, type], seconds);
  }

  render(): string {
    return [this.requestTotal, this.requestDuration, this.registeredWatchers, this.etcdRequestDuration]
      .map((family) => family.render())
      .join('')
      .concat(renderProcessMetrics());
  }
}
