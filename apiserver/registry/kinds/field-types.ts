/**
 * Scalar field types of the Kubernetes API as zod schemas. Optional fields
 * accept JSON null, as Go's decoder treats null like an absent field.
 */
import { z } from 'zod';

const int32Range = 'must be a 32-bit integer';

/** int32 fields. */
export const int32 = z.int().min(-2147483648, { error: int32Range }).max(2147483647, { error: int32Range });

/** int64 fields (JSON numbers beyond 2^53 lose precision anyway). */
export const int64 = z.int();

/** `>= 0` as apimachinery's ValidateNonnegativeField says it. */
export const nonNegativeMessage = 'must be greater than or equal to 0';

export const nonNegativeInt32 = int32.min(0, { error: nonNegativeMessage });
export const nonNegativeInt64 = int64.min(0, { error: nonNegativeMessage });

/** map[string]string. */
export const stringMap = z.record(z.string(), z.string());

/** intstr.IntOrString. */
export const intOrString = z.union([int32, z.string()], { error: 'must be an integer or a string' });

/** resource.Quantity as JSON: a string ("100m", "1Gi") or a number. */
export const quantity = z.union([z.string(), z.number()], { error: 'must be a quantity (a string such as "100m" or a number)' });

/** map[ResourceName]Quantity. */
export const resourceList = z.record(z.string(), quantity);

/** Deep structures pier does not model (affinity, probes, securityContext): any JSON object. */
export const opaqueObject = z.looseObject({});

/** metav1.Time / MicroTime as RFC 3339 strings. */
export const timestamp = z.string();

/** A LocalObjectReference ({name}). */
export const localObjectReference = z.looseObject({ name: z.string().nullish() });
