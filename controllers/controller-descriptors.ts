/**
 * The table of controllers the controller manager can run (as
 * kube-controller-manager's NewControllerDescriptors): a name for
 * `--controllers`, how many workers, and how to build it from the shared
 * context and the manager's options.
 */
import type { Controller, ControllerContext } from './controller-context.ts';

/** Options of `pier controller-manager` that individual controllers read. */
export interface ControllerManagerOptions {
  /** A node whose Lease is older than this is Ready=Unknown. Default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** tolerationSeconds given to pods without an unreachable/not-ready toleration. Default 300. */
  defaultUnreachableTolerationSeconds?: number;
}

export interface ControllerDescriptor {
  name: string;
  workers: number;
  create(ctx: ControllerContext, options: ControllerManagerOptions): Controller;
}

export const controllerDescriptors: readonly ControllerDescriptor[] = [];
