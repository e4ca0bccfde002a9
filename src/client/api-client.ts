import { AtmosphereError, NodeNotRunningError, UnavailableError, toAtmosphereError } from '../core/errors.js';
import { errorFromHttp } from '../core/http-errors.js';
import type { HealthResponse, LoginTokenResponse, NodeStatusInfo } from '../core/index.js';
import type { HttpResponse, HttpResponseHeaders, HttpTransport } from './http-transport.js';
import { createNodeHttpTransport, fetchTransport, nodeHttpTransport } from './http-transport.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiClientInit {
  /** `http://127.0.0.1:7470` (a trailing slash is fine). */
  readonly baseUrl: string;
  /** The owner token, sent as `Authorization: Bearer`; needed for everything but `health()`. */
  readonly token?: string;
  /** A fetch to send requests with (tests pass one into an app); default `node:http`. */
  readonly fetch?: typeof fetch;
  /**
   * For an `https:` base URL: the node's certificate (PEM, `RuntimeState.apiCa`), trusted for this
   * client instead of the public roots. See `tlsOptions` in `http-transport.ts`.
   */
  readonly ca?: string;
}

/** Socket errors that mean nothing listens at the address. */
const NOT_LISTENING_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOENT', 'EADDRNOTAVAIL']);

function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors;
    e =
      Array.isArray(errors) && errors.length > 0 ? (errors[0] as unknown) : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A typed client for the local API, used by the CLI. Non-2xx answers become the matching
 * `AtmosphereError` subclass (see `errorFromHttp`); nobody listening becomes `NodeNotRunningError`.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly send: HttpTransport;

  constructor(init: ApiClientInit) {
    this.baseUrl = init.baseUrl.replace(/\/+$/, '');
    this.token = init.token;
    this.send =
      init.fetch !== undefined
        ? fetchTransport(init.fetch)
        : init.ca === undefined
          ? nodeHttpTransport
          : createNodeHttpTransport({ ca: init.ca });
  }

  health(options: { signal?: AbortSignal } = {}): Promise<HealthResponse> {
    return this.request<HealthResponse>('GET', '/health', options);
  }

  status(options: { signal?: AbortSignal } = {}): Promise<NodeStatusInfo> {
    return this.request<NodeStatusInfo>('GET', '/api/status', options);
  }

  /** A one-time link that signs a browser in to the web panel. */
  createLoginToken(options: { signal?: AbortSignal } = {}): Promise<LoginTokenResponse> {
    return this.request<LoginTokenResponse>('POST', '/api/ui/login-tokens', options);
  }

  /** Sends one request; resolves with the parsed JSON body (undefined for an empty one). */
  async request<T>(
    method: HttpMethod,
    path: string,
    options: { body?: unknown; signal?: AbortSignal } = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path.startsWith('/') ? path : `/${path}`}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }

    let response: HttpResponse;
    try {
      response = await this.send(url, { method, headers, body, signal: options.signal });
    } catch (err) {
      throw this.transportError(err);
    }

    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw this.transportError(err);
    }
    let parsed: unknown;
    let parseFailed = false;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parseFailed = true;
      }
    }
    if (!response.ok) throw errorFromHttp(response.status, parsed, { url });
    if (parseFailed) {
      throw new AtmosphereError(
        `the node at ${this.baseUrl} sent a response that is not JSON for ${method} ${path}`,
        {
          details: { url, status: response.status },
        },
      );
    }
    return parsed as T;
  }

  /**
   * Sends a request and yields the `data:` payloads of a server-sent event stream as they arrive
   * (`[DONE]` ends it). An `event: error` frame, or a non-2xx answer, throws the error it carries.
   */
  async *events(
    method: HttpMethod,
    path: string,
    options: { body?: unknown; signal?: AbortSignal } = {},
  ): AsyncGenerator<{ data: unknown; headers: HttpResponseHeaders }> {
    const url = `${this.baseUrl}${path.startsWith('/') ? path : `/${path}`}`;
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let response: HttpResponse;
    try {
      response = await this.send(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (err) {
      throw this.transportError(err);
    }
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => '');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      throw errorFromHttp(response.status, parsed, { url });
    }
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 'message';
    let data: string[] = [];
    try {
      for await (const bytes of response.body) {
        buffer += decoder.decode(bytes, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) !== -1) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          else if (line === '' && data.length > 0) {
            const text = data.join('\n');
            data = [];
            const kind = event;
            event = 'message';
            if (text === '[DONE]') return;
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
            if (kind === 'error') throw errorFromHttp(500, parsed, { url });
            yield { data: parsed, headers: response.headers };
          }
        }
      }
    } catch (err) {
      if (err instanceof AtmosphereError) throw err;
      throw this.transportError(err);
    }
  }

  private transportError(err: unknown): AtmosphereError {
    const code = causeCode(err);
    if (code !== undefined && NOT_LISTENING_CODES.has(code)) {
      return new NodeNotRunningError(`no node answering at ${this.baseUrl} (connection refused)`, {
        cause: err,
        details: { url: this.baseUrl, code },
      });
    }
    const e = toAtmosphereError(err);
    if (e.category !== 'internal') return e; // aborted or timed out
    return new UnavailableError(
      `cannot reach the node at ${this.baseUrl}: ${e.message}${code ? ` (${code})` : ''}`,
      {
        cause: err,
        details: { url: this.baseUrl, ...(code === undefined ? {} : { code }) },
      },
    );
  }
}
