/**
 * What the DaemonSet controller adds to its template (pkg/controller/daemon/util
 * daemonset_util.go): the tolerations every daemon pod gets so it survives
 * node trouble that would evict ordinary pods, the hash and generation
 * labels, and a required node affinity on `metadata.name` that pins the pod
 * to one node while the scheduler still does the binding (kube ≥ 1.12).
 */
import type { Toleration } from '../nodelifecycle/taints.ts';
import {
  taintNodeDiskPressure,
  taintNodeMemoryPressure,
  taintNodeNetworkUnavailable,
  taintNodeNotReady,
  taintNodePIDPressure,
  taintNodeUnreachable,
  taintNodeUnschedulable,
} from '../nodelifecycle/taints.ts';
import type { Pod, PodTemplateSpec } from '../controller-utils/workload-objects.ts';
import { controllerRevisionHashLabel, podTemplateGenerationLabel } from './daemonset-types.ts';

interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}
interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

const nodeFieldSelectorKeyNodeName = 'metadata.name';

/** AddOrUpdateDaemonPodTolerations: NoExecute ones without tolerationSeconds, so the pod is never evicted. */
export function daemonPodTolerations(hostNetwork: boolean): Toleration[] {
  const tolerations: Toleration[] = [
    { key: taintNodeNotReady, operator: 'Exists', effect: 'NoExecute' },
    { key: taintNodeUnreachable, operator: 'Exists', effect: 'NoExecute' },
    { key: taintNodeDiskPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: taintNodeMemoryPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: taintNodePIDPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: taintNodeUnschedulable, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) tolerations.push({ key: taintNodeNetworkUnavailable, operator: 'Exists', effect: 'NoSchedule' });
  return tolerations;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/** AddOrUpdateTolerationInPodSpec for each daemon toleration: an equal one is replaced, else it is appended. */
export function addDaemonTolerations(spec: Record<string, unknown>): void {
  const tolerations = [...((spec['tolerations'] as Toleration[] | undefined) ?? [])];
  for (const t of daemonPodTolerations(spec['hostNetwork'] === true)) {
    const i = tolerations.findIndex((x) => sameToleration(x, t) || ((x.key ?? '') === t.key && (x.effect ?? '') === t.effect && x.operator === 'Exists'));
    if (i >= 0) tolerations[i] = t;
    else tolerations.push(t);
  }
  spec['tolerations'] = tolerations;
}

/** CreatePodTemplate: the template plus daemon tolerations, the generation label and the revision hash label. */
export function createPodTemplate(template: PodTemplateSpec, generation: number | undefined, hash: string): PodTemplateSpec {
  const t = structuredClone(template);
  t.spec ??= {};
  addDaemonTolerations(t.spec);
  t.metadata ??= {};
  const labels = { ...t.metadata.labels };
  if (generation !== undefined) labels[podTemplateGenerationLabel] = String(generation);
  if (hash) labels[controllerRevisionHashLabel] = hash;
  t.metadata.labels = labels;
  return t;
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: every required term gets
 * `metadata.name In [node]` as its only field requirement (expressions kept),
 * or that becomes the only term.
 */
export function replaceNodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const requirement: NodeSelectorRequirement = { key: nodeFieldSelectorKeyNodeName, operator: 'In', values: [nodeName] };
  const out: Affinity = structuredClone(affinity ?? {});
  out.nodeAffinity ??= {};
  const required = out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required?.nodeSelectorTerms ?? [];
  if (terms.length === 0) {
    out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [{ matchFields: [requirement] }] };
    return out;
  }
  out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: terms.map((term) => ({ ...term, matchFields: [requirement] })),
  };
  return out;
}

/** GetTargetNodeName: the bound node, or the node its metadata.name affinity pins it to. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const affinity = pod.spec?.['affinity'] as Affinity | undefined;
  for (const term of affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === nodeFieldSelectorKeyNodeName && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}
