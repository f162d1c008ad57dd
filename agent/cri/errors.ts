/**
 * CRI failures carry a gRPC status code; callers (the kubelet-side code) branch
 * on `code`, never on the message.
 */
export type CriErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'PermissionDenied'
  | 'DeadlineExceeded'
  | 'Unimplemented'
  | 'Unknown';

export class CriError extends Error {
  readonly code: CriErrorCode;
  constructor(code: CriErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CriError';
    this.code = code;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === 'NotFound';
}
