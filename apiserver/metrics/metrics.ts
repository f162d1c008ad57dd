/**
 * PLACEHOLDER CONTRACT — to be implemented by the transport/CLI work:
 * Prometheus text-format metrics for the API server.
 */
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
