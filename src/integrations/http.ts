/**
 * The HTTP client every backend uses: JSON requests and streamed bodies over `fetch`, with
 * timeouts as signals and failures as typed errors:
 *
 * - cannot connect (refused, unknown host, reset before an answer) → `BackendUnavailableError`
 * - no answer within `timeoutMs`, or silence mid-stream for `streamIdleTimeoutMs` → `BackendTimeoutError`
 * - the caller's signal aborted → `AbortedError` (and the upstream request is cancelled)
 * - HTTP 404 (or an upstream `model_not_found` code) on a request about a model → `ModelNotFoundError`
 * - HTTP 401/403 → `BackendAuthError`; any other non-2xx → `BackendError`, with the upstream's message
 * - the connection drops mid-stream → `BackendStreamInterruptedError`
 *
 * Stopping a stream early (the consumer breaks out of its loop) aborts the upstream request too.
 */
import type { ZodType } from 'zod';
import type { ErrorDetails, Logger } from '../core/index.js';
import {
  AbortedError,
  AtmosphereError,
  BackendAuthError,
  BackendError,
  BackendStreamInterruptedError,
  BackendTimeoutError,
  BackendUnavailableError,
  ModelNotFoundError,
} from '../core/index.js';

/** What an upstream error body says, as far as the backend's format can tell. */
export interface UpstreamErrorInfo {
  readonly message: string | null;
  readonly code: string | null;
}

export interface HttpClientInit {
  /** Names the backend in error messages (`ollama`, `llamafarm`, `openai`). */
  readonly backend: string;
  /** Prefix of every request path, e.g. `http://127.0.0.1:11434` or `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  /** Sent with every request (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Whole-request limit for JSON calls; time until the response starts for streams. */
  readonly timeoutMs: number;
  /** Longest silence allowed between two pieces of a streamed body. */
  readonly streamIdleTimeoutMs: number;
  /** Reads the upstream's own message and code out of a parsed error body. */
  readonly readErrorBody: (body: unknown) => UpstreamErrorInfo;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  /** Appended to the base URL; starts with `/`. */
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** The model the request is about: a 404 then means the model is missing. */
  readonly model?: string;
  /** Overrides the client's `timeoutMs` for this request. */
  readonly timeoutMs?: number;
}

type AbortCause = 'caller' | 'timeout' | 'idle' | 'done';

