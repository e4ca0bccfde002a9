/**
 * The plumbing the model-server doubles share: a real HTTP server on 127.0.0.1 (port 0), knobs
 * that script what it answers, a record of the requests it got, and counters that show whether a
 * client cancelled a stream (the connection closed before the stream's end). Each double
 * (`ollama-double.ts`, `llamafarm-double.ts`, `openai-double.ts`) speaks its server's real API
 * shapes on top of this; they exist because those servers cannot run on the test machines.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the double answers to an inference request. */
export interface DoubleReply {
  /** The answer's text pieces: one streamed chunk each, joined when not streaming. */
  readonly chunks: readonly string[];
  /** Tool calls the model makes (after the text). */
  readonly toolCalls?: readonly { readonly name: string; readonly arguments: Record<string, unknown> }[];
  /** Default `stop` (`tool_calls` when there are tool calls, for OpenAI-shaped servers). */
  readonly finishReason?: 'stop' | 'length';
  /** Default 7. */
  readonly promptTokens?: number;
  /** Default: the number of chunks. */
  readonly completionTokens?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text if it was not JSON (null when empty). */
  readonly body: unknown;
}

export interface DoubleKnobs {
  /** A fixed reply, or one computed from the request. */
  reply: DoubleReply | ((request: RecordedRequest) => DoubleReply);
  /** Pause before each streamed chunk. */
  chunkDelayMs: number;
  /** Pause before answering an inference request at all (before any header). */
  headerDelayMs: number;
  /** Break streams after this many content chunks: an error in the server's format, or a dropped connection. */
  failStream: {
    readonly afterChunks: number;
    readonly mode: 'error' | 'disconnect';
    readonly message: string;
  } | null;
  /** Answer inference requests with this HTTP error in the server's format. */
  errorResponse: { readonly status: number; readonly message: string } | null;
}

export interface StreamStats {
  started: number;
  /** Streams the double sent to their end. */
  completed: number;
  /** Streams whose client went away before the end. */
  aborted: number;
  /** Streams the double broke on purpose (`failStream`). */
  failed: number;
  /** Content chunks written, over all streams. */
  chunksSent: number;
}

export const DEFAULT_REPLY: DoubleReply = { chunks: ['Hello', ' from', ' the', ' double', '.'] };

/** One piece of a stream as the server writes it. */
export interface StreamPlan {
  readonly contentType: string;
  /** Written one at a time, with `chunkDelayMs` before each; `failStream` counts these. */
  readonly chunks: readonly string[];
  /** Written after the chunks (the final object, `[DONE]` ...). */
  readonly tail: readonly string[];
  /** What the server writes when it fails mid-stream with `message`. */
  readonly errorTail: (message: string) => readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export abstract class DoubleServer {
  knobs: DoubleKnobs;
  readonly requests: RecordedRequest[] = [];
  readonly stats: StreamStats = { started: 0, completed: 0, aborted: 0, failed: 0, chunksSent: 0 };
  private readonly server: Server;
  private abortWaiters: (() => void)[] = [];
  private baseUrl = '';

  protected constructor(knobs: Partial<DoubleKnobs> = {}) {
    this.knobs = {
      reply: DEFAULT_REPLY,
      chunkDelayMs: 0,
      headerDelayMs: 0,
      failStream: null,
      errorResponse: null,
      ...knobs,
    };
    this.server = createServer((req, res) => {
      this.receive(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.sendJson(res, 500, { error: String(err) });
        else res.destroy();
      });
    });
  }

  /** `http://127.0.0.1:<port>` (plus any path prefix the double's API puts in its base URL). */
  get url(): string {
    return this.baseUrl;
  }

  /** Path prefix of the API, e.g. `/v1` for OpenAI; part of `url`. */
  protected get basePath(): string {
    return '';
  }

  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}${this.basePath}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  set(knobs: Partial<DoubleKnobs>): void {
    this.knobs = { ...this.knobs, ...knobs };
  }

  /** Resolves when the next stream is cancelled by its client. */
  nextAbort(): Promise<void> {
    return new Promise((resolve) => this.abortWaiters.push(resolve));
  }

  /** Requests to paths that start with `prefix`. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  protected replyFor(request: RecordedRequest): DoubleReply {
    const { reply } = this.knobs;
    return typeof reply === 'function' ? reply(request) : reply;
  }

  protected abstract handle(request: RecordedRequest, res: ServerResponse): Promise<void>;

  protected sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(text);
  }

  protected sendText(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  /** Honours `headerDelayMs` before an inference answer. */
  protected async beforeAnswer(): Promise<void> {
    if (this.knobs.headerDelayMs > 0) await sleep(this.knobs.headerDelayMs);
  }

  /** Writes a stream piece by piece with the knobs' delays and failures; notices a client leaving. */
  protected async stream(res: ServerResponse, plan: StreamPlan): Promise<void> {
    this.stats.started++;
    res.writeHead(200, { 'content-type': plan.contentType, 'cache-control': 'no-cache', ...plan.headers });
    res.flushHeaders();
    let gone = false;
    let failing = false;
    res.on('close', () => {
      if (res.writableEnded || failing) return;
      gone = true;
      this.stats.aborted++;
      for (const wake of this.abortWaiters.splice(0)) wake();
    });
    const { failStream } = this.knobs;
    for (let i = 0; i < plan.chunks.length; i++) {
      if (this.knobs.chunkDelayMs > 0) await sleep(this.knobs.chunkDelayMs);
      if (gone) return;
      if (failStream !== null && i === failStream.afterChunks) {
        failing = true;
        this.stats.failed++;
        if (failStream.mode === 'disconnect') {
          res.socket?.destroy();
        } else {
          for (const piece of plan.errorTail(failStream.message)) res.write(piece);
          res.end();
        }
        return;
      }
      res.write(plan.chunks[i]);
      this.stats.chunksSent++;
    }
    if (gone) return;
    for (const piece of plan.tail) res.write(piece);
    res.end();
    this.stats.completed++;
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    const url = new URL(req.url ?? '/', 'http://double');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: req.headers,
      body,
    };
    this.requests.push(request);
    await this.handle(request, res);
  }
}

/** A URL on 127.0.0.1 where nothing listens (a port that was just freed). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A small deterministic vector for `text` (unit length), so embeddings can be compared. */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const v = Array.from({ length: dimensions }, (_, i) => {
    let h = 2166136261 ^ (i + 1);
    for (let c = 0; c < text.length; c++) h = Math.imul(h ^ text.charCodeAt(c), 16777619);
    return ((h >>> 0) % 2001) / 1000 - 1;
  });
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** The JSON text of a tool call's arguments split into two pieces, as streaming servers send them. */
export function splitArguments(args: Record<string, unknown>): [string, string] {
  const text = JSON.stringify(args);
  const half = Math.ceil(text.length / 2);
  return [text.slice(0, half), text.slice(half)];
}
