/**
 * Turns zod issues into Kubernetes field errors: a missing field is `Required`,
 * a wrong JSON type `TypeInvalid`, an enum miss `NotSupported` with the
 * `supported values: ...` detail apimachinery's field.NotSupported prints.
 * Schemas attach Kubernetes' own wording as the issue message; custom issues
 * may name their error type in `params.fieldErrorType`.
 */
import type { z } from 'zod';
import type { FieldError } from '../../errors/status-error.ts';
import { formatFieldPath, valueAtPath } from './field-path.ts';

type Issue = z.core.$ZodIssue;

const typeNames: Record<string, string> = {
  number: 'number',
  int: 'integer',
  string: 'string',
  boolean: 'boolean',
  object: 'object',
  record: 'object',
  array: 'array',
};

/** Go's %q-ish listing used by field.NotSupported. */
export function supportedValues(values: readonly unknown[]): string {
  return `supported values: ${values.map((v) => JSON.stringify(String(v))).join(', ')}`;
}

const fieldErrorTypes: ReadonlySet<string> = new Set([
  'Required',
  'Invalid',
  'NotSupported',
  'Forbidden',
  'TooLong',
  'Duplicate',
  'TooMany',
  'TypeInvalid',
]);

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function issueToFieldError(issue: Issue, input: unknown, prefix: readonly PropertyKey[]): FieldError {
  const segments = [...prefix, ...issue.path];
  const path = formatFieldPath(segments);
  const value = valueAtPath(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (isAbsent(value)) return { type: 'Required', path };
      return { type: 'TypeInvalid', path, value, detail: `must be of type ${typeNames[issue.expected] ?? issue.expected}` };
    case 'invalid_union':
      if (isAbsent(value)) return { type: 'Required', path };
      return { type: 'TypeInvalid', path, value, detail: issue.message };
    case 'invalid_value':
      if (isAbsent(value) || value === '') return { type: 'Required', path };
      return { type: 'NotSupported', path, value, detail: supportedValues(issue.values) };
    case 'too_small':
      // Kubernetes treats "" and [] like an absent field.
      if ((issue.origin === 'string' || issue.origin === 'array') && Number(issue.minimum) === 1) {
        if (value === '' || (Array.isArray(value) && value.length === 0)) return { type: 'Required', path };
      }
      return { type: 'Invalid', path, value, detail: issue.message };
    case 'too_big':
      if (issue.origin === 'string') return { type: 'TooLong', path, detail: issue.message };
      if (issue.origin === 'array') return { type: 'TooMany', path, detail: issue.message };
      return { type: 'Invalid', path, value, detail: issue.message };
    case 'custom': {
      const requested = issue.params?.['fieldErrorType'];
      const type = typeof requested === 'string' && fieldErrorTypes.has(requested) ? (requested as FieldError['type']) : 'Invalid';
      if (type === 'Required' || type === 'Forbidden') return { type, path, ...(issue.message ? { detail: issue.message } : {}) };
      if (type === 'Duplicate') return { type, path, value };
      return { type, path, value, detail: issue.message };
    }
    default:
      return { type: 'Invalid', path, value, detail: issue.message };
  }
}

/**
 * One FieldError per offending path (the first issue wins), in schema order.
 * `prefix` is prepended to every path (e.g. when validating a sub-object).
 */
export function zodIssuesToFieldErrors(issues: readonly Issue[], input: unknown, prefix: readonly PropertyKey[] = []): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const issue of issues) {
    const err = issueToFieldError(issue, input, prefix);
    if (seen.has(err.path)) continue;
    seen.add(err.path);
    out.push(err);
  }
  return out;
}
