/** ValidateLabelSelector (apimachinery meta/v1/validation) with its messages. */
import type { FieldError } from '../../errors/status-error.ts';
import type { LabelSelector } from '../kinds/label-selector.ts';
import { validateLabels } from './object-meta.ts';
import { isQualifiedName } from './qualified-name.ts';

export function validateLabelSelector(selector: LabelSelector, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values = req.values ?? [];
    if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
      errs.push({ type: 'Required', path: `${p}.values`, detail: "must be specified when `operator` is 'In' or 'NotIn'" });
    }
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
      errs.push({ type: 'Forbidden', path: `${p}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
    }
    for (const msg of isQualifiedName(req.key)) errs.push({ type: 'Invalid', path: `${p}.key`, value: req.key, detail: msg });
  });
  errs.push(...validateLabels(selector.matchLabels, `${path}.matchLabels`));
  return errs;
}
