/**
 * Strategic-merge-patch metadata: which lists merge by which key, as the Go
 * struct tags `patchStrategy:"merge" patchMergeKey:"name"` say in k8s.io/api.
 * Anything not described merges maps recursively and replaces lists whole.
 */
export interface PatchMeta {
  /** Children of an object-valued field. */
  fields?: Readonly<Record<string, PatchMeta>>;
  /** For a list: metadata of its elements (when they are objects). */
  items?: PatchMeta;
  /** For a list of objects merged by key. */
  mergeKey?: string;
  /** patchStrategy tag: 'merge' on lists merges (by mergeKey, or as a set for primitives). */
  strategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
}
