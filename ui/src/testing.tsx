/**
 * For the panel's component tests: a fake node behind `fetch` (a table of handlers by method and
 * path) and a render helper that provides the API. Every request is recorded.
 */
import type { ReactElement } from 'react';
import { configure, render } from '@testing-library/react';
import type { RenderResult } from '@testing-library/react';
import { PanelApi } from './api.js';
import { ApiContext } from './hooks.js';

// the machines tests run on are shared and busy: give `findBy…` more than the default second
configure({ asyncUtilTimeout: 5000 });

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A reply: a function of the request, or a fixed body (sent as JSON). */
export type Handler = ((request: RecordedRequest) => unknown) | object;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export function apiError(
  status: number,
  code: string,
  message: string,
  param: string | null = null,
): Response {
  return json({ error: { message, type: 'invalid_request_error', code, param } }, status);
}

/** A `text/event-stream` response whose frames arrive one by one. */
export function sse(frames: readonly string[], headers: Record<string, string> = {}): Response {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const frame = frames[i++];
      if (frame === undefined) controller.close();
      else controller.enqueue(encoder.encode(frame));
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', ...headers } });
}

export class FakeNode {
  readonly requests: RecordedRequest[] = [];
  private readonly handlers = new Map<string, Handler>();

  constructor(handlers: Record<string, Handler> = {}) {
    this.on('GET /api/ui/session', () => ({ csrfToken: 'csrf-1', expiresAt: '2030-01-01T00:00:00Z' }));
    for (const [key, handler] of Object.entries(handlers)) this.on(key, handler);
  }

  /** `'GET /api/scan'`; a path without a query also matches requests with one. */
  on(key: string, handler: Handler): this {
    this.handlers.set(key, handler);
    return this;
  }

  sent(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.split('?')[0] === path);
  }

  readonly fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const method = init.method ?? 'GET';
    const headers = Object.fromEntries(
      Object.entries((init.headers as Record<string, string> | undefined) ?? {}).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const request: RecordedRequest = { method, path: input, headers, body };
    this.requests.push(request);
    const handler =
      this.handlers.get(`${method} ${input}`) ?? this.handlers.get(`${method} ${input.split('?')[0]}`);
    if (handler === undefined) return apiError(404, 'not_found', `no route for ${method} ${input}`);
    const result: unknown =
      typeof handler === 'function' ? await (handler as (r: RecordedRequest) => unknown)(request) : handler;
    return result instanceof Response ? result : json(result);
  };
}

export function renderWithNode(node: FakeNode, element: ReactElement): RenderResult {
  const api = new PanelApi({ fetch: node.fetch });
  return render(<ApiContext.Provider value={api}>{element}</ApiContext.Provider>);
}
