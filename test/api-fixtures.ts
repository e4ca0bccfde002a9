/**
 * Shared fixtures for the HTTP API tests: an in-memory Store, a recording logger, a ready app, sign-in,
 * and a scripted `InferenceGateway` for the OpenAI-compatible API.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  BackendStreamInterruptedError,
  ManualClock,
  ModelNotFoundError,
  NoCapabilityError,
  silentLogger,
  tokenUsage,
} from '../src/core/index.js';
import type {
  AuditEntry,
  ChatChunk,
  ChatRequest,
  ChatResult,
  Clock,
  EmbedRequest,
  EmbedResult,
  GatewayCallOptions,
  InferenceGateway,
  Logger,
  MeshModel,
  RouteAttempt,
  RouteExplanation,
  RouteReceipt,
  Store,
} from '../src/core/index.js';
import { createApiApp } from '../src/api/index.js';
import { MemoryMeshState } from '../src/mesh/index.js';
import type {
  ApiApp,
  ApiInit,
  ErrorEnvelope,
  LoginTokenResponse,
  NodeStatusInfo,
  UiSessionResponse,
} from '../src/api/index.js';

export const OWNER_TOKEN = 'owner-token-for-tests-0123456789abcdef';
export const BEARER = { Authorization: `Bearer ${OWNER_TOKEN}` };
export const STARTED_AT_MS = Date.UTC(2025, 0, 1);

/** A Store that keeps audit entries and key/values in memory. */
export function memoryStore(): Store & { readonly entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  const kv = new Map<string, unknown>();
  return {
    entries,
    audit: {
      append(entry) {
        const full = { ...entry, id: entries.length + 1 };
        entries.push(full);
        return full;
      },
      query: () => [...entries].reverse(),
      prune: () => 0,
    },
    kv: {
      get: <T>(key: string) => kv.get(key) as T | undefined,
      set: (key, value) => {
        kv.set(key, value);
      },
      delete: (key) => kv.delete(key),
    },
    mesh: new MemoryMeshState(),
    // no cloud spend in these tests
    spend: { record: (entry) => ({ ...entry, id: 1 }), totals: () => [], sumUsd: () => 0 },
    schemaVersion: () => 1,
    close: () => {},
  };
}

export interface LoggedLine {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

/** A logger that appends every line to `lines`. */
export function recordingLogger(lines: LoggedLine[]): Logger {
  const at =
    (level: string) =>
    (a: string | Record<string, unknown>, b?: string): void => {
      lines.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b ?? '' });
    };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

export function testStatus(clock: ManualClock): NodeStatusInfo {
  return {
    nodeId: '12D3KooWTestNode',
    name: 'test-node',
    version: '0.1.0',
    commit: 'abc1234',
    state: 'started',
    running: true,
    pid: 4242,
    apiUrl: 'http://127.0.0.1:7470',
    uiUrl: 'http://127.0.0.1:7470/ui/',
    startedAt: new Date(STARTED_AT_MS).toISOString(),
    uptimeSeconds: Math.floor((clock.now() - STARTED_AT_MS) / 1000),
    meshes: [],
    peers: [],
  };
}

/** An app with a manual clock and a memory store; process metrics off unless `init` turns them on. */
export function setupApi(init: ApiInit = {}, options: { logger?: Logger } = {}) {
  const clock = new ManualClock(STARTED_AT_MS);
  const store = memoryStore();
  const api: ApiApp = createApiApp(
    {
      logger: options.logger ?? silentLogger(),
      clock,
      ownerToken: OWNER_TOKEN,
      status: () => testStatus(clock),
      store,
    },
    { collectProcessMetrics: false, ...init },
  );
  return { api, app: api.app, clock, store };
}

export async function errorOf(res: Response): Promise<ErrorEnvelope['error']> {
  const body = (await res.json()) as ErrorEnvelope;
  return body.error;
}

export function sessionCookieFrom(res: Response): string {
  const header = res.headers.get('set-cookie') ?? '';
  const match = /atmosphere_session=([^;]+)/.exec(header);
  if (!match?.[1]) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return `atmosphere_session=${match[1]}`;
}

/** The whole sign-in: the owner asks for a login token, the browser trades it for a cookie. */
export async function signIn(app: ApiApp['app']): Promise<{ cookie: string; csrfToken: string }> {
  const issued = (await (
    await app.request('/api/ui/login-tokens', { method: 'POST', headers: BEARER })
  ).json()) as LoginTokenResponse;
  const login = await app.request(`/ui/login?token=${issued.token}`);
  const cookie = sessionCookieFrom(login);
  const session = (await (
    await app.request('/api/ui/session', { headers: { Cookie: cookie } })
  ).json()) as UiSessionResponse;
  return { cookie, csrfToken: session.csrfToken };
}

