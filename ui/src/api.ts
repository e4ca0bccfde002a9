/**
 * The panel's client of the node's HTTP API. The browser sends the httpOnly session cookie by
 * itself; state-changing requests also carry the session's CSRF token (read once from
 * `GET /api/ui/session`). Errors come back in OpenAI's envelope and are thrown as `ApiError`, whose
 * `param` names the bad field of a 400. Server-sent events are read from `fetch` bodies, so a POST
 * (the scan, a chat) can stream too.
 */

export const CSRF_HEADER = 'X-Atmosphere-CSRF';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A non-2xx answer from the node, with the stable `code` of the error behind it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param: string | null;

  constructor(status: number, code: string, message: string, param: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

export interface SseEvent {
  /** `message` when the frame names no event. */
  readonly event: string;
  readonly data: string;
  /** The frame's `id:` (sent back as `Last-Event-ID` to resume), when it has one. */
  readonly id?: string;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string; param?: string | null } };
    if (body.error?.message !== undefined) {
      return new ApiError(
        response.status,
        body.error.code ?? 'http_error',
        body.error.message,
        body.error.param ?? null,
      );
    }
  } catch {
    // not JSON: reported below with the status
  }
  return new ApiError(response.status, 'http_error', text.trim() || `HTTP ${response.status}`);
}

/** Parses a `text/event-stream` body into events, as they arrive. */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const onAbort = (): void => {
    reader.cancel().catch(() => undefined);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const parsed = parseFrame(frame);
        if (parsed !== null) yield parsed;
      }
    }
    const rest = parseFrame(buffer);
    if (rest !== null) yield rest;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

function parseFrame(frame: string): SseEvent | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  }
  if (data.length === 0) return null;
  return id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id };
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  readonly headers?: Record<string, string>;
}

/** The node's API as the panel uses it. */
export class PanelApi {
  private readonly fetchFn: FetchLike;
  private csrf: Promise<string> | null = null;

  constructor(components: { fetch: FetchLike }) {
    this.fetchFn = components.fetch;
  }

  private csrfToken(signal?: AbortSignal): Promise<string> {
    if (this.csrf === null) {
      this.csrf = this.json<{ csrfToken: string }>('GET', '/api/ui/session', { signal }).then(
        (s) => s.csrfToken,
        (err: unknown) => {
          this.csrf = null;
          throw err;
        },
      );
    }
    return this.csrf;
  }

  /** A raw response (2xx), for streams and receipt headers; errors are thrown as `ApiError`. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (UNSAFE_METHODS.has(method)) headers[CSRF_HEADER] = await this.csrfToken(options.signal);
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.fetchFn(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  get<T>(path: string, options: { signal?: AbortSignal } = {}): Promise<T> {
    return this.json<T>('GET', path, options);
  }

  /** A request answered with server-sent events. */
  async *stream(method: string, path: string, options: RequestOptions = {}): AsyncGenerator<SseEvent> {
    const response = await this.request(method, path, {
      ...options,
      headers: { ...options.headers, Accept: 'text/event-stream' },
    });
    if (response.body === null) return;
    yield* readSse(response.body, options.signal ? { signal: options.signal } : {});
  }
}

/** What an error says to the owner. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** An abort the panel itself caused (a page closed, a newer request) is not an error to show. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException
    ? err.name === 'AbortError'
    : err instanceof Error && err.name === 'AbortError';
}
