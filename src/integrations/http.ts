/**
 * The HTTP client every backend uses: JSON requests and streamed bodies over `node:http` /
 * `node:https`, with one keep-alive connection pool per protocol, deadlines as timers, and
 * failures as typed errors:
 *
 * - cannot connect (refused, unknown host, reset before an answer) → `BackendUnavailableError`
 * - no answer within `timeoutMs`, or silence mid-stream for `streamIdleTimeoutMs` → `BackendTimeoutError`
 * - the caller's signal aborted → `AbortedError` (and the upstream request is destroyed)
 * - HTTP 404 (or an upstream `model_not_found` code) on a request about a model → `ModelNotFoundError`
 * - HTTP 401/403 → `BackendAuthError`; any other non-2xx → `BackendError`, with the upstream's message
 * - the connection drops mid-stream → `BackendStreamInterruptedError`
 *
 * Stopping a stream early (the consumer breaks out of its loop) aborts the upstream request too.
 * A kept-alive connection that the server closed just as it was reused fails the request with
 * `BackendUnavailableError` saying so; the request is not retried.
 *
 * Why not `fetch`: every backend call on the node that serves `/v1/chat/completions` went through
 * undici's Request/Response/WHATWG-stream/AbortSignal machinery, about 0.3 ms of CPU per call
 * (measured with `--cpu-prof`); `node:http` costs a fraction of that. For the same reason the
 * deadlines are plain timers rather than `AbortSignal.timeout` (house style rule 6), and an
 * `AbortSignal` is only listened to when the caller passes one.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/** Connections kept open per backend origin; requests beyond it wait for a free one. */
const MAX_SOCKETS_PER_ORIGIN = 64;

/**
 * One connection pool per protocol, shared by every client in the process (a pool per client
 * would open new connections for the same model server). Stateless from the callers' point of
 * view, so this is not the kind of singleton house style rule 4 forbids. Idle kept-alive sockets
 * are unref'd by node, so the pools never keep a process alive.
 */
const HTTP_AGENT = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN });
const HTTPS_AGENT = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN });

const ACCEPT = 'application/json, application/x-ndjson, text/event-stream';

/** Where a base URL points, split the way `node:http` wants it. */
interface Origin {
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number | undefined;
  /** The base URL's path without its trailing slash ('' for none); request paths go after it. */
  readonly pathPrefix: string;
  /** `user:password` from the URL, for basic auth. */
  readonly auth: string | undefined;
}

/** The origin of `baseUrl`, or why it cannot be dialled. */
function parseOrigin(baseUrl: string): Origin | string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `unsupported scheme ${url.protocol}`;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const auth =
    url.username === '' && url.password === ''
      ? undefined
      : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return {
    secure: url.protocol === 'https:',
    hostname,
    port: url.port === '' ? undefined : Number(url.port),
    pathPrefix: url.pathname.replace(/\/+$/, ''),
    auth,
  };
}

type AbortCause = 'caller' | 'timeout' | 'idle' | 'done';

/**
 * One request's life: the `ClientRequest` and its response, the caller's signal, the deadlines,
 * and why it was aborted. Aborting destroys the request (and so its socket), which the server
 * sees as the connection closing.
 */
class Exchange {
  cause: AbortCause | null = null;
  /** What aborted it, for the error's `cause`: the caller's abort reason. */
  reason: unknown = undefined;
  request: ClientRequest | null = null;
  response: IncomingMessage | null = null;
  /** Fails what the exchange is waiting on (the response head, a whole body) as soon as it is aborted. */
  interrupt: ((err: Error) => void) | null = null;
  private finished = false;
  private deadline: NodeJS.Timeout | null = null;
  private idle: NodeJS.Timeout | null = null;
  private awaitingData = false;
  private readonly callerSignal: AbortSignal | undefined;
  private readonly onCallerAbort: (() => void) | undefined;

