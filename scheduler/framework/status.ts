/**
 * framework.Status (kube-scheduler framework/interface.go): the outcome of one
 * plugin at one extension point, with the reasons that end up, counted, in
 * the pod's FailedScheduling message. Success is represented by `null`, as Go
 * uses a nil *Status, so the hot filter loop allocates nothing for fits.
 */

/**
 * `Unschedulable`: preemption might help. `UnschedulableAndUnresolvable`: it
 * won't (wrong labels, taints). `Skip`: from PreFilter/PreScore, the plugin
 * has nothing to say for this pod and its Filter/Score is not run.
 */
export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip' | 'Pending';

export class Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** Name of the plugin that produced it; set by the framework. */
  plugin: string;

  constructor(code: Code, reasons: readonly string[] = [], plugin = '') {
    this.code = code;
    this.reasons = reasons;
    this.plugin = plugin;
  }

  message(): string {
    return this.reasons.join(', ');
  }

  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable' || this.code === 'Pending';
  }

  withPlugin(plugin: string): Status {
    this.plugin = plugin;
    return this;
  }
}

/** nil-or-Success, in one test. */
export function isSuccess(status: Status | null): boolean {
  return status === null || status.code === 'Success';
}

export function unschedulable(...reasons: string[]): Status {
  return new Status('Unschedulable', reasons);
}

export function unschedulableAndUnresolvable(...reasons: string[]): Status {
  return new Status('UnschedulableAndUnresolvable', reasons);
}

export function skip(): Status {
  return new Status('Skip');
}

export function asError(err: unknown): Status {
  return new Status('Error', [err instanceof Error ? err.message : String(err)]);
}