// ---- a scripted InferenceGateway for the OpenAI-compatible API tests ------------------------------

/** The models the fake mesh offers: two nodes, one model on both. */
export const FAKE_MESH_MODELS: readonly MeshModel[] = [
  {
    id: 'llama3.2:3b',
    kind: 'chat',
    nodeId: '12D3KooWTestNode',
    nodeName: 'test-node',
    capabilityId: 'ollama/llama3.2:3b',
    local: true,
  },
  {
    id: 'qwen2.5-coder:7b',
    kind: 'chat',
    nodeId: '12D3KooWGpuBox',
    nodeName: 'gpu-box',
    capabilityId: 'ollama/qwen2.5-coder:7b',
    local: false,
  },
  {
    id: 'llama3.2:3b',
    kind: 'chat',
    nodeId: '12D3KooWGpuBox',
    nodeName: 'gpu-box',
    capabilityId: 'ollama/llama3.2:3b',
    local: false,
  },
  {
    id: 'default/camelids',
    kind: 'rag',
    nodeId: '12D3KooWGpuBox',
    nodeName: 'gpu-box',
    capabilityId: 'llamafarm/default/camelids',
    local: false,
  },
  {
    id: 'nomic-embed-text',
    kind: 'embed',
    nodeId: '12D3KooWTestNode',
    nodeName: 'test-node',
    capabilityId: 'ollama/nomic-embed-text',
    local: true,
  },
];

export interface GatewayCall {
  readonly method: 'chat' | 'chatStream' | 'embed';
  readonly request: ChatRequest | EmbedRequest;
  readonly options: GatewayCallOptions;
}

/** What a scripted stream did, for assertions on cancellation. */
export interface StreamProbe {
  /** Chunks handed out so far. */
  yielded: number;
  /** The generator's `finally` ran (it was finished, broken out of, or failed). */
  closed: boolean;
  /** The call's signal was aborted while the stream was running. */
  aborted: boolean;
}

/**
 * A chunk stream from a script: waits `delayMs` (or `gates[i]`) before chunk `i`, fails with
 * `failWith` after `failAfter` chunks, and honours the signal like a real backend does.
 */
export function scriptedStream(
  chunks: readonly ChatChunk[],
  options: {
    signal?: AbortSignal;
    delayMs?: number;
    gates?: ReadonlyMap<number, Promise<void>>;
    failAfter?: number;
    failWith?: Error;
    probe?: StreamProbe;
  } = {},
): AsyncIterable<ChatChunk> {
  const probe = options.probe ?? { yielded: 0, closed: false, aborted: false };
  const { signal } = options;
  const onAbort = (): void => {
    probe.aborted = true;
  };
  return (async function* () {
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (const [i, chunk] of chunks.entries()) {
        if (options.failAfter === i)
          throw options.failWith ?? new BackendStreamInterruptedError('scripted failure');
        const gate = options.gates?.get(i);
        if (gate !== undefined) await abortable(gate, signal);
        if (options.delayMs !== undefined && options.delayMs > 0)
          await delay(options.delayMs, undefined, { signal });
        signal?.throwIfAborted();
        probe.yielded += 1;
        yield chunk;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      probe.closed = true;
    }
  })();
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, reject);
  });
}

/**
 * An `InferenceGateway` that routes like the real one on the surface (`auto` → the first local chat
 * model, an explicit id → the node that has it, preferring this one, else `ModelNotFoundError`) and
 * answers from scripts the test sets. Every call is recorded with its options.
 */
export class FakeGateway implements InferenceGateway {
  readonly calls: GatewayCall[] = [];
  readonly explanations = new Map<string, RouteExplanation>();
  meshModels: readonly MeshModel[] = FAKE_MESH_MODELS;
  /** Thrown by the next call before anything runs (a routing failure). */
  failNext: Error | null = null;
  /** Nodes that failed before the serving one, reported in the receipt's attempts. */
  failedAttempts: RouteAttempt[] = [];
  chatReply: (request: ChatRequest) => ChatResult | Promise<ChatResult> = (request) => ({
    model: request.model,
    content: `echo: ${request.messages.at(-1)?.content ?? ''}`,
    reasoning: null,
    toolCalls: [],
    finishReason: 'stop',
    usage: tokenUsage(7, 3),
  });
  streamReply: (request: ChatRequest, signal: AbortSignal | undefined) => AsyncIterable<ChatChunk> = (
    _request,
    signal,
  ) =>
    scriptedStream(
      [{ content: 'Hel' }, { content: 'lo' }, { content: '', finishReason: 'stop', usage: tokenUsage(5, 2) }],
      { signal },
    );
  embedReply: (request: EmbedRequest) => EmbedResult | Promise<EmbedResult> = (request) => ({
    model: request.model,
    embeddings: request.input.map((text, i) => [text.length, i, 0.5]),
    promptTokens: request.input.length * 2,
  });
  private readonly clock: Clock;
  private routeCount = 0;