  constructor(callerSignal: AbortSignal | undefined) {
    if (callerSignal === undefined) return;
    if (callerSignal.aborted) {
      this.cause = 'caller';
      this.reason = callerSignal.reason;
      return;
    }
    this.callerSignal = callerSignal;
    this.onCallerAbort = (): void => {
      this.reason = callerSignal.reason;
      this.abort('caller');
    };
    callerSignal.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  abort(cause: AbortCause): void {
    if (this.cause !== null || (this.finished && cause !== 'done')) return;
    this.cause = cause;
    this.clearDeadline();
    this.response?.destroy();
    this.request?.destroy();
    const interrupt = this.interrupt;
    this.interrupt = null;
    interrupt?.(new Error(`request aborted (${cause})`));
  }

  /** Aborts with cause `timeout` after `ms` unless `clearDeadline()` comes first. */
  startDeadline(ms: number): void {
    this.deadline = setTimeout(() => this.abort('timeout'), ms);
  }

  clearDeadline(): void {
    if (this.deadline === null) return;
    clearTimeout(this.deadline);
    this.deadline = null;
  }

  /**
   * Starts the idle clock before waiting for the next piece of a body: aborts with cause `idle`
   * unless `gotData()` comes within `ms`. One timer per stream, restarted with `refresh()` (which
   * also re-arms it when it already fired while the consumer, not the server, was slow).
   */
  awaitData(ms: number): void {
    this.awaitingData = true;
    if (this.idle === null) {
      this.idle = setTimeout(() => {
        if (this.awaitingData) this.abort('idle');
      }, ms);
    } else {
      this.idle.refresh();
    }
  }

  gotData(): void {
    this.awaitingData = false;
  }

  /** Ends the exchange: timers cleared, the caller's signal no longer listened to, aborts ignored. */
  dispose(): void {
    this.finished = true;
    this.interrupt = null;
    this.clearDeadline();
    if (this.idle !== null) clearTimeout(this.idle);
    if (this.onCallerAbort !== undefined) this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}

/** How long, and how many bytes, the rest of a body may take after its consumer stopped. */
const DRAIN_GRACE_MS = 250;
const DRAIN_MAX_BYTES = 64 * 1024;

/**
 * Reads and discards the rest of a response whose consumer stopped early, so that its keep-alive
 * connection is reused; destroys it instead when the rest is longer than `DRAIN_MAX_BYTES` or
 * takes longer than `DRAIN_GRACE_MS` (a consumer that stopped in the middle of a long stream: the
 * upstream then sees the connection close and stops generating).
 */
function drainThenRelease(exchange: Exchange): void {
  const response = exchange.response;
  if (response === null || response.destroyed) return;
  if (response.complete) {
    response.resume();
    return;
  }
  let bytes = 0;
  const giveUp = (): void => {
    clearTimeout(timer);
    response.removeListener('data', onData);
    exchange.abort('done');
  };
  const onData = (chunk: Buffer): void => {
    bytes += chunk.length;
    if (bytes > DRAIN_MAX_BYTES) giveUp();
  };
  const timer = setTimeout(giveUp, DRAIN_GRACE_MS);
  response.on('data', onData);
  response.once('end', () => clearTimeout(timer));
  response.once('close', () => clearTimeout(timer));
  response.resume();
}

/** Reads a whole response body as UTF-8; fails if the connection closes before its end. */
function readText(response: IncomingMessage, exchange: Exchange): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    exchange.interrupt = reject;
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => {
      exchange.interrupt = null;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    response.once('error', reject);
    response.once('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the body was complete'));
    });
  });
}

const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'EPIPE',
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

function isOk(status: number): boolean {
  return status >= 200 && status <= 299;
}

export class HttpClient {
  private readonly logger: Logger;
  private readonly init: HttpClientInit;
  private readonly baseUrl: string;
  private readonly origin: Origin | string;

  constructor(components: { logger: Logger }, init: HttpClientInit) {
    this.logger = components.logger;
    this.init = init;
    this.baseUrl = init.baseUrl.replace(/\/+$/, '');
    this.origin = parseOrigin(this.baseUrl);
  }

  /**
   * Starts `exchange`'s deadline and sends the request; resolves with the response head. A caller
   * gone already, or a connection that fails, is the `connect` failure.
   */
  private async open(request: HttpRequest, exchange: Exchange): Promise<IncomingMessage> {
    if (exchange.cause !== null) throw this.failure(exchange.reason, exchange, request, 'connect');
    exchange.startDeadline(request.timeoutMs ?? this.init.timeoutMs);
    try {
      return await this.send(request, exchange);
    } catch (err) {
      throw this.failure(err, exchange, request, 'connect');
    }
  }

  /** Sends a request and returns the parsed JSON body (null for an empty body). */
  async json(request: HttpRequest, options: { signal?: AbortSignal } = {}): Promise<unknown> {
    const exchange = new Exchange(options.signal);
    try {
      const response = await this.open(request, exchange);
      let text: string;
      try {
        text = await readText(response, exchange);
      } catch (err) {
        throw this.failure(err, exchange, request, 'stream');
      }
      const status = response.statusCode ?? 0;
      if (!isOk(status)) throw this.statusError(status, text, request);
      if (text.trim() === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new BackendError(`${this.init.backend} sent a response that is not JSON`, {
          details: this.details(request, { httpStatus: status, reason: 'malformed_response' }),
        });
      }
    } finally {
      exchange.dispose();
    }
  }

