/**
 * The shared pod informer with a `spec.nodeName` index, as kube's
 * controllers register it (podIndexer.ByIndex("spec.nodeName")). Several
 * controllers ask for the same index on the same shared informer; the first
 * one adds it.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import type { SharedInformerFactory } from '../../client/cache/informer-factory.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import type { Taint, Toleration } from './taints.ts';

export const podNodeNameIndex = 'spec.nodeName';

/** The parts of a Pod these controllers read. */
export interface Pod extends KubeObject {
  spec?: { nodeName?: string; tolerations?: Toleration[] | null; [field: string]: unknown };
  status?: { phase?: string; conditions?: PodCondition[]; [field: string]: unknown };
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  [field: string]: unknown;
}

/** The parts of a Node these controllers read. */
export interface Node extends KubeObject {
  spec?: { taints?: Taint[] | null; unschedulable?: boolean; [field: string]: unknown };
  status?: { conditions?: NodeCondition[]; [field: string]: unknown };
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export function podInformerByNode(informers: SharedInformerFactory): SharedInformer<Pod> {
  const informer = informers.informerFor<Pod>({ group: '', version: 'v1', plural: 'pods' });
  try {
    informer.indexer.addIndexers({ [podNodeNameIndex]: (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []) });
  } catch (err) {
    // Already added by another controller; every user indexes the same field.
    if (!(err instanceof Error && err.message.includes('indexer conflict'))) throw err;
  }
  return informer;
}
