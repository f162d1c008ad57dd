/**
 * metav1.LabelSelector: its schema, matching (LabelSelectorAsSelector +
 * Matches) and string form (Selector.String, as `kubectl get -o wide` and
 * Scale.status.selector print it).
 */
import { z } from 'zod';
import { stringMap } from './field-types.ts';

export const labelSelectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

export const labelSelectorRequirementSchema = z.looseObject({
  key: z.string(),
  operator: z.enum(labelSelectorOperators),
  values: z.array(z.string()).nullish(),
});

export const labelSelectorSchema = z.looseObject({
  matchLabels: stringMap.nullish(),
  matchExpressions: z.array(labelSelectorRequirementSchema).nullish(),
});

export type LabelSelector = z.infer<typeof labelSelectorSchema>;

/** True when the selector has no requirements (it matches everything). */
export function isEmptyLabelSelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

export function labelSelectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

interface Requirement {
  key: string;
  text: string;
}

/**
 * labels.Selector.String(): requirements sorted by key, values sorted;
 * matchLabels print as `k=v`. "" for an empty selector.
 */
export function labelSelectorString(selector: LabelSelector): string {
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const req of selector.matchExpressions ?? []) {
    const values = [...(req.values ?? [])].sort();
    switch (req.operator) {
      case 'In':
        reqs.push({ key: req.key, text: values.length === 1 ? `${req.key} in (${values[0]})` : `${req.key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key: req.key, text: `${req.key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key: req.key, text: req.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: req.key, text: `!${req.key}` });
        break;
    }
  }
  // sort.Stable by key, as internalSelector.Add keeps requirements ordered.
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}
