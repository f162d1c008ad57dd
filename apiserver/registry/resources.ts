/**
 * The resource table: every kind the API server serves, declared once.
 * Routes, etcd keys, discovery, OpenAPI, validation, defaulting and
 * `kubectl get` columns are all derived from these entries
 * (as kubernetes' per-kind genericregistry.Store in NewREST).
 *
 * Scale subresources: `labelSelectorPath` is `.status.selector`, the field
 * autoscaling/v1 Scale reports; apps kinds do not store that string, so the
 * /scale handler derives it from `spec.selector` (labels.Selector.String()).
 */
import { patchMetaForKind } from '../patch/core-patch-meta.ts';
import type { PatchMeta } from '../patch/patch-meta.ts';
import { configMapPrintColumns } from './configmaps/print.ts';
import { configMapSchema } from './configmaps/schema.ts';
import { configMapStrategy } from './configmaps/strategy.ts';
import { controllerRevisionPrintColumns } from './controllerrevisions/print.ts';
import { controllerRevisionSchema } from './controllerrevisions/schema.ts';
import { controllerRevisionStrategy } from './controllerrevisions/strategy.ts';
import { daemonSetPrintColumns } from './daemonsets/print.ts';
import { daemonSetSchema } from './daemonsets/schema.ts';
import { daemonSetStatusStrategy, daemonSetStrategy } from './daemonsets/strategy.ts';
import { deploymentPrintColumns } from './deployments/print.ts';
import { deploymentSchema } from './deployments/schema.ts';
import { deploymentStatusStrategy, deploymentStrategy } from './deployments/strategy.ts';
import { endpointSlicePrintColumns } from './endpointslices/print.ts';
import { endpointSliceSchema } from './endpointslices/schema.ts';
import { endpointSliceStrategy } from './endpointslices/strategy.ts';
import { endpointsPrintColumns } from './endpoints/print.ts';
import { endpointsSchema } from './endpoints/schema.ts';
import { endpointsStrategy } from './endpoints/strategy.ts';
import { eventPrintColumns } from './events/print.ts';
import { eventSchema } from './events/schema.ts';
import { eventFieldSelectors, eventStrategy } from './events/strategy.ts';
import { jobPrintColumns } from './jobs/print.ts';
import { jobSchema } from './jobs/schema.ts';
import { jobFieldSelectors, jobStatusStrategy, jobStrategy } from './jobs/strategy.ts';
import { leasePrintColumns } from './leases/print.ts';
import { leaseSchema } from './leases/schema.ts';
import { leaseStrategy } from './leases/strategy.ts';
import { namespacePrintColumns } from './namespaces/print.ts';
import { namespaceSchema } from './namespaces/schema.ts';
import { namespaceFieldSelectors, namespaceStatusStrategy, namespaceStrategy } from './namespaces/strategy.ts';
import { nodePrintColumns } from './nodes/print.ts';
import { nodeSchema } from './nodes/schema.ts';
import { nodeFieldSelectors, nodeStatusStrategy, nodeStrategy } from './nodes/strategy.ts';
import { podPrintColumns } from './pods/print.ts';
import { podSchema } from './pods/schema.ts';
import { podFieldSelectors, podStatusStrategy, podStrategy } from './pods/strategy.ts';
import { replicaSetPrintColumns } from './replicasets/print.ts';
import { replicaSetSchema } from './replicasets/schema.ts';
import { replicaSetFieldSelectors, replicaSetStatusStrategy, replicaSetStrategy } from './replicasets/strategy.ts';
import { secretPrintColumns } from './secrets/print.ts';
import { secretSchema } from './secrets/schema.ts';
import { secretFieldSelectors, secretStrategy } from './secrets/strategy.ts';
import { serviceAccountPrintColumns } from './serviceaccounts/print.ts';
import { serviceAccountSchema } from './serviceaccounts/schema.ts';
import { serviceAccountStrategy } from './serviceaccounts/strategy.ts';
import { servicePrintColumns } from './services/print.ts';
import { serviceSchema } from './services/schema.ts';
import { serviceStatusStrategy, serviceStrategy } from './services/strategy.ts';
import type { ResourceDefinition, ScaleSubresource, Verb } from './types.ts';

