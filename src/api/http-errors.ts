/** hono's own exceptions (bad JSON, 404 of its router ...) mapped through core's error ↔ HTTP table. */
import { HTTPException } from 'hono/http-exception';
import type { HttpError } from '../core/index.js';
import { errorForHttpStatus, errorToHttp as coreErrorToHttp } from '../core/index.js';

export function errorToHttp(err: unknown): HttpError {
  if (err instanceof HTTPException) return errorForHttpStatus(err.status, err.message);
  return coreErrorToHttp(err);
}
