/**
 * The error every non-2xx answer becomes: it carries the server's metav1.Status
 * so callers branch on `reason` (NotFound, AlreadyExists, Conflict, Expired...),
 * never on message text (STYLE.md §4).
 */
import type { Status, StatusReason } from '../api/meta.ts';

/** Reasons apimachinery assigns to bare HTTP codes when the body is not a Status (errors.NewGenericServerResponse). */
const reasonForCode: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class ApiError extends Error {
  readonly status: Status;

  constructor(status: Status) {
    super(status.message ?? `${status.code} ${status.reason ?? ''}`.trim());
    this.name = 'ApiError';
    this.status = status;
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string {
    return this.status.reason ?? '';
  }

  /** Builds the error for an answer; uses the body when it is a Status, else synthesizes one from the code. */
  static fromResponse(code: number, body: unknown, text: string): ApiError {
    if (isStatus(body)) return new ApiError({ ...body, code: body.code || code });
    const reason = reasonForCode[code] ?? 'InternalError';
    return new ApiError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code,
      reason,
      message: text.trim() === '' ? `the server responded with status ${code}` : text.trim().slice(0, 1000),
    });
  }
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status' && typeof (value as { code?: unknown }).code === 'number';
}

/** True when a list or watch asked for history the server no longer has (410 Expired or Gone), as apimachinery isExpiredError/IsGone. */
export function isExpired(err: unknown): boolean {
  return err instanceof ApiError && (err.reason === 'Expired' || err.reason === 'Gone' || err.code === 410);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.reason === 'NotFound';
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.reason === 'AlreadyExists';
}

export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.reason === 'Conflict';
}
