/** coordination.k8s.io/v1 Lease. */
import { z } from 'zod';
import { int32, timestamp } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

export const leaseSpecSchema = z.looseObject({
  holderIdentity: z.string().nullish(),
  leaseDurationSeconds: int32.min(1, { error: 'must be greater than 0' }).nullish(),
  acquireTime: timestamp.nullish(),
  renewTime: timestamp.nullish(),
  leaseTransitions: int32.min(0, { error: 'must be greater than or equal to 0' }).nullish(),
  strategy: z.string().nullish(),
  preferredHolder: z.string().nullish(),
});

export const leaseSchema = kubeObjectSchema({ spec: leaseSpecSchema.nullish() });