/** One request's cancellation: the caller's signal, deadlines, and why it was aborted. */
class RequestControl {
  readonly controller = new AbortController();
  cause: AbortCause | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(callerSignal: AbortSignal | undefined) {
    if (callerSignal === undefined) return;
    if (callerSignal.aborted) {
      this.abort('caller', callerSignal.reason);
      return;
    }
    const onAbort = (): void => this.abort('caller', callerSignal.reason);
    callerSignal.addEventListener('abort', onAbort, { once: true });
    this.cleanups.push(() => callerSignal.removeEventListener('abort', onAbort));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(cause: AbortCause, reason?: unknown): void {
    if (this.controller.signal.aborted) return;
    this.cause = cause;
    this.controller.abort(reason);
  }

  /** Aborts with `cause` after `ms` unless the returned function is called first. */
  deadline(ms: number, cause: AbortCause): () => void {
    const timer = AbortSignal.timeout(ms);
    const onTimeout = (): void => this.abort(cause, timer.reason);
    timer.addEventListener('abort', onTimeout, { once: true });
    return () => timer.removeEventListener('abort', onTimeout);
  }

  dispose(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function causeCode(err: unknown): string | null {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return null;
}

export class HttpClient {
  private readonly logger: Logger;
  private readonly init: HttpClientInit;
  private readonly baseUrl: string;

  constructor(components: { logger: Logger }, init: HttpClientInit) {
    this.logger = components.logger;
    this.init = init;
    this.baseUrl = init.baseUrl.replace(/\/+$/, '');
  }

  /** Sends a request and returns the parsed JSON body (null for an empty body). */
  async json(request: HttpRequest, options: { signal?: AbortSignal } = {}): Promise<unknown> {
    const control = new RequestControl(options.signal);
    const clearDeadline = control.deadline(request.timeoutMs ?? this.init.timeoutMs, 'timeout');
    try {
      const response = await this.send(request, control);
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        throw this.failure(err, control, request, 'stream');
      }
      if (!response.ok) throw this.statusError(response.status, text, request);
      if (text.trim() === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new BackendError(`${this.init.backend} sent a response that is not JSON`, {
          details: this.details(request, { httpStatus: response.status, reason: 'malformed_response' }),
        });
      }
    } finally {
      clearDeadline();
      control.dispose();
    }
  }

  /**
   * Sends a request and yields its body as it arrives. Errors before the body starts (unreachable,
   * HTTP error status) surface on the first iteration. Ending the iteration early aborts the request.
   */
  async *stream(request: HttpRequest, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    const control = new RequestControl(options.signal);
    let complete = false;
    try {
      const clearDeadline = control.deadline(request.timeoutMs ?? this.init.timeoutMs, 'timeout');
      let response: Response;
      try {
        response = await this.send(request, control);
        if (!response.ok) {
          let text = '';
          try {
            text = await response.text();
          } catch (err) {
            throw this.failure(err, control, request, 'stream');
          }
          throw this.statusError(response.status, text, request);
        }
      } finally {
        clearDeadline();
      }
      if (response.body === null) {
        complete = true;
        return;
      }
      const reader = response.body.getReader();
      for (;;) {
        const clearIdle = control.deadline(this.init.streamIdleTimeoutMs, 'idle');
        let step: Awaited<ReturnType<typeof reader.read>>;
        try {
          step = await reader.read();
        } catch (err) {
          throw this.failure(err, control, request, 'stream');
        } finally {
          clearIdle();
        }
        if (step.done) {
          complete = true;
          return;
        }
        yield step.value;
      }
    } finally {
      // The consumer stopped early or something failed: cancel the upstream request.
      if (!complete) control.abort('done');
      control.dispose();
    }
  }

  private async send(request: HttpRequest, control: RequestControl): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/x-ndjson, text/event-stream',
      ...this.init.headers,
      ...request.headers,
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    try {
      return await fetch(`${this.baseUrl}${request.path}`, {
        method: request.method,
        headers,
        body,
        signal: control.signal,
      });
    } catch (err) {
      throw this.failure(err, control, request, 'connect');
    }
  }

  private details(request: HttpRequest, extra: ErrorDetails = {}): ErrorDetails {
    return {
      backend: this.init.backend,
      url: `${this.baseUrl}${request.path}`,
      ...(request.model === undefined ? {} : { model: request.model }),
      ...extra,
    };
  }

  /** Maps a transport failure (or an abort) to the error the caller should see. */
  private failure(
    err: unknown,
    control: RequestControl,
    request: HttpRequest,
    phase: 'connect' | 'stream',
  ): AtmosphereError {
    if (err instanceof AtmosphereError) return err;
    const backend = this.init.backend;
    switch (control.cause) {
      case 'caller':
        return new AbortedError(`${backend} request aborted`, { cause: err, details: this.details(request) });
      case 'timeout':
        return new BackendTimeoutError(
          `${backend} did not answer ${request.method} ${request.path} within ${request.timeoutMs ?? this.init.timeoutMs} ms`,
          { cause: err, details: this.details(request) },
        );
      case 'idle':
        return new BackendTimeoutError(
          `${backend} sent nothing for ${this.init.streamIdleTimeoutMs} ms in the middle of a stream`,
          { cause: err, details: this.details(request) },
        );
      default:
        break;
    }
    const code = causeCode(err);
    this.logger.debug({ backend, path: request.path, phase, code }, 'backend request failed');
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      // fetch's own limits (5 minutes each), reached before ours when ours are set higher.
      return new BackendTimeoutError(
        `${backend} did not answer ${request.method} ${request.path} in time (${code})`,
        {
          cause: err,
          details: this.details(request, { reason: code }),
        },
      );
    }
    if (phase === 'connect' && (code === null || CONNECT_ERROR_CODES.has(code))) {
      const why = code === 'ECONNREFUSED' ? 'connection refused' : (code ?? (err as Error).message);
      return new BackendUnavailableError(`${backend} is not reachable at ${this.baseUrl} (${why})`, {
        cause: err,
        details: this.details(request, { reason: code }),
      });
    }
    if (phase === 'connect') {
      return new BackendUnavailableError(`${backend} request to ${this.baseUrl} failed: ${String(err)}`, {
        cause: err,
        details: this.details(request, { reason: code }),
      });
    }
    return new BackendStreamInterruptedError(
      `${backend} closed the connection before the answer was complete`,
      {
        cause: err,
        details: this.details(request, { reason: code }),
      },
    );
  }

  /** Maps an HTTP error status and body to the error the caller should see. */
  private statusError(status: number, text: string, request: HttpRequest): AtmosphereError {
    let body: unknown = null;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = null;
    }
    const upstream = this.init.readErrorBody(body);
    const message = upstream.message ?? (text.trim().slice(0, 500) || `HTTP ${status}`);
    const details = this.details(request, {
      httpStatus: status,
      upstreamMessage: message,
      ...(upstream.code === null ? {} : { upstreamCode: upstream.code }),
    });
    const backend = this.init.backend;
    if (request.model !== undefined && (status === 404 || upstream.code === 'model_not_found')) {
      return new ModelNotFoundError(`${backend} has no model "${request.model}": ${message}`, { details });
    }
    if (status === 401 || status === 403) {
      return new BackendAuthError(`${backend} refused the credentials (HTTP ${status}): ${message}`, {
        details,
      });
    }
    return new BackendError(`${backend} answered HTTP ${status}: ${message}`, { details });
  }
}

/**
 * Validates an upstream response against a (lenient) schema; a mismatch is a `BackendError` naming
 * what was expected, so a server speaking another version of the API fails loudly, not silently.
 */
export function parseUpstream<T>(schema: ZodType<T>, value: unknown, backend: string, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  throw new BackendError(`${backend} sent an unexpected ${what}${where}: ${issue?.message ?? 'invalid'}`, {
    details: { backend, reason: 'malformed_response' },
  });
}
