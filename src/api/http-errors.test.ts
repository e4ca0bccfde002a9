import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import {
  AtmosphereError,
  ConfigKeyNotFoundError,
  ConflictError,
  ForbiddenError,
  InvalidRequestBodyError,
  MethodNotAllowedError,
  NodeAlreadyRunningError,
  NodeNotRunningError,
  NotFoundError,
  RequestBodyTooLargeError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
} from '../core/index.js';
import { errorFromHttp } from '../core/index.js';
import { errorToHttp } from './http-errors.js';

describe('errorToHttp', () => {
  it('maps each error category to its HTTP status and OpenAI error type', () => {
    const cases: [AtmosphereError, number, string][] = [
      [new InvalidRequestBodyError('bad'), 400, 'invalid_request_error'],
      [new UnauthorizedError('who'), 401, 'authentication_error'],
      [new ForbiddenError('no'), 403, 'permission_error'],
      [new ConfigKeyNotFoundError('gone'), 404, 'not_found_error'],
      [new NodeAlreadyRunningError('twice'), 409, 'conflict_error'],
      [new NodeNotRunningError('down'), 503, 'unavailable_error'],
      [new TimeoutError('slow'), 504, 'timeout_error'],
      [new AtmosphereError('broken'), 500, 'server_error'],
    ];
    for (const [err, status, type] of cases) {
      const mapped = errorToHttp(err);
      expect(mapped.status, err.name).toBe(status);
      expect(mapped.body.error).toEqual({ message: err.message, type, code: err.code, param: null });
    }
  });

  it('uses the precise status HTTP has for an oversized body and a wrong method', () => {
    expect(errorToHttp(new RequestBodyTooLargeError('big')).status).toBe(413);
    expect(errorToHttp(new MethodNotAllowedError('nope')).status).toBe(405);
  });

  it('carries the offending field as param', () => {
    const mapped = errorToHttp(
      new InvalidRequestBodyError('bad field', { details: { param: 'limits.max' } }),
    );
    expect(mapped.body.error.param).toBe('limits.max');
  });

  it('does not expose the message of an error that is not ours', () => {
    const mapped = errorToHttp(new Error('ENOENT /home/someone/.secret'));
    expect(mapped).toEqual({
      status: 500,
      body: {
        error: {
          message: 'internal server error',
          type: 'server_error',
          code: 'internal_error',
          param: null,
        },
      },
    });
  });

  it('maps an abort to 503 and a DOM timeout to 504', () => {
    expect(errorToHttp(new DOMException('aborted', 'AbortError')).status).toBe(503);
    expect(errorToHttp(new DOMException('timed out', 'TimeoutError')).status).toBe(504);
  });

  it('maps hono HTTP exceptions by their status', () => {
    const mapped = errorToHttp(new HTTPException(413, { message: 'too big' }));
    expect(mapped.status).toBe(413);
    expect(mapped.body.error.code).toBe('request_body_too_large');
    expect(errorToHttp(new HTTPException(401)).body.error.type).toBe('authentication_error');
  });
});

describe('errorFromHttp', () => {
  it('rebuilds the exact error class from a known code', () => {
    const err = errorFromHttp(409, {
      error: { message: 'already running', type: 'conflict_error', code: 'node_already_running' },
    });
    expect(err).toBeInstanceOf(NodeAlreadyRunningError);
    expect(err.message).toBe('already running');
    expect(err.details.httpStatus).toBe(409);
  });

  it('falls back to the class for the status when the code is unknown, keeping the remote code', () => {
    const err = errorFromHttp(409, {
      error: { message: 'invite used up', type: 'conflict_error', code: 'invite_exhausted' },
    });
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.details.remoteCode).toBe('invite_exhausted');
    expect(errorFromHttp(404, { error: { message: 'x', code: 'thing_missing' } })).toBeInstanceOf(
      NotFoundError,
    );
    expect(errorFromHttp(503, {})).toBeInstanceOf(UnavailableError);
    expect(errorFromHttp(401, 'not json')).toBeInstanceOf(UnauthorizedError);
  });

  it('keeps the field a 400 named', () => {
    const err = errorFromHttp(400, {
      error: { message: 'bad', type: 'invalid_request_error', code: 'invalid_request_body', param: 'name' },
    });
    expect(err).toBeInstanceOf(InvalidRequestBodyError);
    expect(err.details.param).toBe('name');
  });

  it('round-trips every error the server maps', () => {
    for (const original of [
      new UnauthorizedError('a'),
      new NotFoundError('b'),
      new MethodNotAllowedError('c'),
      new RequestBodyTooLargeError('d'),
      new NodeNotRunningError('e'),
    ]) {
      const { status, body } = errorToHttp(original);
      const rebuilt = errorFromHttp(status, body);
      expect(rebuilt.constructor).toBe(original.constructor);
      expect(rebuilt.code).toBe(original.code);
    }
  });
});
