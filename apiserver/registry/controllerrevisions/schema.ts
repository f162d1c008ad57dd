/** apps/v1 ControllerRevision: an immutable snapshot of a controller's state (`data` is any JSON). */
import { z } from 'zod';
import { int64 } from '../kinds/field-types.ts';
import { kubeObjectSchema } from '../kinds/object-meta.ts';

export const controllerRevisionSchema = kubeObjectSchema({
  // runtime.RawExtension: any JSON value; presence is the strategy's to check ("data is mandatory").
  data: z.unknown().optional(),
  revision: int64.min(0, { error: 'must be greater than or equal to 0' }).nullish(),
});

export type ControllerRevision = z.infer<typeof controllerRevisionSchema>;
