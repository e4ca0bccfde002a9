/**
 * Errors ↔ HTTP, in one place (pure: statuses are numbers, no HTTP framework here; `api/` adds the
 * framework's own exceptions and `client/` uses the reverse mapping). The server turns any thrown error into a status and OpenAI's error
 * envelope (`{"error":{"message","type","code","param"}}`); the client turns such a response back into
 * the matching `AtmosphereError` subclass. Statuses follow the error's `category`; a few codes that
 * HTTP has a more precise status for (413, 405) override it.
 */
import * as errorClasses from './errors.js';
import {
  AtmosphereError,
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  MethodNotAllowedError,
  NotFoundError,
  RequestBodyTooLargeError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  toAtmosphereError,
} from './errors.js';
import type { ErrorCategory, ErrorDetails } from './errors.js';
import type { ErrorEnvelope } from './api-types.js';

export interface HttpError {
  readonly status: number;
  readonly body: {
    readonly error: { message: string; type: string; code: string; param?: string | null };
  };
}

const STATUS_BY_CATEGORY: Readonly<Record<ErrorCategory, number>> = {
  invalid_input: 400,
  // A config error reaching the API is a bad value sent by the caller (e.g. a config edit).
  config: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

const TYPE_BY_CATEGORY: Readonly<Record<ErrorCategory, string>> = {
  invalid_input: 'invalid_request_error',
  config: 'invalid_request_error',
  unauthorized: 'authentication_error',
  forbidden: 'permission_error',
  not_found: 'not_found_error',
  conflict: 'conflict_error',
  internal: 'server_error',
  unavailable: 'unavailable_error',
  timeout: 'timeout_error',
};

/** Codes for which HTTP has a more precise status than the category's. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  request_body_too_large: 413,
  method_not_allowed: 405,
  throttled: 429,
};

/** Category of a bare HTTP status (for hono's HTTPException and for responses from a server). */
function categoryForStatus(status: number): ErrorCategory {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 408:
    case 504:
      return 'timeout';
    case 502:
    case 503:
      return 'unavailable';
    default:
      return status >= 400 && status < 500 ? 'invalid_input' : 'internal';
  }
}

function envelope(
  status: number,
  message: string,
  type: string,
  code: string,
  param: string | null,
): HttpError {
  return { status, body: { error: { message, type, code, param } } };
}

/** The envelope for an error known only by its HTTP status (e.g. a framework's own exception). */
export function errorForHttpStatus(status: number, message: string): HttpError {
  const category = categoryForStatus(status);
  const code =
    status === 413 ? 'request_body_too_large' : category === 'internal' ? 'internal_error' : category;
  return envelope(status, message || `HTTP ${status}`, TYPE_BY_CATEGORY[category], code, null);
}

/** Maps any thrown value to an HTTP status and error envelope. Messages of unknown errors are not exposed. */
export function errorToHttp(err: unknown): HttpError {
  const e = toAtmosphereError(err);
  if (!(err instanceof AtmosphereError) && e.category === 'internal') {
    return envelope(500, 'internal server error', TYPE_BY_CATEGORY.internal, 'internal_error', null);
  }
  const status = STATUS_BY_CODE[e.code] ?? STATUS_BY_CATEGORY[e.category];
  const param = typeof e.details.param === 'string' ? e.details.param : null;
  return envelope(status, e.message, TYPE_BY_CATEGORY[e.category], e.code, param);
}

type ErrorClass = new (
  message: string,
  options?: { cause?: unknown; details?: ErrorDetails },
) => AtmosphereError;

/**
 * Every error class a client can rebuild from its `code` alone: all `AtmosphereError` subclasses
 * exported by errors.ts whose constructor takes `(message, options)` (ConfigError, built from a list
 * of issues, is rebuilt as its category's class).
 */
const CLASS_BY_CODE: ReadonlyMap<string, ErrorClass> = new Map(
  Object.values(errorClasses).flatMap((value): [string, ErrorClass][] => {
    if (typeof value !== 'function' || !(value.prototype instanceof AtmosphereError)) return [];
    const Class = value as ErrorClass;
    try {
      return [[new Class('').code, Class]];
    } catch {
      return [];
    }
  }),
);

const CLASS_BY_CATEGORY: Readonly<Record<ErrorCategory, ErrorClass>> = {
  invalid_input: InvalidInputError,
  config: InvalidInputError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  conflict: ConflictError,
  internal: AtmosphereError,
  unavailable: UnavailableError,
  timeout: TimeoutError,
};

function readEnvelope(body: unknown): ErrorEnvelope['error'] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const inner = (body as { error?: unknown }).error;
  if (typeof inner !== 'object' || inner === null) return undefined;
  const { message, type, code, param } = inner as Record<string, unknown>;
  if (typeof message !== 'string' || typeof code !== 'string') return undefined;
  return {
    message,
    code,
    type: typeof type === 'string' ? type : '',
    param: typeof param === 'string' ? param : null,
  };
}

/**
 * Rebuilds the error a server reported: the exact class when its `code` is known, otherwise the
 * generic class for the HTTP status. `details` keep the status and what the server said.
 */
export function errorFromHttp(
  status: number,
  body: unknown,
  options: { url?: string } = {},
): AtmosphereError {
  const parsed = readEnvelope(body);
  const details: ErrorDetails = {
    httpStatus: status,
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(parsed === undefined
      ? {}
      : {
          remoteCode: parsed.code,
          remoteType: parsed.type,
          ...(parsed.param ? { param: parsed.param } : {}),
        }),
  };
  const message =
    parsed?.message ?? `HTTP ${status}${options.url === undefined ? '' : ` from ${options.url}`}`;
  const byCode = parsed === undefined ? undefined : CLASS_BY_CODE.get(parsed.code);
  const byStatus =
    status === 413 ? RequestBodyTooLargeError : status === 405 ? MethodNotAllowedError : undefined;
  const Class = byCode ?? byStatus ?? CLASS_BY_CATEGORY[categoryForStatus(status)];
  return new Class(message, { details });
}
