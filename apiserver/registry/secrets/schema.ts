/** core/v1 Secret. `data` values are base64, as the JSON encoding of []byte. */
import { z } from 'zod';
import { stringMap } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const secretSchema = kubeObjectSchema({
  data: z.record(z.string(), z.string().regex(base64, { error: 'illegal base64 data' })).nullish(),
  stringData: stringMap.nullish(),
  type: z.string().nullish(),
  immutable: z.boolean().nullish(),
});

export type Secret = z.infer<typeof secretSchema>;
