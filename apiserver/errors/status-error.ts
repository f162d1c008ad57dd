/**
 * The single error type that leaves the API server. Every failure is
 * rendered as a metav1.Status with the code and reason below
 * (api-conventions.md "Response Status Kind"); clients branch on `reason`.
 */
import type { Status, StatusCause, StatusDetails, StatusReason } from '../../client/api/meta.ts';

export class StatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** A group-qualified resource, as Kubernetes prints it: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = { kind: gr.resource };
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  return d;
}

export function newNotFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, details(gr, name));
}

export function newAlreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, details(gr, name));
}

export function newConflict(gr: GroupResource, name: string, why: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
    details(gr, name),
  );
}

export const optimisticLockMessage =
  'the object has been modified; please apply your changes to the latest version and try again';

/** One invalid field: `path` is the JSON path as Kubernetes prints it, e.g. `spec.containers[0].image`. */
export interface FieldError {
  type: 'Required' | 'Invalid' | 'NotSupported' | 'Forbidden' | 'TooLong' | 'Duplicate' | 'TooMany' | 'TypeInvalid';
  path: string;
  /** Offending value; omitted for Required/Forbidden. */
  value?: unknown;
  /** Detail after the standard prefix, e.g. `must be no more than 63 characters`. */
  detail?: string;
}

const causeReason: Record<FieldError['type'], string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  Duplicate: 'FieldValueDuplicate',
  TooMany: 'FieldValueTooMany',
  TypeInvalid: 'FieldValueTypeInvalid',
};

/** A value as ErrorBody prints it: `%q`/`%v` for scalars (JSON agrees), `%#v` for a []string. */
function goValue(value: unknown): string {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
  return JSON.stringify(value);
}

/** Renders a field error's message the way apimachinery's field.Error.ErrorBody does. */
export function fieldErrorBody(e: FieldError): string {
  switch (e.type) {
    case 'Required':
      return e.detail ? `Required value: ${e.detail}` : 'Required value';
    case 'Forbidden':
      return e.detail ? `Forbidden: ${e.detail}` : 'Forbidden';
    case 'Duplicate':
      return `Duplicate value: ${JSON.stringify(e.value)}`;
    case 'TooLong':
      return `Too long: ${e.detail ?? 'value is too long'}`;
    case 'TooMany':
      return `Too many: ${e.detail ?? 'too many items'}`;
    case 'NotSupported':
      return `Unsupported value: ${JSON.stringify(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'TypeInvalid':
      return `Invalid value: ${JSON.stringify(e.value)}: ${e.detail ?? 'invalid type'}`;
    case 'Invalid': {
      const v = e.value === undefined ? '' : goValue(e.value);
      return `Invalid value: ${v}${e.detail ? `: ${e.detail}` : ''}`;
    }
  }
}

export function fieldErrorToCause(e: FieldError): StatusCause {
  return { reason: causeReason[e.type], message: fieldErrorBody(e), field: e.path };
}

/** 422 Invalid; `kind` is the Kind (`Pod`), as kubectl prints `The Pod "web" is invalid: ...`. */
export function newInvalid(group: string, kind: string, name: string, errs: FieldError[]): StatusError {
  const causes = errs.map(fieldErrorToCause);
  const list = errs.map((e) => `${e.path}: ${fieldErrorBody(e)}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  const d: StatusDetails = { name, kind, causes };
  if (group) d.group = group;
  return new StatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, d);
}

export function newBadRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function newMethodNotSupported(gr: GroupResource, verb: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`, {
    kind: gr.resource,
    ...(gr.group ? { group: gr.group } : {}),
  });
}

export function newExpired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

export function newGone(message: string): StatusError {
  return new StatusError(410, 'Gone', message);
}

export function newUnauthorized(message = 'Unauthorized'): StatusError {
  return new StatusError(401, 'Unauthorized', message);
}

export function newRequestEntityTooLarge(message: string): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', message);
}

export function newUnsupportedMediaType(contentType: string): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got ${contentType}`);
}

export function newNotAcceptable(message: string): StatusError {
  return new StatusError(406, 'NotAcceptable', message);
}

export function newInternalError(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  return new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

export function newServiceUnavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}