  /**
   * Sends a request and yields its body as it arrives. Errors before the body starts (unreachable,
   * HTTP error status) surface on the first iteration. Ending the iteration early aborts the request.
   */
  async *stream(request: HttpRequest, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    const exchange = new Exchange(options.signal);
    let complete = false;
    /** True while the consumer has a piece: a stop then comes from it, not from a failure here. */
    let consumerHolds = false;
    let pieces: AsyncIterator<Buffer> | undefined;
    try {
      const response = await this.open(request, exchange);
      const status = response.statusCode ?? 0;
      if (!isOk(status)) {
        let text: string;
        try {
          text = await readText(response, exchange);
        } catch (err) {
          throw this.failure(err, exchange, request, 'stream');
        }
        complete = true;
        throw this.statusError(status, text, request);
      }
      exchange.clearDeadline();
      const idleMs = this.init.streamIdleTimeoutMs;
      // not destroyed when the consumer stops: `finally` decides between draining and destroying
      pieces = response.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer>;
      for (;;) {
        exchange.awaitData(idleMs);
        let step: IteratorResult<Buffer>;
        try {
          step = await pieces.next();
        } catch (err) {
          throw this.failure(err, exchange, request, 'stream');
        } finally {
          exchange.gotData();
        }
        if (step.done === true) {
          if (exchange.cause !== null || !response.complete) {
            throw this.failure(new Error('the response ended early'), exchange, request, 'stream');
          }
          complete = true;
          return;
        }
        consumerHolds = true;
        yield step.value;
        consumerHolds = false;
      }
    } finally {
      exchange.dispose();
      if (!complete) {
        // The consumer stopped at a yield (it had what it wanted, e.g. the final NDJSON line, and
        // the body's last bytes are still on their way): let the rest arrive briefly so the
        // connection goes back to the pool. Anything else failed: destroy the upstream request.
        if (consumerHolds && exchange.response !== null) {
          // detach the iterator (its 'readable' listener would keep `resume()` from flowing)
          await pieces?.return?.();
          drainThenRelease(exchange);
        } else {
          exchange.abort('done');
        }
      }
    }
  }

  /** Starts the request; resolves with the response once its head has arrived. */
  private send(request: HttpRequest, exchange: Exchange): Promise<IncomingMessage> {
    const origin = this.origin;
    if (typeof origin === 'string') {
      return Promise.reject(new Error(`${this.baseUrl} is ${origin}`));
    }
    const headers: OutgoingHttpHeaders = { accept: ACCEPT, ...this.init.headers, ...request.headers };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    } else if (request.method === 'POST') {
      headers['content-length'] = 0;
    }
    const options: RequestOptions = {
      method: request.method,
      hostname: origin.hostname,
      port: origin.port,
      path: `${origin.pathPrefix}${request.path}`,
      headers,
      agent: origin.secure ? HTTPS_AGENT : HTTP_AGENT,
      ...(origin.auth === undefined ? {} : { auth: origin.auth }),
    };
    return new Promise((resolve, reject) => {
      let req: ClientRequest;
      try {
        req = origin.secure ? httpsRequest(options) : httpRequest(options);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      exchange.request = req;
      exchange.interrupt = reject;
      // Stays for the request's whole life: errors after the response starts reach the response too.
      req.on('error', reject);
      req.once('response', (response: IncomingMessage) => {
        exchange.interrupt = null;
        exchange.response = response;
        resolve(response);
      });
      req.end(body);
    });
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
    exchange: Exchange,
    request: HttpRequest,
    phase: 'connect' | 'stream',
  ): AtmosphereError {
    if (err instanceof AtmosphereError) return err;
    const backend = this.init.backend;
    switch (exchange.cause) {
      case 'caller':
        return new AbortedError(`${backend} request aborted`, {
          cause: exchange.reason ?? err,
          details: this.details(request),
        });
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
    if (phase === 'connect') {
      const details = this.details(request, { reason: code });
      if ((code === 'ECONNRESET' || code === 'EPIPE') && exchange.request?.reusedSocket === true) {
        return new BackendUnavailableError(
          `${backend} at ${this.baseUrl} closed a kept-alive connection as it was reused, before answering (${code}); the request was not retried`,
          { cause: err, details: { ...details, reusedConnection: true } },
        );
      }
      if (code === null || CONNECT_ERROR_CODES.has(code)) {
        const why = code === 'ECONNREFUSED' ? 'connection refused' : (code ?? (err as Error).message);
        return new BackendUnavailableError(`${backend} is not reachable at ${this.baseUrl} (${why})`, {
          cause: err,
          details,
        });
      }
      return new BackendUnavailableError(`${backend} request to ${this.baseUrl} failed: ${String(err)}`, {
        cause: err,
        details,
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
