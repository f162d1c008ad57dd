/** Lease rules (ValidateLease): the schema holds them all (duration > 0, transitions >= 0). */
import type { Strategy } from '../types.ts';

export const leaseStrategy: Strategy = {};