/** What `kubectl api-resources -o wide` lists for most kinds. */
const allVerbs: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces cannot be deleted as a collection. */
const namespaceVerbs: readonly Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** spec.replicas <-> Scale; the selector string comes from spec.selector (see above). */
const replicasScale: ScaleSubresource = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};

/** `{ patchMeta }` when the patch helper describes the kind (exactOptionalPropertyTypes forbids `patchMeta: undefined`). */
function patchMetaOf(kind: string): { patchMeta?: PatchMeta } {
  const meta = patchMetaForKind(kind);
  return meta ? { patchMeta: meta } : {};
}

export const resources = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    model: 'V1Namespace',
    listKind: 'NamespaceList',
    plural: 'namespaces',
    singular: 'namespace',
    shortNames: ['ns'],
    namespaced: false,
    categories: [],
    verbs: namespaceVerbs,
    schema: namespaceSchema,
    strategy: namespaceStrategy,
    statusStrategy: namespaceStatusStrategy,
    extraSubresources: ['finalize'],
    printColumns: namespacePrintColumns,
    fieldSelectors: namespaceFieldSelectors,
    ...patchMetaOf('Namespace'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    model: 'V1Pod',
    listKind: 'PodList',
    plural: 'pods',
    singular: 'pod',
    shortNames: ['po'],
    namespaced: true,
    categories: ['all'],
    verbs: allVerbs,
    schema: podSchema,
    strategy: podStrategy,
    statusStrategy: podStatusStrategy,
    extraSubresources: ['binding', 'eviction', 'log', 'exec', 'attach', 'portforward'],
    printColumns: podPrintColumns,
    fieldSelectors: podFieldSelectors,
    ...patchMetaOf('Pod'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Node',
    model: 'V1Node',
    listKind: 'NodeList',
    plural: 'nodes',
    singular: 'node',
    shortNames: ['no'],
    namespaced: false,
    categories: [],
    verbs: allVerbs,
    schema: nodeSchema,
    strategy: nodeStrategy,
    statusStrategy: nodeStatusStrategy,
    printColumns: nodePrintColumns,
    fieldSelectors: nodeFieldSelectors,
    ...patchMetaOf('Node'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Event',
    model: 'CoreV1Event',
    listKind: 'EventList',
    plural: 'events',
    singular: 'event',
    shortNames: ['ev'],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: eventSchema,
    strategy: eventStrategy,
    printColumns: eventPrintColumns,
    fieldSelectors: eventFieldSelectors,
    ...patchMetaOf('Event'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    model: 'V1ConfigMap',
    listKind: 'ConfigMapList',
    plural: 'configmaps',
    singular: 'configmap',
    shortNames: ['cm'],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: configMapSchema,
    strategy: configMapStrategy,
    printColumns: configMapPrintColumns,
    ...patchMetaOf('ConfigMap'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Secret',
    model: 'V1Secret',
    listKind: 'SecretList',
    plural: 'secrets',
    singular: 'secret',
    shortNames: [],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: secretSchema,
    strategy: secretStrategy,
    printColumns: secretPrintColumns,
    fieldSelectors: secretFieldSelectors,
    ...patchMetaOf('Secret'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    model: 'V1Service',
    listKind: 'ServiceList',
    plural: 'services',
    singular: 'service',
    shortNames: ['svc'],
    namespaced: true,
    categories: ['all'],
    verbs: allVerbs,
    schema: serviceSchema,
    strategy: serviceStrategy,
    statusStrategy: serviceStatusStrategy,
    printColumns: servicePrintColumns,
    ...patchMetaOf('Service'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    model: 'V1Endpoints',
    listKind: 'EndpointsList',
    plural: 'endpoints',
    singular: 'endpoints',
    shortNames: ['ep'],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: endpointsSchema,
    strategy: endpointsStrategy,
    printColumns: endpointsPrintColumns,
    ...patchMetaOf('Endpoints'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    model: 'V1ServiceAccount',
    listKind: 'ServiceAccountList',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    shortNames: ['sa'],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: serviceAccountSchema,
    strategy: serviceAccountStrategy,
    printColumns: serviceAccountPrintColumns,
    ...patchMetaOf('ServiceAccount'),
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    model: 'V1Deployment',
    listKind: 'DeploymentList',
    plural: 'deployments',
    singular: 'deployment',
    shortNames: ['deploy'],
    namespaced: true,
    categories: ['all'],
    verbs: allVerbs,
    schema: deploymentSchema,
    strategy: deploymentStrategy,
    statusStrategy: deploymentStatusStrategy,
    scale: replicasScale,
    printColumns: deploymentPrintColumns,
    ...patchMetaOf('Deployment'),
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    model: 'V1ReplicaSet',
    listKind: 'ReplicaSetList',
    plural: 'replicasets',
    singular: 'replicaset',
    shortNames: ['rs'],
    namespaced: true,
    categories: ['all'],
    verbs: allVerbs,
    schema: replicaSetSchema,
    strategy: replicaSetStrategy,
    statusStrategy: replicaSetStatusStrategy,
    scale: replicasScale,
    printColumns: replicaSetPrintColumns,
    fieldSelectors: replicaSetFieldSelectors,
    ...patchMetaOf('ReplicaSet'),
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    model: 'V1DaemonSet',
    listKind: 'DaemonSetList',
    plural: 'daemonsets',
    singular: 'daemonset',
    shortNames: ['ds'],
    namespaced: true,
    categories: ['all'],
    verbs: allVerbs,
    schema: daemonSetSchema,
    strategy: daemonSetStrategy,
    statusStrategy: daemonSetStatusStrategy,
    printColumns: daemonSetPrintColumns,
    ...patchMetaOf('DaemonSet'),
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'ControllerRevision',
    model: 'V1ControllerRevision',
    listKind: 'ControllerRevisionList',
    plural: 'controllerrevisions',
    singular: 'controllerrevision',
    shortNames: [],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: controllerRevisionSchema,
    strategy: controllerRevisionStrategy,
    printColumns: controllerRevisionPrintColumns,
    ...patchMetaOf('ControllerRevision'),
  },
  {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    model: 'V1Job',
    listKind: 'JobList',
    plural: 'jobs',
    singular: 'job',
    shortNames: [],
    namespaced: true,
    categories: ['all'],
    verbs: allVerbs,
    schema: jobSchema,
    strategy: jobStrategy,
    statusStrategy: jobStatusStrategy,
    printColumns: jobPrintColumns,
    fieldSelectors: jobFieldSelectors,
    ...patchMetaOf('Job'),
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    model: 'V1EndpointSlice',
    listKind: 'EndpointSliceList',
    plural: 'endpointslices',
    singular: 'endpointslice',
    shortNames: [],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: endpointSliceSchema,
    strategy: endpointSliceStrategy,
    printColumns: endpointSlicePrintColumns,
    ...patchMetaOf('EndpointSlice'),
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    model: 'V1Lease',
    listKind: 'LeaseList',
    plural: 'leases',
    singular: 'lease',
    shortNames: [],
    namespaced: true,
    categories: [],
    verbs: allVerbs,
    schema: leaseSchema,
    strategy: leaseStrategy,
    printColumns: leasePrintColumns,
    ...patchMetaOf('Lease'),
  },
] as const satisfies readonly ResourceDefinition[];

/** The definition of a kind by plural and group, if served. */
export function resourceFor(group: string, plural: string): ResourceDefinition | undefined {
  return (resources as readonly ResourceDefinition[]).find((d) => d.group === group && d.plural === plural);
}
