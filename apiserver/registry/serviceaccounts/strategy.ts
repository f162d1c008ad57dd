/** ServiceAccount rules: nothing beyond ObjectMeta and the schema (ValidateServiceAccount). */
import type { Strategy } from '../types.ts';

export const serviceAccountStrategy: Strategy = {};
