/**
 * A stand-in for a LlamaFarm server, speaking the shapes of LlamaFarm's API docs
 * (docs/website/docs/api) and server code: `GET /health` (`{status, summary, components, seeds,
 * timestamp}`), `GET /v1/projects/{namespace}` (`{total, projects: [{namespace, name, config}]}`),
 * `POST /v1/projects/{namespace}/{project}/chat/completions` (OpenAI's `chat.completion`, or SSE
 * `chat.completion.chunk` events ending with `data: [DONE]`). Errors are FastAPI's
 * `{"detail": "..."}` (404 for a missing namespace or project, 400 without a user message).
 *
 * Like the real server (server/api/routers/shared/response_utils.py), a stream that fails midway
 * still ends with `data: [DONE]` and the error is only logged: the client sees no finish chunk.
 * Streamed chunks carry no usage (LlamaFarm forwards none unless its runtime sends it).
 */
import type { ServerResponse } from 'node:http';
import type { DoubleKnobs, RecordedRequest } from './double-server.js';
import { DoubleServer } from './double-server.js';
import { completionBody, completionChunks, SSE_DONE } from './openai-double.js';

export interface LlamaFarmDoubleProject {
  readonly namespace: string;
  readonly name: string;
  /** The runtime model its config names. Default `llama3.2:3b`. */
  readonly model?: string;
  readonly description?: string;
}

export interface LlamaFarmDoubleInit extends Partial<DoubleKnobs> {
  readonly projects?: readonly LlamaFarmDoubleProject[];
  /** Namespaces that exist (with or without projects). Default: those of the projects. */
  readonly namespaces?: readonly string[];
  readonly healthStatus?: 'healthy' | 'degraded' | 'unhealthy';
}

export const LLAMAFARM_DOUBLE_PROJECTS: readonly LlamaFarmDoubleProject[] = [
  { namespace: 'default', name: 'chatbot', model: 'llama3.2:3b', description: 'General assistant' },
  { namespace: 'default', name: 'public-docs', model: 'qwen3:1.7b', description: 'Answers from the manuals' },
];

const PROJECTS_PATH = /^\/v1\/projects\/([^/]+)$/;
const CHAT_PATH = /^\/v1\/projects\/([^/]+)\/([^/]+)\/chat\/completions$/;

export class LlamaFarmDouble extends DoubleServer {
  projects: readonly LlamaFarmDoubleProject[];
  namespaces: readonly string[];
  healthStatus: 'healthy' | 'degraded' | 'unhealthy';
  private counter = 0;

  private constructor(init: LlamaFarmDoubleInit) {
    super(init);
    this.projects = init.projects ?? LLAMAFARM_DOUBLE_PROJECTS;
    this.namespaces = init.namespaces ?? [...new Set(this.projects.map((p) => p.namespace))];
    this.healthStatus = init.healthStatus ?? 'healthy';
  }

  static start(init: LlamaFarmDoubleInit = {}): Promise<LlamaFarmDouble> {
    return new LlamaFarmDouble(init).listen();
  }

  protected async handle(request: RecordedRequest, res: ServerResponse): Promise<void> {
    if (request.method === 'GET' && request.path === '/health') return this.health(res);
    const list = PROJECTS_PATH.exec(request.path);
    if (request.method === 'GET' && list !== null) return this.list(decodeURIComponent(list[1]!), res);
    const chat = CHAT_PATH.exec(request.path);
    if (request.method === 'POST' && chat !== null) {
      return this.chat(decodeURIComponent(chat[1]!), decodeURIComponent(chat[2]!), request, res);
    }
    return this.sendJson(res, 404, { detail: 'Not Found' });
  }

  private health(res: ServerResponse): void {
    const component = (name: string, status: string, message: string): Record<string, unknown> => ({
      name,
      status,
      message,
      latency_ms: 1,
    });
    const components = [
      component('server', 'healthy', 'FastAPI process responding'),
      component('storage', 'healthy', '/home/user/.llamafarm/projects exists and writable'),
      component(
        'ollama',
        this.healthStatus,
        `http://localhost:11434 ${this.healthStatus === 'healthy' ? 'reachable' : 'unreachable'}`,
      ),
      component('celery', 'healthy', '1 worker(s) responding'),
    ];
    this.sendJson(res, 200, {
      status: this.healthStatus,
      summary: components.map((c) => `${String(c.name)}=${String(c.status)}`).join(', '),
      components,
      seeds: [],
      timestamp: Math.floor(Date.now() / 1000),
    });
  }

  private config(p: LlamaFarmDoubleProject): Record<string, unknown> {
    return {
      version: 'v1',
      name: p.name,
      namespace: p.namespace,
      runtime: {
        models: [
          {
            name: 'default',
            provider: 'ollama',
            model: p.model ?? 'llama3.2:3b',
            base_url: 'http://localhost:11434/v1',
            default: true,
            ...(p.description === undefined ? {} : { description: p.description }),
          },
        ],
      },
      prompts: [{ name: 'default', messages: [{ role: 'system', content: 'You are a helpful assistant.' }] }],
    };
  }

  private list(namespace: string, res: ServerResponse): void {
    if (!this.namespaces.includes(namespace)) {
      return this.sendJson(res, 404, { detail: `Namespace ${namespace} not found` });
    }
    const projects = this.projects.filter((p) => p.namespace === namespace);
    this.sendJson(res, 200, {
      total: projects.length,
      projects: projects.map((p) => ({ namespace: p.namespace, name: p.name, config: this.config(p) })),
    });
  }

  private async chat(
    namespace: string,
    name: string,
    request: RecordedRequest,
    res: ServerResponse,
  ): Promise<void> {
    const project = this.projects.find((p) => p.namespace === namespace && p.name === name);
    if (project === undefined)
      return this.sendJson(res, 404, { detail: `Project ${namespace}/${name} not found` });
    const body = request.body as { messages?: unknown; stream?: unknown } | null;
    const messages = Array.isArray(body?.messages)
      ? (body.messages as { role?: unknown; content?: unknown }[])
      : [];
    if (!messages.some((m) => m.role === 'user' && typeof m.content === 'string' && m.content !== '')) {
      return this.sendJson(res, 400, { detail: 'No user message provided' });
    }
    await this.beforeAnswer();
    const failure = this.knobs.errorResponse;
    if (failure !== null) return this.sendJson(res, failure.status, { detail: failure.message });
    const reply = this.replyFor(request);
    const sessionId = `session-${++this.counter}`;
    const shape = {
      id: `chat-${sessionId}`,
      model: project.model ?? 'llama3.2:3b',
      created: Math.floor(Date.now() / 1000),
    };
    if (body?.stream !== true) {
      return this.sendJson(res, 200, completionBody(shape, reply), { 'x-session-id': sessionId });
    }
    const { chunks, tail } = completionChunks(shape, reply, { includeUsage: false, roleChunk: true });
    await this.stream(res, {
      contentType: 'text/event-stream; charset=utf-8',
      headers: { 'x-session-id': sessionId, 'x-accel-buffering': 'no' },
      chunks,
      tail,
      // LlamaFarm logs the error and still ends the stream with [DONE].
      errorTail: () => [SSE_DONE],
    });
  }
}
