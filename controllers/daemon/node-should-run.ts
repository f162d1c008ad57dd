/**
 * Whether a node should run a DaemonSet's pod (daemon_controller.go
 * NodeShouldRunDaemonPod and predicates): the pod the controller would make
 * for that node must fit its name, nodeSelector/affinity and taints. A node
 * whose only untolerated taints are NoSchedule keeps a pod that already runs
 * there (shouldContinueRunning) but gets no new one.
 */
import { podMatchesNodeSelectorAndAffinityTerms, type NodeConstrainedPod } from '../../client/api/node-affinity.ts';
import { toleratesTaint, type Taint, type Toleration } from '../nodelifecycle/taints.ts';
import { addDaemonTolerations, replaceNodeNameAffinity } from './daemon-pod-template.ts';
import type { DaemonSet, Node } from './daemonset-types.ts';

export interface ShouldRun {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** FindMatchingUntoleratedTaint restricted to the effects `filter` accepts. */
function hasUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], filter: (t: Taint) => boolean): boolean {
  return taints.some((taint) => filter(taint) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): ShouldRun {
  const no = { shouldRun: false, shouldContinueRunning: false };
  const spec = structuredClone(ds.spec.template.spec ?? {});
  addDaemonTolerations(spec);
  const nodeName = node.metadata.name ?? '';
  spec['affinity'] = replaceNodeNameAffinity(spec['affinity'] as never, nodeName);
  const templateNodeName = spec['nodeName'] as string | undefined;
  if (templateNodeName && templateNodeName !== nodeName) return no;
  const pod = { spec } as NodeConstrainedPod;
  if (!podMatchesNodeSelectorAndAffinityTerms(pod, node)) return no;
  const taints = node.spec?.taints ?? [];
  const tolerations = (spec['tolerations'] as Toleration[] | undefined) ?? [];
  if (hasUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute' || t.effect === 'NoSchedule')) {
    return { shouldRun: false, shouldContinueRunning: !hasUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}
