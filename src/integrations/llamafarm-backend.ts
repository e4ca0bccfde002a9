/**
 * LlamaFarm (https://github.com/llama-farm/llamafarm, docs/website/docs/api) behind
 * `InferenceBackend`. Each project is one model, id `namespace/project`, listed from
 * `GET /v1/projects/{namespace}` for each configured namespace (LlamaFarm lists projects per
 * namespace; `default` is the one `lf init` uses). Chat goes to the project's OpenAI-compatible
 * `POST /v1/projects/{namespace}/{project}/chat/completions` (SSE when streaming), stateless
 * (`X-No-Session`) because every request carries its whole conversation. Errors are FastAPI's
 * `{"detail": ...}`; a missing project is HTTP 404. LlamaFarm has no embedding endpoint on projects,
 * so this backend has no `embed`.
 */
import { z } from 'zod';
import type {
  BackendCallOptions,
  BackendHealth,
  BackendModel,
  ChatChunk,
  ChatRequest,
  ChatResult,
  Clock,
  InferenceBackend,
  Logger,
} from '../core/index.js';
import { BackendError, ModelNotFoundError } from '../core/index.js';
import type { BackendComponents } from './backend-support.js';
import {
  DEFAULT_INFERENCE_TIMEOUT_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  failedHealth,
} from './backend-support.js';
import { DEFAULT_LLAMAFARM_URL } from './backend-urls.js';
import { HttpClient, parseUpstream } from './http.js';
import { fromOpenAiCompletion, fromOpenAiStream, readErrorBody, toOpenAiChatBody } from './openai-wire.js';
import { sseEvents } from './stream-parsers.js';

export interface LlamaFarmBackendInit {
  /** Default `http://127.0.0.1:14345`. */
  readonly url?: string;
  /** Namespaces whose projects are offered. Default `["default"]`. */
  readonly namespaces?: readonly string[];
  /** Chat: whole request, or until a stream starts. Default 300 s. */
  readonly timeoutMs?: number;
  /** Health and project listing. Default 5 s. */
  readonly probeTimeoutMs?: number;
  /** Longest silence between streamed pieces. Default 120 s. */
  readonly streamIdleTimeoutMs?: number;
}

const healthSchema = z.object({
  status: z.string(),
  summary: z.string().nullish(),
});

