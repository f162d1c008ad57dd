/**
 * framework.FitError: why a pod fits no node, as the PodScheduled=False
 * condition and the FailedScheduling event say it:
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.`
 * Each reason of each node's status is counted; the "<count> <reason>"
 * strings are sorted as strings, exactly as FitError.Error sorts them.
 */
import type { Status } from './framework/status.ts';

/** framework.Diagnosis: what the filter phase learnt about every rejected node. */
export interface Diagnosis {
  nodeToStatus: Map<string, Status>;
  /** Plugins that rejected at least one node; the queue requeues on their events. */
  unschedulablePlugins: Set<string>;
  /** Set when a PreFilter rejected the pod for all nodes at once. */
  preFilterMsg?: string;
  /** Set by PostFilter (preemption), e.g. `No preemption victims found for incoming pod.` */
  postFilterMsg?: string;
}

export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
}

export const noNodeAvailableMsg = (numAllNodes: number): string => `0/${numAllNodes} nodes are available`;
/** ErrNoNodesAvailable: the cluster has no nodes at all. */
export const errNoNodesAvailable = 'no nodes available to schedule pods';

export function fitErrorMessage(numAllNodes: number, diagnosis: Diagnosis): string {
  let msg = `${noNodeAvailableMsg(numAllNodes)}:`;
  if (diagnosis.preFilterMsg) {
    msg += ` ${diagnosis.preFilterMsg}.`;
  } else {
    // A PreFilter rejection was copied onto every node; counting it again would repeat it.
    const counts = new Map<string, number>();
    for (const status of diagnosis.nodeToStatus.values()) {
      for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    const histogram = [...counts].map(([reason, n]) => `${n} ${reason}`).sort(compareGoStrings);
    if (histogram.length > 0) msg += ` ${histogram.join(', ')}.`;
  }
  if (diagnosis.postFilterMsg) msg += ` ${diagnosis.postFilterMsg}.`;
  return msg;
}

/** Go's sort.Strings compares bytes; for the ASCII messages here, code units agree. */
function compareGoStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class FitError extends Error {
  readonly podKey: string;
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;

  constructor(podKey: string, numAllNodes: number, diagnosis: Diagnosis) {
    super(fitErrorMessage(numAllNodes, diagnosis));
    this.name = 'FitError';
    this.podKey = podKey;
    this.numAllNodes = numAllNodes;
    this.diagnosis = diagnosis;
  }
}
