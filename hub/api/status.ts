/**
 * Kubernetes Status objects: the body of every API error (and of a few successful deletes), and the
 * typed ApiError that handlers throw. toApiError() maps the errors of the store, the protocol and
 * selectors onto the reason and HTTP code a Kubernetes client expects.
 */
import { AdmissionForbiddenError, AdmissionInvalidError } from '../admission/errors.js';
import { ServiceAdmissionError } from '../registry/errors.js';
import { DroverError, ManifestError, ValidationError } from '../../protocol/errors.js';
import { kindByName } from '../../protocol/kinds.js';
import { SelectorSyntaxError } from '../../protocol/labels.js';
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  RevisionCompactedError,
  StoreClosedError,
  StoreIOError,
} from '../store/errors.js';
import type { ObjectKey } from '../store/store.js';

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Gone'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError';

export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  /** With TooManyRequests: when to try again (also sent as the Retry-After header). */
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  /** Only an expired continue token's answer carries one: the token to continue inconsistently. */
  metadata: { continue?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  code: number;
  details?: StatusDetails;
}

const HTTP_CODES: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  Gone: 410,
  Expired: 410,
  MethodNotAllowed: 405,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  NotAcceptable: 406,
  ServiceUnavailable: 503,
  Timeout: 504,
  TooManyRequests: 429,
  InternalError: 500,
};

/** Every code the API's errors carry: one per Kubernetes Status reason (listed in README.md too). */
export const API_ERROR_CODES = {
  EAPI_NOT_FOUND: '404 NotFound: no such object or path',
  EAPI_ALREADY_EXISTS: '409 AlreadyExists: create of a name that is taken',
  EAPI_CONFLICT: '409 Conflict: the object changed since the resourceVersion the client sent',
  EAPI_INVALID: '422 Invalid: the object failed validation (the field is named)',
  EAPI_BAD_REQUEST: '400 BadRequest: a malformed body, query or option',
  EAPI_UNAUTHORIZED: '401 Unauthorized: no token, or one the hub does not know',
  EAPI_FORBIDDEN: "403 Forbidden: the token's role or namespace does not allow the verb",
  EAPI_GONE: '410 Gone: the resource is gone for good (not used by the hub today; an old resourceVersion is Expired)',
  EAPI_EXPIRED: '410 Expired: a watch or list from a resourceVersion or continue token older than the kept history, or a watch client too slow to keep up was cut off (re-list, then watch)',
  EAPI_METHOD_NOT_ALLOWED: '405 MethodNotAllowed: a verb the resource does not have',
  EAPI_TOO_LARGE: '413 RequestEntityTooLarge: a body over the limit',
  EAPI_UNSUPPORTED_MEDIA_TYPE: '415 UnsupportedMediaType: a content type the hub does not read',
  EAPI_NOT_ACCEPTABLE: '406 NotAcceptable: the client accepts no type the hub answers this path in (e.g. only protobuf, for discovery, Tables, streams or the OpenAPI v2 document)',
  EAPI_UNAVAILABLE: '503 ServiceUnavailable: the node or the hub cannot serve this now',
  EAPI_TIMEOUT: '504 Timeout: the node did not answer in time',
  EAPI_TOO_MANY_REQUESTS: "429 TooManyRequests: the token is over its request rate, its requests in flight or its open watches; or an eviction a PodDisruptionBudget forbids",
  EAPI_INTERNAL: '500 InternalError: the hub failed (disk full, a bug): see its log',
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;

const CODE_OF_REASON: Record<StatusReason, ApiErrorCode> = {
  NotFound: 'EAPI_NOT_FOUND',
  AlreadyExists: 'EAPI_ALREADY_EXISTS',
  Conflict: 'EAPI_CONFLICT',
  Invalid: 'EAPI_INVALID',
  BadRequest: 'EAPI_BAD_REQUEST',
  Unauthorized: 'EAPI_UNAUTHORIZED',
  Forbidden: 'EAPI_FORBIDDEN',
  Gone: 'EAPI_GONE',
  Expired: 'EAPI_EXPIRED',
  MethodNotAllowed: 'EAPI_METHOD_NOT_ALLOWED',
  RequestEntityTooLarge: 'EAPI_TOO_LARGE',
  UnsupportedMediaType: 'EAPI_UNSUPPORTED_MEDIA_TYPE',
  NotAcceptable: 'EAPI_NOT_ACCEPTABLE',
  ServiceUnavailable: 'EAPI_UNAVAILABLE',
  Timeout: 'EAPI_TIMEOUT',
  TooManyRequests: 'EAPI_TOO_MANY_REQUESTS',
  InternalError: 'EAPI_INTERNAL',
};

/** An error the API answers with a Status object. */
export class ApiError extends DroverError {
  readonly reason: StatusReason;
  readonly httpCode: number;
  readonly details: StatusDetails | undefined;
  /** For 410 Expired of a continue token: the token that continues the list from where it was (inconsistently). */
  listContinue: string | undefined;
  constructor(reason: StatusReason, message: string, details?: StatusDetails, options?: { cause?: unknown }) {
    super(CODE_OF_REASON[reason], message, options);
    this.reason = reason;
    this.httpCode = HTTP_CODES[reason];
    this.details = details;
  }

  toStatus(): StatusObject {
    const status = failureStatus(this.reason, this.message, this.details);
    if (this.listContinue !== undefined) status.metadata = { continue: this.listContinue };
    return status;
  }
}

export function failureStatus(reason: StatusReason, message: string, details?: StatusDetails): StatusObject {
  const status: StatusObject = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code: HTTP_CODES[reason],
  };
  if (details) status.details = details;
  return status;
}