  constructor(components: { clock: Clock }) {
    this.clock = components.clock;
  }

  models(): readonly MeshModel[] {
    return this.meshModels;
  }

  async chat(
    request: ChatRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; result: ChatResult }> {
    this.calls.push({ method: 'chat', request, options });
    const { receipt, model } = this.route(request.model, 'chat', request.messages.at(-1)?.content ?? null);
    const result = await this.chatReply({ ...request, model });
    options.signal?.throwIfAborted();
    return { receipt, result };
  }

  async chatStream(
    request: ChatRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; stream: AsyncIterable<ChatChunk> }> {
    this.calls.push({ method: 'chatStream', request, options });
    const { receipt, model } = this.route(request.model, 'chat', request.messages.at(-1)?.content ?? null);
    // Like the real gateway: resolve only once the first chunk exists.
    const iterator = this.streamReply({ ...request, model }, options.signal)[Symbol.asyncIterator]();
    const first = await iterator.next();
    async function* rest(): AsyncGenerator<ChatChunk> {
      if (first.done === true) return;
      yield first.value;
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) return;
          yield next.value;
        }
      } finally {
        await iterator.return?.();
      }
    }
    return { receipt, stream: rest() };
  }

  async embed(
    request: EmbedRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; result: EmbedResult }> {
    this.calls.push({ method: 'embed', request, options });
    const { receipt, model } = this.route(request.model, 'embed', request.input[0] ?? null);
    const result = await this.embedReply({ ...request, model });
    options.signal?.throwIfAborted();
    return { receipt, result };
  }

  explain(routeId: string): RouteExplanation | undefined {
    return this.explanations.get(routeId);
  }

  private route(
    requested: string,
    kind: 'chat' | 'embed',
    intent: string | null,
  ): { receipt: RouteReceipt; model: string } {
    const failure = this.failNext;
    if (failure !== null) {
      this.failNext = null;
      throw failure;
    }
    const wantsKind = (m: MeshModel): boolean => (kind === 'embed' ? m.kind === 'embed' : m.kind !== 'embed');
    const candidates =
      requested === 'auto'
        ? this.meshModels.filter(wantsKind)
        : this.meshModels.filter((m) => m.id === requested);
    const chosen = candidates.find((m) => m.local) ?? candidates[0];
    if (chosen === undefined) {
      if (requested === 'auto') throw new NoCapabilityError(`no node in the mesh offers a ${kind} model`);
      throw new ModelNotFoundError(`no node in the mesh has the model "${requested}"`);
    }
    this.routeCount += 1;
    const receipt: RouteReceipt = {
      routeId: `rt_${this.routeCount}`,
      nodeId: chosen.nodeId,
      nodeName: chosen.nodeName,
      capabilityId: chosen.capabilityId,
      model: chosen.id,
      mode: requested === 'auto' ? 'auto' : 'explicit',
      attempts: [
        ...this.failedAttempts,
        { nodeId: chosen.nodeId, capabilityId: chosen.capabilityId, error: null },
      ],
    };
    this.explanations.set(receipt.routeId, {
      receipt,
      atMs: this.clock.now(),
      intent: requested === 'auto' ? intent : null,
      decision: { candidates: candidates.map((m) => ({ nodeId: m.nodeId, capabilityId: m.capabilityId })) },
    });
    return { receipt, model: chosen.id };
  }
}

/** An app whose `/v1/*` is served by a `FakeGateway` (same manual clock as the app). */
export function setupOpenAiApi(init: ApiInit = {}, options: { logger?: Logger } = {}) {
  const clock = new ManualClock(STARTED_AT_MS);
  const store = memoryStore();
  const gateway = new FakeGateway({ clock });
  const api: ApiApp = createApiApp(
    {
      logger: options.logger ?? silentLogger(),
      clock,
      ownerToken: OWNER_TOKEN,
      status: () => testStatus(clock),
      store,
      gateway,
    },
    { collectProcessMetrics: false, ...init },
  );
  return { api, app: api.app, clock, store, gateway };
}
