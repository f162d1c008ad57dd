/** core/v1 ServiceAccount. */
import { z } from 'zod';
import { localObjectReference, opaqueObject } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

export const serviceAccountSchema = kubeObjectSchema({
  secrets: z.array(opaqueObject).nullish(),
  imagePullSecrets: z.array(localObjectReference).nullish(),
  automountServiceAccountToken: z.boolean().nullish(),
});
