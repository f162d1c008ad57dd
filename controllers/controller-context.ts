/**
 * What every controller in the controller manager is built from (as
 * kube-controller-manager's ControllerContext): one REST client, one shared
 * informer factory so controllers share watches and caches, and an event
 * recorder per controller name.
 */
import type { SharedInformerFactory } from '../client/cache/informer-factory.ts';
import { EventRecorder } from '../client/record/event-recorder.ts';
import type { RestClient } from '../client/rest/rest-client.ts';

export interface ControllerContext {
  client: RestClient;
  informers: SharedInformerFactory;
  /** A recorder whose events name `component` as their source, e.g. `replicaset-controller`. */
  recorder(component: string): EventRecorder;
  onError(err: unknown): void;
}

/**
 * A controller: constructed with a context (registering its informers), then
 * run once the factory has started; `run` resolves after `signal` aborts and
 * its workers have finished their current items.
 */
export interface Controller {
  readonly name: string;
  run(signal: AbortSignal, workers: number): Promise<void>;
}

export function newControllerContext(client: RestClient, informers: SharedInformerFactory, onError: (err: unknown) => void): ControllerContext {
  return {
    client,
    informers,
    recorder: (component) => new EventRecorder({ client, component, onError }),
    onError,
  };
}
