/**
 * core/v1 NodeSelector and NodeAffinity, and how a node is matched against
 * them (k8s.io/component-helpers scheduling/corev1/nodeaffinity): shared by
 * the scheduler's NodeAffinity plugin and DaemonSet placement. Terms are
 * ORed, requirements within a term ANDed, and a term with no requirements
 * matches nothing; matchFields supports `metadata.name`, as Kubernetes does.
 */
import { valueMatches, type Operator } from '../labels/selector.ts';

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

export interface Affinity {
  nodeAffinity?: NodeAffinity;
}

/** What matching reads of a Node. */
export interface MatchableNode {
  metadata: { name?: string; labels?: Record<string, string> };
}

/** What matching reads of a Pod. */
export interface NodeConstrainedPod {
  spec: { nodeSelector?: Record<string, string>; affinity?: Affinity };
}

/** NodeSelectorOperator as the label selector operator it means (nodeSelectorRequirementsAsSelector). */
const asLabelOperator: Readonly<Record<NodeSelectorOperator, Operator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };

export function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const operator = asLabelOperator[r.operator];
  return operator !== undefined && valueMatches(operator, r.values ?? [], value);
}

export function termMatches(term: NodeSelectorTerm, node: MatchableNode): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of exprs) if (!requirementMatches(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) return false;
  for (const r of fields) {
    const value = r.key === 'metadata.name' ? node.metadata.name : undefined;
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn')) return false;
    if (!requirementMatches(r, value)) return false;
  }
  return true;
}

export function nodeSelectorTermsMatch(terms: readonly NodeSelectorTerm[], node: MatchableNode): boolean {
  for (const t of terms) if (termMatches(t, node)) return true;
  return false;
}

/** spec.nodeSelector (every label equal) and, when given, the required terms. */
export function requiredNodeAffinityMatches(
  nodeSelector: Readonly<Record<string, string>> | undefined,
  terms: readonly NodeSelectorTerm[] | undefined,
  node: MatchableNode,
): boolean {
  if (nodeSelector) {
    const labels = node.metadata.labels ?? {};
    // for...in rather than Object.entries: this runs for every node of every scheduling cycle.
    for (const k in nodeSelector) if (labels[k] !== nodeSelector[k]) return false;
  }
  return terms === undefined || nodeSelectorTermsMatch(terms, node);
}

/** Whether a node satisfies the pod's nodeSelector and required node affinity (GetRequiredNodeAffinity().Match). */
export function podMatchesNodeSelectorAndAffinityTerms(pod: NodeConstrainedPod, node: MatchableNode): boolean {
  return requiredNodeAffinityMatches(pod.spec.nodeSelector, pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, node);
}
