/**
 * `kubectl get pods` columns, as printers.go printPod computes them: READY
 * counts ready containers (and started restartable init containers), STATUS
 * is the most telling container reason, RESTARTS carries the last restart's age.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { isObject, type JsonObject, objectField, objectItems, stringField } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import { translateTimestampSince } from '../printing/human-duration.ts';
import type { PrintColumn } from '../types.ts';

/** The values of one `kubectl get pods` row besides name and age. */
export interface PodRow {
  ready: string;
  status: string;
  restarts: string;
}

const nodeUnreachablePodReason = 'NodeLost';

function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function terminatedOf(status: JsonObject, field: 'state' | 'lastState'): JsonObject | undefined {
  return objectField(objectField(status, field), 'terminated');
}

function conditionTrue(status: JsonObject | undefined, type: string): boolean {
  return objectItems(status, 'conditions').some((c) => c['type'] === type && c['status'] === 'True');
}

/** Later of two RFC 3339 timestamps (either may be absent). */
function later(a: string | undefined, b: unknown): string | undefined {
  if (typeof b !== 'string' || Number.isNaN(Date.parse(b))) return a;
  if (a === undefined || Date.parse(b) > Date.parse(a)) return b;
  return a;
}

export function podRow(pod: KubeObject, now: Date): PodRow {
  const spec = objectField(pod, 'spec');
  const status = objectField(pod, 'status');
  const phase = stringField(status, 'phase') ?? '';
  let restarts = 0;
  let restartableRestarts = 0;
  let readyContainers = 0;
  let totalContainers = objectItems(spec, 'containers').length;
  let lastRestart: string | undefined;
  let lastRestartableRestart: string | undefined;

  let reason = stringField(status, 'reason') || phase;
  if (objectItems(status, 'conditions').some((c) => c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const initContainers = objectItems(spec, 'initContainers');
  const restartable = new Set(initContainers.filter((c) => c['restartPolicy'] === 'Always').map((c) => c['name']));
  totalContainers += restartable.size;

  let initializing = false;
  const initStatuses = objectItems(status, 'initContainerStatuses');
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += numberOf(cs['restartCount']);
    const lastTerminated = terminatedOf(cs, 'lastState');
    if (lastTerminated) lastRestart = later(lastRestart, lastTerminated['finishedAt']);
    const isRestartable = restartable.has(cs['name']);
    if (isRestartable) {
      restartableRestarts += numberOf(cs['restartCount']);
      if (lastTerminated) lastRestartableRestart = later(lastRestartableRestart, lastTerminated['finishedAt']);
    }
    const terminated = terminatedOf(cs, 'state');
    const waiting = objectField(objectField(cs, 'state'), 'waiting');
    if (terminated && numberOf(terminated['exitCode']) === 0) continue;
    if (isRestartable && cs['started'] === true) {
      if (cs['ready'] === true) readyContainers++;
      continue;
    }
    if (terminated) {
      const r = stringField(terminated, 'reason');
      if (!r) {
        const signal = numberOf(terminated['signal']);
        reason = signal !== 0 ? `Init:Signal:${signal}` : `Init:ExitCode:${numberOf(terminated['exitCode'])}`;
      } else reason = `Init:${r}`;
    } else if (waiting && stringField(waiting, 'reason') && waiting['reason'] !== 'PodInitializing') {
      reason = `Init:${stringField(waiting, 'reason')}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses = objectItems(status, 'containerStatuses');
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += numberOf(cs['restartCount']);
      const lastTerminated = terminatedOf(cs, 'lastState');
      if (lastTerminated) lastRestart = later(lastRestart, lastTerminated['finishedAt']);
      const state = objectField(cs, 'state');
      const waiting = objectField(state, 'waiting');
      const terminated = objectField(state, 'terminated');
      if (waiting && stringField(waiting, 'reason')) {
        reason = stringField(waiting, 'reason')!;
      } else if (terminated && stringField(terminated, 'reason')) {
        reason = stringField(terminated, 'reason')!;
      } else if (terminated) {
        const signal = numberOf(terminated['signal']);
        reason = signal !== 0 ? `Signal:${signal}` : `ExitCode:${numberOf(terminated['exitCode'])}`;
      } else if (cs['ready'] === true && isObject(state?.['running'])) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A finished container next to a running one: the pod as a whole still runs.
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(pod.metadata.deletionTimestamp);
  if (deleting && stringField(status, 'reason') === nodeUnreachablePodReason) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsText = restarts !== 0 && lastRestart !== undefined ? `${restarts} (${translateTimestampSince(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

function podIPCell(pod: KubeObject): string {
  // v1 podIP converts into podIPs[0] when podIPs is absent.
  const status = objectField(pod, 'status');
  const ips = objectItems(status, 'podIPs');
  return stringField(ips[0], 'ip') || stringField(status, 'podIP') || '<none>';
}

function readinessGatesCell(pod: KubeObject): string {
  const gates = objectItems(objectField(pod, 'spec'), 'readinessGates');
  if (gates.length === 0) return '<none>';
  const conditions = objectItems(objectField(pod, 'status'), 'conditions');
  let trueConditions = 0;
  for (const gate of gates) {
    const c = conditions.find((cond) => cond['type'] === gate['conditionType']);
    if (c?.['status'] === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

export const podPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Ready', 'The aggregate readiness state of this pod for accepting traffic.', (o, now) => podRow(o, now).ready),
  stringColumn('Status', 'The aggregate status of the containers in this pod.', (o, now) => podRow(o, now).status),
  stringColumn(
    'Restarts',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    (o, now) => podRow(o, now).restarts,
  ),
  ageColumn,
  stringColumn('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', podIPCell, 1),
  stringColumn(
    'Node',
    'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.',
    (o) => stringField(objectField(o, 'spec'), 'nodeName') || '<none>',
    1,
  ),
  stringColumn(
    'Nominated Node',
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
    (o) => stringField(objectField(o, 'status'), 'nominatedNodeName') || '<none>',
    1,
  ),
  stringColumn(
    'Readiness Gates',
    'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True".',
    readinessGatesCell,
    1,
  ),
];
