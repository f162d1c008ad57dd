/**
 * PUT namespaces/{name}/finalize: the namespace controller's way to remove
 * spec.finalizers once a namespace is empty; only spec.finalizers changes.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { newBadRequest } from '../../errors/status-error.ts';
import type { GenericStore } from '../../registry/generic-store.ts';

export async function finalizeNamespace(namespaces: GenericStore, name: string, body: unknown, dryRun: boolean): Promise<KubeObject> {
  const finalizers = (body as { spec?: { finalizers?: unknown } } | null)?.spec?.finalizers;
  if (finalizers !== undefined && (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string'))) {
    throw newBadRequest('spec.finalizers must be a list of strings');
  }
  return namespaces.guaranteedUpdate(undefined, name, { dryRun, subresource: 'finalize' }, (ns) => {
    const spec = (ns.spec ?? {}) as { finalizers?: string[] };
    if (finalizers && finalizers.length > 0) spec.finalizers = finalizers as string[];
    else delete spec.finalizers;
    ns.spec = spec;
    return ns;
  });
}
