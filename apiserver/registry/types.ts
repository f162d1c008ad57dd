/**
 * The declarative description of one kind. `resources.ts` holds the table;
 * REST routes, etcd keys, discovery, OpenAPI, validation and Table printing
 * are all derived from it (as kubernetes' genericregistry.Store + strategies).
 */
import type { z } from 'zod';
import type { KubeObject } from '../../client/api/meta.ts';
import type { FieldError } from '../errors/status-error.ts';
import type { PatchMeta } from '../patch/patch-meta.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Create/update hooks; all optional, all mutate in place (as rest.RESTCreateStrategy). */
export interface Strategy {
  /** Fill defaults (e.g. pod restartPolicy Always). Runs before validation on create and update. */
  defaults?(obj: KubeObject): void;
  /** Clear fields the client must not set on create (status), set generation. */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over fields this endpoint must not change (status on main resource, spec on /status). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Semantic checks beyond the zod schema. */
  validate?(obj: KubeObject): FieldError[];
  /** Immutable-field checks etc. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** PUT of an absent object creates it (true for most kinds in Kubernetes: false). */
  allowCreateOnUpdate?: boolean;
  /**
   * Graceful deletion: return the grace period in seconds to wait (set deletionTimestamp and
   * deletionGracePeriodSeconds instead of deleting), or 0 to delete now. Pods use this.
   */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number;
  /** Kind-specific finalization still to happen before the object may go (Namespace: spec.finalizers). */
  finalizationPending?(obj: KubeObject): boolean;
  /** Mutates the object when its deletion starts (Namespace: status.phase Terminating). */
  prepareForDelete?(obj: KubeObject): void;
}

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** One column of `kubectl get` (metav1.TableColumnDefinition plus the cell function). */
export interface PrintColumn {
  name: string;
  type: ColumnType;
  format?: 'name' | 'date' | '';
  description: string;
  /** 0 = always shown, 1 = only with -o wide. */
  priority: 0 | 1;
  cell(obj: KubeObject, now: Date): string | number | boolean | null;
}

/** Field selector support: field path -> value extractor. metadata.name/namespace are implicit. */
export type FieldSelectors = Readonly<Record<string, (obj: KubeObject) => string | undefined>>;

/** The /scale subresource mapping (autoscaling/v1 Scale). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath: string;
}

export interface ResourceDefinition {
  /** '' for core. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  namespaced: boolean;
  categories: readonly string[];
  verbs: readonly Verb[];
  /** Validates the whole object as decoded JSON (apiVersion/kind/metadata included). */
  schema: z.ZodType;
  /**
   * The kind's type in Kubernetes' OpenAPI document, as @kubernetes/client-node names its model
   * (`V1Pod`, `CoreV1Event`): its fields are the ones a write may carry (see unknown-fields.ts).
   */
  model: string;
  strategy: Strategy;
  /** Present iff the kind has a /status subresource. */
  statusStrategy?: Strategy;
  /** Present iff the kind has a /scale subresource. */
  scale?: ScaleSubresource;
  /** Other subresources by name, handled by endpoints (binding, log, exec, eviction...). */
  extraSubresources?: readonly string[];
  printColumns: readonly PrintColumn[];
  fieldSelectors?: FieldSelectors;
  patchMeta?: PatchMeta;
}

export function apiVersionOf(def: Pick<ResourceDefinition, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
