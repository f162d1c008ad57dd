/** Typed access to the query parameters of resource requests (metav1 ListOptions, DeleteOptions...). */
import { newBadRequest } from '../errors/status-error.ts';

export type Query = Record<string, string | string[] | undefined>;

export function queryString(query: Query, name: string): string | undefined {
  const v = query[name];
  return Array.isArray(v) ? v[0] : v;
}

export function queryBool(query: Query, name: string): boolean {
  const v = queryString(query, name);
  return v === 'true' || v === '1' || v === '';
}

export function queryInt(query: Query, name: string): number | undefined {
  const v = queryString(query, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,15}$/.test(v)) throw newBadRequest(`invalid value for ${name}: "${v}": must be an integer`);
  return Number(v);
}

/** dryRun=All (the only value Kubernetes accepts). */
export function queryDryRun(query: Query): boolean {
  const v = query.dryRun;
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  for (const value of values) {
    if (value !== 'All') throw newBadRequest(`dryRun: Unsupported value: "${value}": supported values: "All"`);
  }
  return values.length > 0;
}

export function queryFieldValidation(query: Query): 'Ignore' | 'Warn' | 'Strict' {
  const v = queryString(query, 'fieldValidation');
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw newBadRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Warn", "Strict"`);
}
