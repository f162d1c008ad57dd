/**
 * The slices of apps/v1 DaemonSet, ControllerRevision and core/v1 Node the
 * DaemonSet controller reads and writes, in the API's own field names.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import type { Metav1LabelSelector } from '../../client/labels/selector.ts';
import type { Taint } from '../nodelifecycle/taints.ts';
import type { IntOrString, PodTemplateSpec } from '../controller-utils/workload-objects.ts';

export interface DaemonSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: DaemonSetCondition[];
}

export interface DaemonSetSpec {
  selector?: Metav1LabelSelector;
  template: PodTemplateSpec;
  updateStrategy?: {
    type?: 'RollingUpdate' | 'OnDelete' | string;
    rollingUpdate?: { maxUnavailable?: IntOrString | null; maxSurge?: IntOrString | null } | null;
  };
  minReadySeconds?: number;
  revisionHistoryLimit?: number | null;
}

export interface DaemonSet extends KubeObject {
  spec: DaemonSetSpec;
  status?: Partial<DaemonSetStatus>;
}

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision: number;
}

export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[]; [field: string]: unknown };
}

export const daemonSetsResource = { group: 'apps', version: 'v1', plural: 'daemonsets' } as const;
export const controllerRevisionsResource = { group: 'apps', version: 'v1', plural: 'controllerrevisions' } as const;
export const nodesResource = { group: '', version: 'v1', plural: 'nodes' } as const;
export const daemonSetKind = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

/** apps.ControllerRevisionHashLabelKey. */
export const controllerRevisionHashLabel = 'controller-revision-hash';
/** extensions.DaemonSetTemplateGenerationKey: the pod label of the pre-history update scheme. */
export const podTemplateGenerationLabel = 'pod-template-generation';
/** The API server's record of spec.templateGeneration in apps/v1. */
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';