/** The parts of a project's `llamafarm.yaml` used to describe it; anything else is ignored. */
const projectConfigSchema = z.object({
  runtime: z
    .object({
      provider: z.string().nullish(),
      model: z.string().nullish(),
      models: z
        .array(
          z.object({
            name: z.string().nullish(),
            provider: z.string().nullish(),
            model: z.string().nullish(),
            default: z.boolean().nullish(),
            description: z.string().nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});

const projectsSchema = z.object({
  projects: z.array(
    z.object({
      namespace: z.string().nullish(),
      name: z.string(),
      config: z.unknown(),
    }),
  ),
});

/** `namespace/project` → its parts; null if the id has another shape. */
export function parseProjectId(id: string): { namespace: string; project: string } | null {
  const match = /^([^/]+)\/([^/]+)$/.exec(id);
  return match === null ? null : { namespace: match[1]!, project: match[2]! };
}

function describeProject(id: string, config: unknown): string {
  const parsed = projectConfigSchema.safeParse(config);
  const runtime = parsed.success ? parsed.data.runtime : null;
  const chosen = runtime?.models?.find((m) => m.default === true) ?? runtime?.models?.[0];
  const model = chosen?.model ?? runtime?.model ?? null;
  const provider = chosen?.provider ?? runtime?.provider ?? null;
  const via = model === null ? '' : ` (model ${model}${provider === null ? '' : ` via ${provider}`})`;
  const extra = chosen?.description == null || chosen.description === '' ? '' : `: ${chosen.description}`;
  return `LlamaFarm project ${id}${via}${extra}`;
}

export class LlamaFarmBackend implements InferenceBackend {
  readonly kind = 'llamafarm' as const;
  readonly name = 'llamafarm';
  readonly url: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly http: HttpClient;
  private readonly namespaces: readonly string[];
  private readonly probeTimeoutMs: number;

  constructor(components: BackendComponents, init: LlamaFarmBackendInit = {}) {
    this.clock = components.clock;
    this.logger = components.logger.child('llamafarm');
    this.url = (init.url ?? DEFAULT_LLAMAFARM_URL).replace(/\/+$/, '');
    this.namespaces = init.namespaces ?? ['default'];
    this.probeTimeoutMs = init.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.http = new HttpClient(
      { logger: this.logger },
      {
        backend: this.name,
        baseUrl: this.url,
        timeoutMs: init.timeoutMs ?? DEFAULT_INFERENCE_TIMEOUT_MS,
        streamIdleTimeoutMs: init.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
        readErrorBody,
      },
    );
  }

  async health(options: BackendCallOptions = {}): Promise<BackendHealth> {
    const identity = { backend: this.name, kind: this.kind, url: this.url };
    const started = this.clock.now();
    try {
      const body = await this.http.json(
        { method: 'GET', path: '/health', timeoutMs: this.probeTimeoutMs },
        options,
      );
      const health = parseUpstream(healthSchema, body, this.name, '/health response');
      const ok = health.status === 'healthy';
      return {
        ...identity,
        // The server answers; `degraded` says one of its parts (worker, runtime) is not well.
        status: ok ? 'ok' : 'degraded',
        version: null,
        latencyMs: this.clock.now() - started,
        detail: ok
          ? null
          : `LlamaFarm reports ${health.status}${health.summary ? `: ${health.summary}` : ''}`,
        errorCode: null,
      };
    } catch (err) {
      return failedHealth(err, identity);
    }
  }

  async listModels(options: BackendCallOptions = {}): Promise<readonly BackendModel[]> {
    const lists = await Promise.all(this.namespaces.map((ns) => this.listNamespace(ns, options)));
    return lists.flat();
  }

  private async listNamespace(namespace: string, options: BackendCallOptions): Promise<BackendModel[]> {
    let body: unknown;
    try {
      body = await this.http.json(
        {
          method: 'GET',
          path: `/v1/projects/${encodeURIComponent(namespace)}`,
          timeoutMs: this.probeTimeoutMs,
        },
        options,
      );
    } catch (err) {
      // A 404 here means the namespace does not exist (yet): it has no projects.
      if (err instanceof BackendError && err.details.httpStatus === 404) {
        this.logger.debug({ namespace }, 'LlamaFarm namespace not found');
        return [];
      }
      throw err;
    }
    const { projects } = parseUpstream(projectsSchema, body, this.name, `/v1/projects/${namespace} response`);
    return projects.map((p) => {
      const id = `${p.namespace ?? namespace}/${p.name}`;
      return {
        id,
        name: p.name,
        kind: 'rag',
        features: [],
        family: null,
        parameterSize: null,
        quantization: null,
        sizeBytes: null,
        contextLength: null,
        loaded: null,
        vramBytes: null,
        description: describeProject(id, p.config),
        price: null,
      } satisfies BackendModel;
    });
  }

  private chatPath(model: string): string {
    const parsed = parseProjectId(model);
    if (parsed === null) {
      throw new ModelNotFoundError(
        `${this.name} models are projects named "namespace/project"; "${model}" is not one`,
        { details: { backend: this.name, model } },
      );
    }
    return `/v1/projects/${encodeURIComponent(parsed.namespace)}/${encodeURIComponent(parsed.project)}/chat/completions`;
  }

  private body(request: ChatRequest, stream: boolean): Record<string, unknown> {
    return toOpenAiChatBody(request, {
      stream,
      includeModel: false,
      streamUsage: false,
      maxTokensField: 'max_tokens',
    });
  }

  async chat(request: ChatRequest, options: BackendCallOptions = {}): Promise<ChatResult> {
    const body = await this.http.json(
      {
        method: 'POST',
        path: this.chatPath(request.model),
        body: this.body(request, false),
        headers: { 'x-no-session': 'true' },
        model: request.model,
      },
      options,
    );
    // LlamaFarm reports the runtime model it used; the caller asked for the project.
    return { ...fromOpenAiCompletion(body, this.name, request.model), model: request.model };
  }

  async *chatStream(request: ChatRequest, options: BackendCallOptions = {}): AsyncGenerator<ChatChunk> {
    const bytes = this.http.stream(
      {
        method: 'POST',
        path: this.chatPath(request.model),
        body: this.body(request, true),
        headers: { 'x-no-session': 'true' },
        model: request.model,
      },
      options,
    );
    yield* fromOpenAiStream(sseEvents(bytes), this.name);
  }
}
