/**
 * core/v1 PodSpec and Container as zod schemas. Fields pier acts on are typed;
 * deep structures it passes through (affinity, probes, securityContext,
 * volume sources) are accepted as any object. Required-ness follows
 * ValidatePodSpec: at least one container, each with a name and an image.
 */
import { z } from 'zod';
import { int32, int64, localObjectReference, opaqueObject, resourceList, stringMap } from './field-types.ts';

export const protocols = ['TCP', 'UDP', 'SCTP'] as const;
export const restartPolicies = ['Always', 'OnFailure', 'Never'] as const;
export const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
export const pullPolicies = ['Always', 'IfNotPresent', 'Never'] as const;
export const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'] as const;
export const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export const tolerationOperators = ['Exists', 'Equal'] as const;

const portRange = 'must be between 1 and 65535, inclusive';
const hostPortRange = 'must be between 0 and 65535, inclusive';

export const containerPortSchema = z.looseObject({
  name: z.string().nullish(),
  hostPort: int32.min(0, { error: hostPortRange }).max(65535, { error: hostPortRange }).nullish(),
  containerPort: int32.min(1, { error: portRange }).max(65535, { error: portRange }),
  protocol: z.enum(protocols).nullish(),
  hostIP: z.string().nullish(),
});

export const envVarSchema = z.looseObject({
  name: z.string().min(1),
  value: z.string().nullish(),
  valueFrom: opaqueObject.nullish(),
});

export const volumeMountSchema = z.looseObject({
  name: z.string().min(1),
  mountPath: z.string().min(1),
  readOnly: z.boolean().nullish(),
  subPath: z.string().nullish(),
  subPathExpr: z.string().nullish(),
  mountPropagation: z.string().nullish(),
});

export const resourceRequirementsSchema = z.looseObject({
  limits: resourceList.nullish(),
  requests: resourceList.nullish(),
  claims: z.array(opaqueObject).nullish(),
});

export const containerSchema = z.looseObject({
  name: z.string().min(1),
  image: z.string().min(1),
  command: z.array(z.string()).nullish(),
  args: z.array(z.string()).nullish(),
  workingDir: z.string().nullish(),
  ports: z.array(containerPortSchema).nullish(),
  envFrom: z.array(opaqueObject).nullish(),
  env: z.array(envVarSchema).nullish(),
  resources: resourceRequirementsSchema.nullish(),
  resizePolicy: z.array(opaqueObject).nullish(),
  restartPolicy: z.enum(['Always']).nullish(),
  volumeMounts: z.array(volumeMountSchema).nullish(),
  volumeDevices: z.array(opaqueObject).nullish(),
  livenessProbe: opaqueObject.nullish(),
  readinessProbe: opaqueObject.nullish(),
  startupProbe: opaqueObject.nullish(),
  lifecycle: opaqueObject.nullish(),
  terminationMessagePath: z.string().nullish(),
  terminationMessagePolicy: z.enum(terminationMessagePolicies).nullish(),
  imagePullPolicy: z.enum(pullPolicies).nullish(),
  securityContext: opaqueObject.nullish(),
  stdin: z.boolean().nullish(),
  stdinOnce: z.boolean().nullish(),
  tty: z.boolean().nullish(),
});

export const volumeSchema = z.looseObject({ name: z.string().min(1) });

export const tolerationSchema = z.looseObject({
  key: z.string().nullish(),
  operator: z.enum(tolerationOperators).nullish(),
  value: z.string().nullish(),
  effect: z.enum(taintEffects).nullish(),
  tolerationSeconds: int64.nullish(),
});

export const podSpecSchema = z.looseObject({
  volumes: z.array(volumeSchema).nullish(),
  initContainers: z.array(containerSchema).nullish(),
  containers: z.array(containerSchema).min(1),
  ephemeralContainers: z.array(opaqueObject).nullish(),
  restartPolicy: z.enum(restartPolicies).nullish(),
  terminationGracePeriodSeconds: int64.nullish(),
  activeDeadlineSeconds: int64.nullish(),
  dnsPolicy: z.enum(dnsPolicies).nullish(),
  nodeSelector: stringMap.nullish(),
  serviceAccountName: z.string().nullish(),
  serviceAccount: z.string().nullish(),
  automountServiceAccountToken: z.boolean().nullish(),
  nodeName: z.string().nullish(),
  hostNetwork: z.boolean().nullish(),
  hostPID: z.boolean().nullish(),
  hostIPC: z.boolean().nullish(),
  shareProcessNamespace: z.boolean().nullish(),
  securityContext: opaqueObject.nullish(),
  imagePullSecrets: z.array(localObjectReference).nullish(),
  hostname: z.string().nullish(),
  subdomain: z.string().nullish(),
  affinity: opaqueObject.nullish(),
  schedulerName: z.string().nullish(),
  tolerations: z.array(tolerationSchema).nullish(),
  hostAliases: z.array(opaqueObject).nullish(),
  priorityClassName: z.string().nullish(),
  priority: int32.nullish(),
  dnsConfig: opaqueObject.nullish(),
  readinessGates: z.array(z.looseObject({ conditionType: z.string().min(1) })).nullish(),
  runtimeClassName: z.string().nullish(),
  enableServiceLinks: z.boolean().nullish(),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).nullish(),
  overhead: resourceList.nullish(),
  topologySpreadConstraints: z.array(opaqueObject).nullish(),
  setHostnameAsFQDN: z.boolean().nullish(),
  os: opaqueObject.nullish(),
  hostUsers: z.boolean().nullish(),
  schedulingGates: z.array(z.looseObject({ name: z.string().min(1) })).nullish(),
  resourceClaims: z.array(opaqueObject).nullish(),
  resources: resourceRequirementsSchema.nullish(),
});

export type PodSpec = z.infer<typeof podSpecSchema>;
export type Container = z.infer<typeof containerSchema>;
