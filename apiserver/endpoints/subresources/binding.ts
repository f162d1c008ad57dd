/**
 * POST pods/{name}/binding: the scheduler's way to place a pod. Sets
 * spec.nodeName once (a second binding is a 409) and the PodScheduled
 * condition, as the pod registry's BindingREST.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { newBadRequest, newConflict, newInvalid } from '../../errors/status-error.ts';
import { metaNow } from '../../../client/api/meta-time.ts';
import type { GenericStore } from '../../registry/generic-store.ts';

interface Binding {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; annotations?: Record<string, string> };
  target?: { kind?: string; name?: string };
}

export async function bindPod(pods: GenericStore, namespace: string | undefined, name: string, body: unknown, dryRun: boolean): Promise<KubeObject> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw newBadRequest('the body of the request must be a Binding object');
  const binding = body as Binding;
  if (binding.metadata?.name !== undefined && binding.metadata.name !== name) {
    throw newBadRequest(`the name of the object (${binding.metadata.name}) does not match the name on the URL (${name})`);
  }
  const nodeName = binding.target?.name;
  if (!nodeName) throw newInvalid('', 'Binding', name, [{ type: 'Required', path: 'target.name' }]);
  if (binding.target?.kind && binding.target.kind !== 'Node') {
    throw newInvalid('', 'Binding', name, [{ type: 'NotSupported', path: 'target.kind', value: binding.target.kind, detail: 'supported values: "Node"' }]);
  }
  const gr = { group: '', resource: 'pods/binding' };
  return pods.guaranteedUpdate(namespace, name, { dryRun, subresource: 'binding' }, (pod) => {
    const meta = pod.metadata;
    if (meta.deletionTimestamp) throw newConflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (binding.metadata?.uid && binding.metadata.uid !== meta.uid) throw newConflict(gr, name, `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${meta.uid}`);
    if (binding.metadata?.resourceVersion && binding.metadata.resourceVersion !== meta.resourceVersion) {
      throw newConflict(gr, name, `Precondition failed: ResourceVersion in precondition: ${binding.metadata.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
    }
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    if (spec.nodeName) throw newConflict(gr, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    spec.nodeName = nodeName;
    pod.spec = spec;
    if (binding.metadata?.annotations) meta.annotations = { ...meta.annotations, ...binding.metadata.annotations };
    const status = (pod.status ?? {}) as { conditions?: { type: string; status: string; lastProbeTime?: string | null; lastTransitionTime?: string }[] };
    const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: metaNow() });
    status.conditions = conditions;
    pod.status = status;
    return pod;
  });
}
