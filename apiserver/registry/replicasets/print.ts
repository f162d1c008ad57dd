/** `kubectl get replicasets` columns (printers.go printReplicaSet). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { numberField, objectField, objectItems } from '../kinds/unstructured.ts';
import { ageColumn, integerColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import { containerCells, formatLabelSelector } from '../printing/format-labels.ts';
import type { PrintColumn } from '../types.ts';

function templateContainers(obj: KubeObject) {
  return containerCells(objectItems(objectField(objectField(objectField(obj, 'spec'), 'template'), 'spec'), 'containers'));
}

export const replicaSetPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  integerColumn('Desired', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset', (o) => numberField(objectField(o, 'spec'), 'replicas') ?? 0),
  integerColumn('Current', 'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset', (o) => numberField(objectField(o, 'status'), 'replicas') ?? 0),
  integerColumn('Ready', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', (o) => numberField(objectField(o, 'status'), 'readyReplicas') ?? 0),
  ageColumn,
  stringColumn('Containers', 'Names of each container in the template.', (o) => templateContainers(o).names, 1),
  stringColumn('Images', 'Images referenced by each container in the template.', (o) => templateContainers(o).images, 1),
  stringColumn('Selector', 'Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', (o) => formatLabelSelector(objectField(o, 'spec')?.['selector']), 1),
];
