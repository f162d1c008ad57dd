/**
 * labels.FormatLabels and metav1.FormatLabelSelector: `k=v,k2=v2` sorted by
 * key, `<none>` when empty.
 */
import { type LabelSelector, labelSelectorString } from '../kinds/label-selector.ts';
import { isObject } from '../kinds/unstructured.ts';

export function formatLabels(labels: unknown): string {
  if (!isObject(labels)) return '<none>';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${String(labels[k])}`).join(',');
}

export function formatLabelSelector(selector: unknown): string {
  if (!isObject(selector)) return '<none>';
  const text = labelSelectorString(selector as LabelSelector);
  return text === '' ? '<none>' : text;
}

/** layoutContainerCells: container names and images, comma-joined. */
export function containerCells(containers: readonly Record<string, unknown>[]): { names: string; images: string } {
  return {
    names: containers.map((c) => (typeof c['name'] === 'string' ? c['name'] : '')).join(','),
    images: containers.map((c) => (typeof c['image'] === 'string' ? c['image'] : '')).join(','),
  };
}
