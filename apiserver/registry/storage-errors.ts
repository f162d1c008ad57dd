/** Maps storage failures to the Status a client sees (as apiserver's storage.InterpretXError). */
import {
  type GroupResource,
  newAlreadyExists,
  newConflict,
  newExpired,
  newInternalError,
  newNotFound,
  newServiceUnavailable,
  optimisticLockMessage,
  StatusError,
} from '../errors/status-error.ts';
import { StorageError } from '../storage/interface.ts';

export function interpretStorageError(err: unknown, gr: GroupResource, name: string): StatusError {
  if (err instanceof StatusError) return err;
  if (!(err instanceof StorageError)) return newInternalError(err);
  switch (err.code) {
    case 'KeyNotFound':
      return newNotFound(gr, name);
    case 'KeyExists':
      return newAlreadyExists(gr, name);
    case 'ResourceVersionConflict':
      return newConflict(gr, name, optimisticLockMessage);
    case 'Expired':
      return newExpired(err.message);
    case 'TooLargeResourceVersion':
      // Kubernetes answers 504 Timeout; a client's future revision is no server fault, so pier answers 429,
      // which client-go retries the same way (after retryAfterSeconds).
      return new StatusError(429, 'TooManyRequests', err.message, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    case 'InvalidObject':
      return newInternalError(err);
    case 'Unavailable':
      return newServiceUnavailable(err.message);
  }
}
