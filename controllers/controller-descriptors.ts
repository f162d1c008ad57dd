/**
 * The table of controllers the controller manager can run (as
 * kube-controller-manager's NewControllerDescriptors): a name for
 * `--controllers`, how many workers, and how to build it from the shared
 * context and the manager's options.
 */
import type { Controller, ControllerContext } from './controller-context.ts';
import { DaemonSetController } from './daemon/daemonset-controller.ts';
import { DeploymentController } from './deployment/deployment-controller.ts';
import { EndpointsController } from './endpoint/endpoints-controller.ts';
import { EndpointSliceController } from './endpointslice/endpointslice-controller.ts';
import { ReplicaSetController } from './replicaset/replicaset-controller.ts';
import { GarbageCollector } from './garbagecollector/garbage-collector.ts';
import { JobController } from './job/job-controller.ts';
import { NamespaceController } from './namespace/namespace-controller.ts';
import { NodeIpamController } from './nodeipam/node-ipam-controller.ts';
import { NodeLifecycleController } from './nodelifecycle/node-lifecycle-controller.ts';
import { TaintEvictionController } from './nodelifecycle/taint-eviction-controller.ts';
import { PodGcController } from './podgc/pod-gc-controller.ts';

/** Options of `pier controller-manager` that individual controllers read. */
export interface ControllerManagerOptions {
  /** A node whose Lease is older than this is Ready=Unknown. Default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** tolerationSeconds given to pods without an unreachable/not-ready toleration. Default 300. */
  defaultUnreachableTolerationSeconds?: number;
  /** Terminated pods kept before the pod GC deletes the oldest (`--terminated-pod-gc-threshold`). Default 12,500. */
  terminatedPodGcThreshold?: number;
}

export interface ControllerDescriptor {
  name: string;
  workers: number;
  create(ctx: ControllerContext, options: ControllerManagerOptions): Controller;
}

/** `...{ key: value }` only when defined (exactOptionalPropertyTypes). */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export const controllerDescriptors: readonly ControllerDescriptor[] = [
  { name: 'deployment', workers: 5, create: (ctx) => new DeploymentController(ctx) },
  { name: 'replicaset', workers: 5, create: (ctx) => new ReplicaSetController(ctx) },
  { name: 'job', workers: 5, create: (ctx) => new JobController(ctx) },
  { name: 'daemonset', workers: 2, create: (ctx) => new DaemonSetController(ctx) },
  { name: 'endpoint', workers: 5, create: (ctx) => new EndpointsController(ctx) },
  { name: 'endpointslice', workers: 5, create: (ctx) => new EndpointSliceController(ctx) },
  { name: 'node-ipam', workers: 1, create: (ctx) => new NodeIpamController(ctx) },
  { name: 'garbage-collector', workers: 20, create: (ctx) => new GarbageCollector(ctx) },
  { name: 'podgc', workers: 1, create: (ctx, o) => new PodGcController(ctx, { ...defined('terminatedPodGcThreshold', o.terminatedPodGcThreshold) }) },
  { name: 'namespace', workers: 5, create: (ctx) => new NamespaceController(ctx) },
  {
    name: 'node-lifecycle',
    workers: 1,
    create: (ctx, o) =>
      new NodeLifecycleController(ctx, {
        taintEviction: false,
        ...defined('nodeMonitorGracePeriodMs', o.nodeMonitorGracePeriodMs),
      }),
  },
  {
    name: 'taint-eviction',
    workers: 8,
    create: (ctx, o) =>
      new TaintEvictionController(ctx, {
        ...defined('defaultUnreachableTolerationSeconds', o.defaultUnreachableTolerationSeconds),
      }),
  },
];
