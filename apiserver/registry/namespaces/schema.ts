/** core/v1 Namespace. */
import { z } from 'zod';
import { opaqueObject } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

export const namespacePhases = ['Active', 'Terminating'] as const;

export const namespaceSchema = kubeObjectSchema({
  spec: z.looseObject({ finalizers: z.array(z.string()).nullish() }).nullish(),
  status: z
    .looseObject({
      phase: z.enum(namespacePhases).nullish(),
      conditions: z.array(opaqueObject).nullish(),
    })
    .nullish(),
});

export type Namespace = z.infer<typeof namespaceSchema>;
