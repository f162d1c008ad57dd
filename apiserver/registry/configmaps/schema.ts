/** core/v1 ConfigMap. */
import { z } from 'zod';
import { stringMap } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

export const configMapSchema = kubeObjectSchema({
  data: stringMap.nullish(),
  binaryData: stringMap.nullish(),
  immutable: z.boolean().nullish(),
});

export type ConfigMap = z.infer<typeof configMapSchema>;
