/** Shared fixtures for the registry tests: definitions by kind and create/update runs through a strategy. */
import type { KubeObject } from '../../../client/api/meta.ts';
import { resources } from '../../../apiserver/registry/resources.ts';
import type { ResourceDefinition } from '../../../apiserver/registry/types.ts';
import { validateObject } from '../../../apiserver/registry/validation/validate-object.ts';
import type { FieldError } from '../../../apiserver/errors/status-error.ts';

export function defOf(kind: string): ResourceDefinition {
  const def = (resources as readonly ResourceDefinition[]).find((d) => d.kind === kind);
  if (!def) throw new Error(`no definition for ${kind}`);
  return def;
}

/** What the generic store does on create before storing: defaults, prepareForCreate, validation. */
export function create(kind: string, body: object): { obj: KubeObject; errs: FieldError[] } {
  const def = defOf(kind);
  const obj = structuredClone(body) as KubeObject;
  obj.metadata ??= {};
  def.strategy.defaults?.(obj);
  def.strategy.prepareForCreate?.(obj);
  return { obj, errs: validateObject(def, obj) };
}

/** What the store does on update (main resource or /status). */
export function update(kind: string, next: object, old: KubeObject, subresource: '' | 'status' = ''): { obj: KubeObject; errs: FieldError[] } {
  const def = defOf(kind);
  const strategy = subresource === 'status' ? def.statusStrategy! : def.strategy;
  const obj = structuredClone(next) as KubeObject;
  strategy.defaults?.(obj);
  strategy.prepareForUpdate?.(obj, old);
  return { obj, errs: validateObject(def, obj, old, strategy) };
}

/** `path: type` pairs, for compact assertions. */
export function summary(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.path}: ${e.type}`);
}

export const meta = (name: string, namespace = 'default') => ({ name, namespace });

export function pod(spec: object, name = 'web'): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta(name), spec };
}

export function deployment(spec: object, name = 'web'): object {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name), spec };
}

export const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
});
