/** `kubectl get deployments` columns (printers.go printDeployment). */
import { isObject, numberField, objectField, objectItems } from '../kinds/unstructured.ts';
import { ageColumn, nameColumn, stringColumn } from '../printing/common-columns.ts';
import { containerCells } from '../printing/format-labels.ts';
import { labelSelectorString, type LabelSelector } from '../kinds/label-selector.ts';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { PrintColumn } from '../types.ts';

function status(obj: KubeObject, field: string): number {
  return numberField(objectField(obj, 'status'), field) ?? 0;
}

function templateContainers(obj: KubeObject) {
  return containerCells(objectItems(objectField(objectField(objectField(obj, 'spec'), 'template'), 'spec'), 'containers'));
}

/** Selector.String() of spec.selector; "" when absent (printDeployment does not print <none>). */
function selectorCell(obj: KubeObject): string {
  const selector = objectField(obj, 'spec')?.['selector'];
  return isObject(selector) ? labelSelectorString(selector as LabelSelector) : '';
}

export const deploymentPrintColumns: readonly PrintColumn[] = [
  nameColumn,
  stringColumn('Ready', 'Number of the pod with ready state', (o) => `${status(o, 'readyReplicas')}/${numberField(objectField(o, 'spec'), 'replicas') ?? 0}`),
  stringColumn('Up-to-date', 'Total number of non-terminating pods targeted by this deployment that have the desired template spec.', (o) => status(o, 'updatedReplicas')),
  stringColumn('Available', 'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.', (o) => status(o, 'availableReplicas')),
  ageColumn,
  stringColumn('Containers', 'Names of each container in the template.', (o) => templateContainers(o).names, 1),
  stringColumn('Images', 'Images referenced by each container in the template.', (o) => templateContainers(o).images, 1),
  stringColumn('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', selectorCell, 1),
];
