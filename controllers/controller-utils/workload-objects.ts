/**
 * The slices of core/v1 Pod and apps/v1 ReplicaSet and Deployment that the
 * workload controllers read and write. Field names are the API's own;
 * everything the server may omit is optional, as it is on the wire.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import type { Metav1LabelSelector } from '../../client/labels/selector.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface PodCondition {
  type: string;
  status: ConditionStatus | string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  [field: string]: unknown;
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  [field: string]: unknown;
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; [field: string]: unknown };
  status?: PodStatus;
}

/** core/v1 PodTemplateSpec: the metadata a controller stamps on its pods, and their spec. */
export interface PodTemplateSpec {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    [field: string]: unknown;
  };
  spec?: Record<string, unknown>;
}

export interface ReplicaSetCondition {
  type: string;
  status: ConditionStatus | string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

export interface ReplicaSet extends KubeObject {
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: Metav1LabelSelector;
    template: PodTemplateSpec;
  };
  status?: ReplicaSetStatus;
}

/** An int or a percentage string such as `25%` (intstr.IntOrString). */
export type IntOrString = number | string;

export interface DeploymentCondition {
  type: string;
  status: ConditionStatus | string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector?: Metav1LabelSelector;
    template: PodTemplateSpec;
    strategy?: {
      type?: 'Recreate' | 'RollingUpdate';
      rollingUpdate?: { maxUnavailable?: IntOrString | null; maxSurge?: IntOrString | null } | null;
    };
    minReadySeconds?: number;
    revisionHistoryLimit?: number | null;
    paused?: boolean;
    progressDeadlineSeconds?: number | null;
  };
  status?: DeploymentStatus;
}

export const podsResource = { group: '', version: 'v1', plural: 'pods' } as const;
export const replicaSetsResource = { group: 'apps', version: 'v1', plural: 'replicasets' } as const;
export const deploymentsResource = { group: 'apps', version: 'v1', plural: 'deployments' } as const;
