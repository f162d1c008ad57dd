/** `kubectl get daemonsets` columns (printers.go printDaemonSet). */
import type { KubeObject } from '../../../client/api/meta.ts';
import { numberField, objectField, objectItems } from '../kinds/unstructured.ts';
import { ageColumn, integerColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import { containerCells, formatLabelSelector, formatLabels } from '../printing/format-labels.ts';
import type { PrintColumn } from '../types.ts';

function status(obj: KubeObject, field: string): number {
  return numberField(objectField(obj, 'status'), field) ?? 0;
}

function templateSpec(obj: KubeObject) {
  return objectField(objectField(objectField(obj, 'spec'), 'template'), 'spec');
}

function templateContainers(obj: KubeObject) {
  return containerCells(objectItems(templateSpec(obj), 'containers'));
}

export const daemonSetPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  integerColumn('Desired', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/', (o) => status(o, 'desiredNumberScheduled')),
  integerColumn('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/', (o) => status(o, 'currentNumberScheduled')),
  integerColumn('Ready', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.', (o) => status(o, 'numberReady')),
  integerColumn('Up-to-date', 'The total number of nodes that are running updated daemon pod', (o) => status(o, 'updatedNumberScheduled')),
  integerColumn('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', (o) => status(o, 'numberAvailable')),
  stringColumn('Node Selector', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/", (o) => formatLabels(templateSpec(o)?.['nodeSelector'])),
  ageColumn,
  stringColumn('Containers', 'Names of each container in the template.', (o) => templateContainers(o).names, 1),
  stringColumn('Images', 'Images referenced by each container in the template.', (o) => templateContainers(o).images, 1),
  stringColumn('Selector', "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", (o) => formatLabelSelector(objectField(o, 'spec')?.['selector']), 1),
];
