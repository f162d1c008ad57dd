/**
 * The /scale subresource (autoscaling/v1 Scale) of kinds with a `scale`
 * mapping: reads project the object into a Scale; writes change only
 * spec.replicas, honouring the Scale's resourceVersion as a precondition.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { selectorToString } from '../../../client/labels/selector.ts';
import { newBadRequest, newConflict, newInvalid, optimisticLockMessage } from '../../errors/status-error.ts';
import type { GenericStore, PatchType } from '../../registry/generic-store.ts';
import { applyJsonPatch } from '../../patch/json-patch.ts';
import { applyMergePatch } from '../../patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../../patch/strategic-merge-patch.ts';

function fieldAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function toScale(store: GenericStore, obj: KubeObject): KubeObject {
  const scale = store.def.scale!;
  const spec = obj.spec as { selector?: Parameters<typeof selectorToString>[0] } | undefined;
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name!,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      uid: m.uid!,
      resourceVersion: m.resourceVersion!,
      creationTimestamp: m.creationTimestamp!,
    },
    spec: { replicas: (fieldAt(obj, scale.specReplicasPath) as number | undefined) ?? 0 },
    status: {
      replicas: (fieldAt(obj, scale.statusReplicasPath) as number | undefined) ?? 0,
      selector: spec?.selector ? selectorToString(spec.selector) : '',
    },
  };
}

function setReplicas(obj: KubeObject, path: string, replicas: number): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = obj as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    if (typeof cur[part] !== 'object' || cur[part] === null) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = replicas;
}

export async function getScale(store: GenericStore, namespace: string | undefined, name: string): Promise<KubeObject> {
  return toScale(store, await store.get(namespace, name));
}

/** PUT (body is a Scale) or PATCH (body is a patch of the Scale) of /scale. */
export async function updateScale(
  store: GenericStore,
  namespace: string | undefined,
  name: string,
  change: { kind: 'update'; body: unknown } | { kind: 'patch'; type: PatchType; patch: unknown },
  dryRun: boolean,
): Promise<KubeObject> {
  const updated = await store.guaranteedUpdate(namespace, name, { dryRun }, (current) => {
    const scale = toScale(store, current);
    let next: unknown;
    if (change.kind === 'update') next = change.body;
    else if (change.type === 'json') next = applyJsonPatch(scale, change.patch);
    else if (change.type === 'merge') next = applyMergePatch(scale, change.patch);
    else next = applyStrategicMergePatch(scale, change.patch, undefined);
    if (typeof next !== 'object' || next === null || Array.isArray(next)) throw newBadRequest('the body of the request must be a Scale object');
    const nextScale = next as KubeObject & { spec?: { replicas?: unknown } };
    const rv = nextScale.metadata?.resourceVersion;
    if (change.kind === 'update' || (change.kind === 'patch' && rv !== scale.metadata.resourceVersion)) {
      if (rv && rv !== current.metadata.resourceVersion) throw newConflict(store.gr, name, optimisticLockMessage);
    }
    const replicas = nextScale.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw newInvalid('autoscaling', 'Scale', name, [
        replicas === undefined
          ? { type: 'Required', path: 'spec.replicas' }
          : { type: 'Invalid', path: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' },
      ]);
    }
    setReplicas(current, store.def.scale!.specReplicasPath, replicas);
    return current;
  });
  return toScale(store, updated);
}
