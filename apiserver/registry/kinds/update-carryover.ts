/**
 * What an update keeps from the stored object, shared by the strategies:
 * main-resource writes keep status, /status writes keep spec (and, for apps
 * kinds, labels), and generation moves only when the desired state does.
 */
import type { KubeObject } from '../../../client/api/meta.ts';

/** Gives `obj` generation old+1 when `changed`, else old's. */
export function bumpGeneration(obj: KubeObject, old: KubeObject, changed: boolean): void {
  const previous = old.metadata.generation ?? 0;
  obj.metadata.generation = changed ? previous + 1 : previous;
}

/** Keeps `old.status` on `obj` (main-resource writes never change status). */
export function keepStatus(obj: KubeObject, old: KubeObject): void {
  if (old['status'] === undefined) delete obj['status'];
  else obj['status'] = structuredClone(old['status']);
}

/** Keeps `old.spec` on `obj` (/status writes never change spec). */
export function keepSpec(obj: KubeObject, old: KubeObject): void {
  if (old['spec'] === undefined) delete obj['spec'];
  else obj['spec'] = structuredClone(old['spec']);
}

/** The /status writes of apps kinds: spec and labels stay as stored. */
export function keepSpecAndLabels(obj: KubeObject, old: KubeObject): void {
  keepSpec(obj, old);
  if (old.metadata.labels === undefined) delete obj.metadata.labels;
  else obj.metadata.labels = structuredClone(old.metadata.labels);
}
