/**
 * The status conditions the namespace controller keeps on a Terminating
 * namespace (kube namespace/deletion/status_condition_utils.go): each of the
 * five types is always present, False with an "ok" reason when all is well,
 * True with the failure when not.
 */
import { metaNow } from '../../client/api/meta-time.ts';

export type NamespaceConditionType =
  | 'NamespaceDeletionDiscoveryFailure'
  | 'NamespaceDeletionGroupVersionParsingFailure'
  | 'NamespaceDeletionContentFailure'
  | 'NamespaceContentRemaining'
  | 'NamespaceFinalizersRemaining';

export interface NamespaceCondition {
  type: NamespaceConditionType | string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export const conditionTypes: readonly NamespaceConditionType[] = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
];

const okMessages: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content successfully removed',
};

const okReasons: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentRemoved',
};

/** What one deletion pass found; turned into conditions by `conditionsFor`. */
export interface DeletionReport {
  /** `group/version` → error, for groups discovery could not read. */
  discoveryFailures: ReadonlyMap<string, string>;
  /** One message per resource whose content could not be deleted. */
  contentErrors: readonly string[];
  /** `plural.group` → objects still present. */
  remaining: ReadonlyMap<string, number>;
  /** finalizer → objects still carrying it. */
  finalizersRemaining: ReadonlyMap<string, number>;
}

function failure(type: NamespaceConditionType, reason: string, message: string): NamespaceCondition {
  return { type, status: 'True', reason, message };
}

/** The failing conditions of a pass (types not listed are ok). */
function failures(report: DeletionReport): NamespaceCondition[] {
  const out: NamespaceCondition[] = [];
  if (report.discoveryFailures.size > 0) {
    const groups = [...report.discoveryFailures].map(([gv, err]) => `${gv}: ${err}`).sort();
    out.push(failure('NamespaceDeletionDiscoveryFailure', 'DiscoveryFailed', `Discovery failed for some groups, ${groups.length} failing: ${groups.join(', ')}`));
  }
  if (report.contentErrors.length > 0) {
    const msgs = [...report.contentErrors].sort();
    out.push(failure('NamespaceDeletionContentFailure', 'ContentDeletionFailed', `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`));
  }
  const remaining = [...report.remaining].filter(([, n]) => n > 0).map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
  if (remaining.length > 0) {
    out.push(failure('NamespaceContentRemaining', 'SomeResourcesRemain', `Some resources are remaining: ${remaining.join(', ')}`));
  }
  const finalizers = [...report.finalizersRemaining].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
  if (finalizers.length > 0) {
    out.push(failure('NamespaceFinalizersRemaining', 'SomeFinalizerRemain', `Some finalizers are remaining: ${finalizers.join(', ')}`));
  }
  return out;
}

/**
 * Merges a pass's outcome into `existing` conditions (updateConditions):
 * lastTransitionTime moves only when a condition's status flips. Returns the
 * new list and whether anything changed.
 */
export function updateConditions(existing: readonly NamespaceCondition[], report: DeletionReport, now = metaNow()): { conditions: NamespaceCondition[]; changed: boolean } {
  const failing = failures(report);
  const conditions = existing.map((c) => ({ ...c }));
  let changed = false;
  for (const type of conditionTypes) {
    const next = failing.find((c) => c.type === type) ?? { type, status: 'False' as const, reason: okReasons[type], message: okMessages[type] };
    const old = conditions.find((c) => c.type === type);
    if (!old) {
      conditions.push({ ...next, lastTransitionTime: now });
      changed = true;
    } else if (old.status !== next.status || old.reason !== next.reason || old.message !== next.message) {
      if (old.status !== next.status) old.lastTransitionTime = now;
      old.status = next.status;
      if (next.reason !== undefined) old.reason = next.reason;
      if (next.message !== undefined) old.message = next.message;
      changed = true;
    }
  }
  return { conditions, changed };
}
