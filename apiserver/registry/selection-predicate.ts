/**
 * Compiles `labelSelector` and `fieldSelector` query parameters into one
 * storage predicate (as apiserver's storage.SelectionPredicate).
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { parseFieldSelector } from '../../client/fields/selector.ts';
import { parseLabelSelector } from '../../client/labels/selector.ts';
import { newBadRequest } from '../errors/status-error.ts';
import type { Predicate } from '../storage/interface.ts';
import type { ResourceDefinition } from './types.ts';

export interface SelectionQuery {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

export function selectionPredicate(def: ResourceDefinition, query: SelectionQuery): Predicate | undefined {
  const predicates: Predicate[] = [];
  if (query.labelSelector) {
    let selector;
    try {
      selector = parseLabelSelector(query.labelSelector);
    } catch (err) {
      throw newBadRequest((err as Error).message);
    }
    if (!selector.empty()) predicates.push((obj) => selector.matches(obj.metadata.labels));
  }
  if (query.fieldSelector) {
    let selector;
    try {
      selector = parseFieldSelector(query.fieldSelector);
    } catch (err) {
      throw newBadRequest((err as Error).message);
    }
    const getters: Record<string, (obj: KubeObject) => string | undefined> = {
      'metadata.name': (obj) => obj.metadata.name,
      ...(def.namespaced ? { 'metadata.namespace': (obj: KubeObject) => obj.metadata.namespace } : {}),
      ...def.fieldSelectors,
    };
    for (const req of selector.requirements()) {
      if (!getters[req.field]) {
        throw newBadRequest(`field label not supported: ${req.field}`);
      }
    }
    predicates.push((obj) => selector.matches((field) => getters[field]?.(obj) ?? ''));
  }
  if (predicates.length === 0) return undefined;
  if (predicates.length === 1) return predicates[0];
  return (obj) => predicates.every((p) => p(obj));
}
