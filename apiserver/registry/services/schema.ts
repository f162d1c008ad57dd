/** core/v1 Service. */
import { z } from 'zod';
import { int32, intOrString, opaqueObject, stringMap } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';
import { protocols } from '../kinds/pod-spec.ts';

export const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;

const portRange = 'must be between 1 and 65535, inclusive';

export const servicePortSchema = z.looseObject({
  name: z.string().nullish(),
  protocol: z.enum(protocols).nullish(),
  appProtocol: z.string().nullish(),
  port: int32.min(1, { error: portRange }).max(65535, { error: portRange }),
  targetPort: intOrString.nullish(),
  nodePort: int32.nullish(),
});

export const serviceSpecSchema = z.looseObject({
  ports: z.array(servicePortSchema).nullish(),
  selector: stringMap.nullish(),
  clusterIP: z.string().nullish(),
  clusterIPs: z.array(z.string()).nullish(),
  type: z.enum(serviceTypes).nullish(),
  externalIPs: z.array(z.string()).nullish(),
  sessionAffinity: z.enum(['ClientIP', 'None']).nullish(),
  loadBalancerIP: z.string().nullish(),
  loadBalancerSourceRanges: z.array(z.string()).nullish(),
  externalName: z.string().nullish(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).nullish(),
  healthCheckNodePort: int32.nullish(),
  publishNotReadyAddresses: z.boolean().nullish(),
  sessionAffinityConfig: opaqueObject.nullish(),
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).nullish(),
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).nullish(),
  allocateLoadBalancerNodePorts: z.boolean().nullish(),
  loadBalancerClass: z.string().nullish(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).nullish(),
  trafficDistribution: z.string().nullish(),
});

export const serviceSchema = kubeObjectSchema({
  spec: serviceSpecSchema,
  status: z
    .looseObject({
      loadBalancer: z.looseObject({ ingress: z.array(z.looseObject({ ip: z.string().nullish(), hostname: z.string().nullish() })).nullish() }).nullish(),
      conditions: z.array(opaqueObject).nullish(),
    })
    .nullish(),
});

export type Service = z.infer<typeof serviceSchema>;
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;