export function successStatus(details?: StatusDetails): StatusObject {
  const status: StatusObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) status.details = details;
  return status;
}

/** "pods" for kind "Pod" (falls back to a lower-cased kind for kinds outside the registry). */
export function pluralOf(kind: string): string {
  return kindByName(kind)?.plural ?? `${kind.toLowerCase()}s`;
}

function groupOf(kind: string): string {
  return kindByName(kind)?.group ?? '';
}

/** "deployments.apps", "pods": the resource as kube-apiserver names it in NotFound and AlreadyExists messages. */
const qualified = (plural: string, group: string): string => (group ? `${plural}.${group}` : plural);

export const apiErrors = {
  notFound: (plural: string, name: string, group = '') =>
    new ApiError('NotFound', `${qualified(plural, group)} "${name}" not found`, { name, group, kind: plural }),
  resourceNotFound: (path: string) =>
    new ApiError('NotFound', `the server could not find the requested resource (${path})`),
  alreadyExists: (plural: string, name: string, group = '') =>
    new ApiError('AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, { name, group, kind: plural }),
  conflict: (plural: string, name: string, group = '') =>
    new ApiError(
      'Conflict',
      `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group, kind: plural },
    ),
  badRequest: (message: string) => new ApiError('BadRequest', message),
  unauthorized: (message = 'Unauthorized') => new ApiError('Unauthorized', message),
  forbidden: (message: string, details?: StatusDetails) => new ApiError('Forbidden', message, details),
  methodNotAllowed: (message: string) => new ApiError('MethodNotAllowed', message),
  gone: (message: string) => new ApiError('Gone', message),
  tooLarge: (limit: number) => new ApiError('RequestEntityTooLarge', `request body is larger than the limit of ${limit} bytes`),
  unsupportedMediaType: (message: string) => new ApiError('UnsupportedMediaType', message),
  notAcceptable: (message: string) => new ApiError('NotAcceptable', message),
  /** 429, as kube-apiserver's flow control answers: the client waits `retryAfterSeconds` and retries. */
  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    new ApiError('TooManyRequests', message, { retryAfterSeconds }),
  /** One or more field problems: `Kind "name" is invalid: field: message, ...`. */
  invalid: (kind: string, name: string, causes: StatusCause[]) =>
    new ApiError(
      'Invalid',
      `${kind} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
      { name, kind, group: groupOf(kind), causes },
    ),
};

/** The reason part of a ValidationError (its message is "document: field: reason"). */
function validationReason(problem: ValidationError): string {
  const prefix = `${problem.document}: ${problem.field ? `${problem.field}: ` : ''}`;
  return problem.message.startsWith(prefix) ? problem.message.slice(prefix.length) : problem.message;
}

export function manifestErrorToApiError(err: ManifestError, kind: string, name: string): ApiError {
  const causes = err.problems.map((p) => ({ field: p.field, message: validationReason(p), reason: 'FieldValueInvalid' }));
  return apiErrors.invalid(kind, name, causes);
}

function keyNotFound(key: ObjectKey): ApiError {
  return apiErrors.notFound(pluralOf(key.kind), key.name, groupOf(key.kind));
}

/**
 * Map any error onto an ApiError. Unknown errors become InternalError (the caller logs them: they are
 * bugs or I/O failures, and the client only sees a generic message plus the error's own text).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof NotFoundError) return keyNotFound(err.key);
  if (err instanceof AlreadyExistsError) return apiErrors.alreadyExists(pluralOf(err.key.kind), err.key.name, groupOf(err.key.kind));
  if (err instanceof ConflictError) return apiErrors.conflict(pluralOf(err.key.kind), err.key.name, groupOf(err.key.kind));
  if (err instanceof RevisionCompactedError) {
    // kube-apiserver's answer to a watch from a compacted revision: 410 with reason Expired
    return new ApiError('Expired', `too old resource version: ${err.requested} (${err.oldest})`, undefined, { cause: err });
  }
  if (err instanceof ManifestError) {
    const causes = err.problems.map((p) => ({ field: p.field, message: validationReason(p) }));
    return new ApiError('Invalid', err.message, { causes }, { cause: err });
  }
  if (err instanceof ValidationError) {
    return new ApiError('Invalid', err.message, { causes: [{ field: err.field, message: validationReason(err) }] }, { cause: err });
  }
  if (err instanceof ServiceAdmissionError) {
    const name = err.service.slice(err.service.indexOf('/') + 1);
    return apiErrors.invalid('Service', name, err.problems.map((p) => ({ field: p.field, message: p.message, reason: 'FieldValueInvalid' })));
  }
  if (err instanceof AdmissionForbiddenError) {
    const [resource, group = ''] = err.resource.split(/\.(.*)/s);
    return new ApiError('Forbidden', err.message, { name: err.objectName, group, kind: resource! }, { cause: err });
  }
  if (err instanceof AdmissionInvalidError) {
    return apiErrors.invalid(err.kind, err.objectName, err.problems.map((p) => ({ field: p.field, message: `Invalid value: ${JSON.stringify(p.value)}: ${p.message}`, reason: 'FieldValueInvalid' })));
  }
  if (err instanceof SelectorSyntaxError) return new ApiError('BadRequest', err.message, undefined, { cause: err });
  if (err instanceof StoreClosedError) return new ApiError('ServiceUnavailable', 'the hub is shutting down', undefined, { cause: err });
  if (err instanceof StoreIOError) return new ApiError('InternalError', `storage error: ${err.message}`, undefined, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError('InternalError', `internal error: ${message}`, undefined, { cause: err });
}
