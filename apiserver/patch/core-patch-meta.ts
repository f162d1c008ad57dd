/**
 * Strategic-merge-patch metadata for the built-in kinds pier serves,
 * transcribed from the `patchStrategy`/`patchMergeKey` struct tags of
 * k8s.io/api (core/v1, apps/v1, batch/v1, discovery/v1, coordination/v1) and k8s.io/apimachinery
 * (meta/v1 ObjectMeta). Only fields with tags appear: every other list is
 * replaced whole (envFrom, tolerations, taints, containerStatuses, images,
 * Endpoints subsets, ...) and every other map merges key by key.
 */
import type { PatchMeta } from './patch-meta.ts';

function mergeByKey(mergeKey: string, items?: PatchMeta): PatchMeta {
  return items ? { strategy: 'merge', mergeKey, items } : { strategy: 'merge', mergeKey };
}

/** A list of primitives merged as a set (finalizers, podCIDRs). */
const mergeSet: PatchMeta = { strategy: 'merge' };

const conditionsByType: PatchMeta = mergeByKey('type');

/** metav1.ObjectMeta. */
export const patchMetaObjectMeta: PatchMeta = {
  fields: {
    ownerReferences: mergeByKey('uid'),
    finalizers: mergeSet,
  },
};

/** core/v1 Container; EphemeralContainerCommon carries the same tags. */
export const patchMetaContainer: PatchMeta = {
  fields: {
    ports: mergeByKey('containerPort'),
    env: mergeByKey('name'),
    volumeMounts: mergeByKey('mountPath'),
    volumeDevices: mergeByKey('devicePath'),
  },
};

/** core/v1 PodSpec. */
export const patchMetaPodSpec: PatchMeta = {
  fields: {
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    initContainers: mergeByKey('name', patchMetaContainer),
    containers: mergeByKey('name', patchMetaContainer),
    ephemeralContainers: mergeByKey('name', patchMetaContainer),
    imagePullSecrets: mergeByKey('name'),
    hostAliases: mergeByKey('ip'),
    topologySpreadConstraints: mergeByKey('topologyKey'),
    schedulingGates: mergeByKey('name'),
    resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
};

/** core/v1 PodStatus (container statuses have no tags: replaced whole). */
export const patchMetaPodStatus: PatchMeta = {
  fields: {
    conditions: conditionsByType,
    hostIPs: mergeByKey('ip'),
    podIPs: mergeByKey('ip'),
    resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
};

/** core/v1 PodTemplateSpec. */
export const patchMetaPodTemplateSpec: PatchMeta = {
  fields: { metadata: patchMetaObjectMeta, spec: patchMetaPodSpec },
};

export const patchMetaPod: PatchMeta = {
  fields: { metadata: patchMetaObjectMeta, spec: patchMetaPodSpec, status: patchMetaPodStatus },
};

/** apps/v1 Deployment: `spec.strategy` is retainKeys, so switching to Recreate drops rollingUpdate. */
export const patchMetaDeployment: PatchMeta = {
  fields: {
    metadata: patchMetaObjectMeta,
    spec: { fields: { template: patchMetaPodTemplateSpec, strategy: { strategy: 'retainKeys' } } },
    status: { fields: { conditions: conditionsByType } },
  },
};

/** apps/v1 ReplicaSet. */
export const patchMetaReplicaSet: PatchMeta = {
  fields: {
    metadata: patchMetaObjectMeta,
    spec: { fields: { template: patchMetaPodTemplateSpec } },
    status: { fields: { conditions: conditionsByType } },
  },
};

/** apps/v1 DaemonSet: unlike Deployment's, `spec.updateStrategy` carries no retainKeys tag. */
export const patchMetaDaemonSet: PatchMeta = {
  fields: {
    metadata: patchMetaObjectMeta,
    spec: { fields: { template: patchMetaPodTemplateSpec } },
    status: { fields: { conditions: conditionsByType } },
  },
};

/** batch/v1 Job (podFailurePolicy and successPolicy rules are atomic lists). */
export const patchMetaJob: PatchMeta = {
  fields: {
    metadata: patchMetaObjectMeta,
    spec: { fields: { template: patchMetaPodTemplateSpec } },
    status: { fields: { conditions: conditionsByType } },
  },
};

/** core/v1 Node: `spec.taints` and `status.images` have no tags. */
export const patchMetaNode: PatchMeta = {
  fields: {
    metadata: patchMetaObjectMeta,
    spec: { fields: { podCIDRs: mergeSet } },
    status: { fields: { conditions: conditionsByType, addresses: mergeByKey('type') } },
  },
};

/** core/v1 Service: ports merge by `port`. */
export const patchMetaService: PatchMeta = {
  fields: {
    metadata: patchMetaObjectMeta,
    spec: { fields: { ports: mergeByKey('port') } },
    status: { fields: { conditions: conditionsByType } },
  },
};

/** core/v1 Namespace. */
export const patchMetaNamespace: PatchMeta = {
  fields: { metadata: patchMetaObjectMeta, status: { fields: { conditions: conditionsByType } } },
};

/** core/v1 ServiceAccount: `secrets` merge by name, `imagePullSecrets` (untagged here) are replaced. */
export const patchMetaServiceAccount: PatchMeta = {
  fields: { metadata: patchMetaObjectMeta, secrets: mergeByKey('name') },
};

/**
 * Kinds whose only tagged fields are in ObjectMeta (Endpoints subsets, and
 * EndpointSlice endpoints and ports, are atomic lists: a patch replaces them whole).
 */
const metadataOnly: PatchMeta = { fields: { metadata: patchMetaObjectMeta } };

/** PatchMeta by Kind, for the kinds pier serves. */
export const patchMetaByKind: Readonly<Record<string, PatchMeta>> = {
  Pod: patchMetaPod,
  Deployment: patchMetaDeployment,
  ReplicaSet: patchMetaReplicaSet,
  Node: patchMetaNode,
  Service: patchMetaService,
  Endpoints: metadataOnly,
  ConfigMap: metadataOnly,
  Secret: metadataOnly,
  Namespace: patchMetaNamespace,
  Event: metadataOnly,
  ServiceAccount: patchMetaServiceAccount,
  Lease: metadataOnly,
  DaemonSet: patchMetaDaemonSet,
  ControllerRevision: metadataOnly,
  Job: patchMetaJob,
  EndpointSlice: metadataOnly,
};

/** The PatchMeta of a Kind, or `undefined` for kinds pier has none for (CRDs get merge patches). */
export function patchMetaForKind(kind: string): PatchMeta | undefined {
  return Object.hasOwn(patchMetaByKind, kind) ? patchMetaByKind[kind] : undefined;
}
