/**
 * The well-known local AI and data services the scanner recognises, each with its default port(s)
 * and an HTTP **signature**: the requests to make and what the answer must look like. A service is
 * named by what it answers, never by its port alone — 8000, 8080 and 7860 are shared by many.
 *
 * How the table is used (see `port-probe.ts`): every open port is asked each request of every
 * service that lists that port (extra ports are asked every request of every service); the first
 * service in table order whose signature matches wins, so more specific services come first (e.g.
 * KoboldCpp imitates llama.cpp's `/props` and Ollama's API, so it is tried before both; the
 * generic OpenAI-compatible entry is last). All requests are plain `GET`s of read-only endpoints.
 *
 * Each signature names its source: the project's docs or the source file that serves the endpoint.
 * The same table maps container images (Docker) and unit names (systemd, launchd) to services.
 */

/** What a service is for; the scan report's `ServiceFinding.kind`. */
export type ServiceKind =
  | 'llm'
  | 'image-generation'
  | 'speech'
  | 'vector-db'
  | 'inference-server'
  | 'notebook'
  | 'home-automation'
  | 'chat-ui'
  | 'system';

/** One HTTP answer as a signature sees it (the body is cut at `MAX_SIGNATURE_BODY_BYTES`). */
export interface SignatureResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body parsed as JSON, or `undefined` when it is not (or not whole) JSON. */
  readonly json: unknown;
}

/** A matched answer; `version` when the answer tells it. */
export interface SignatureMatch {
  readonly version: string | null;
}

export interface SignatureCheck {
  /** Request path of a `GET` on the port. */
  readonly path: string;
  /** What the answer looks like, in words (for docs and evidence). */
  readonly expect: string;
  /** `null` when the answer is not this service's. */
  readonly match: (response: SignatureResponse) => SignatureMatch | null;
  /** Asked for details only (the version): the signature matches without it. */
  readonly optional?: boolean;
}

export interface HttpSignature {
  /** Every required check must match. */
  readonly checks: readonly SignatureCheck[];
  /** Where the endpoint and its answer are documented or implemented. */
  readonly source: string;
}

export interface KnownService {
  /** Stable id: `ollama`, `vllm`, `comfyui` ... (the finding's `id`). */
  readonly id: string;
  readonly name: string;
  readonly kind: ServiceKind;
  /** Default port(s) it listens on; the port scan checks these. */
  readonly ports: readonly number[];
  /** Any one of these identifies it. */
  readonly signatures: readonly HttpSignature[];
  /** Container image repositories (registry and tag removed, lower case) that run it. */
  readonly images: readonly RegExp[];
  /** systemd unit names (`ollama.service`) that run it. */
  readonly systemdUnits: readonly RegExp[];
  /** launchd job labels (`homebrew.mxcl.ollama`) that run it. */
  readonly launchdLabels: readonly RegExp[];
}

// ---- predicates over answers ------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function ok(response: SignatureResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/** The answer's JSON object, when it answered 2xx with one. */
function jsonObject(response: SignatureResponse): Json | null {
  return ok(response) && isObject(response.json) ? response.json : null;
}

/** `data` of an OpenAI-style list (`{"object": "list", "data": [...]}`), when it is one. */
function modelList(response: SignatureResponse): Json[] | null {
  const body = jsonObject(response);
  if (body === null || !Array.isArray(body.data)) return null;
  return body.data.every(isObject) ? body.data : null;
}

const found = (version: string | null = null): SignatureMatch => ({ version });

/** A check on a JSON object answer; `test` returns the version, `true` (no version) or false. */
function jsonCheck(
  path: string,
  expect: string,
  test: (body: Json) => string | boolean | null,
  options: { readonly optional?: boolean } = {},
): SignatureCheck {
  return {
    path,
    expect,
    ...options,
    match: (response) => {
      const body = jsonObject(response);
      if (body === null) return null;
      const result = test(body);
      if (result === false || result === null) return null;
      return found(result === true ? null : result);
    },
  };
}

/** An optional check that only reads a version from `{"version": "..."}` (or a JSON string). */
function versionCheck(path: string, expect = '{"version": "…"}'): SignatureCheck {
  return {
    path,
    expect,
    optional: true,
    match: (response) => {
      if (!ok(response)) return null;
      if (typeof response.json === 'string') return found(text(response.json));
      return isObject(response.json) ? found(text(response.json.version)) : null;
    },
  };
}

function bodyCheck(path: string, expect: string, test: (body: string) => boolean): SignatureCheck {
  return { path, expect, match: (response) => (ok(response) && test(response.body) ? found() : null) };
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `ollama.service`, `ollama-gpu.service`, `vllm@llama.service` for the token `ollama` / `vllm`. */
function units(...tokens: string[]): RegExp[] {
  return [new RegExp(`^(${tokens.map(escapeRegExp).join('|')})([-_@.][^/]*)?\\.service$`, 'i')];
}

/** Labels with the token as one dot-separated part: `homebrew.mxcl.ollama`, `com.ollama.ollama`. */
function labels(...tokens: string[]): RegExp[] {
  return [new RegExp(`(^|\\.)(${tokens.map(escapeRegExp).join('|')})(\\.|$)`, 'i')];
}

// ---- the table --------------------------------------------------------------------------------

const SERVICES: KnownService[] = [
  {
    id: 'koboldcpp',
    name: 'KoboldCpp',
    kind: 'llm',
    ports: [5001],
    signatures: [
      {
        checks: [
          jsonCheck('/api/extra/version', '{"result": "KoboldCpp", "version": "…"}', (b) =>
            b.result === 'KoboldCpp' ? (text(b.version) ?? true) : false,
          ),
        ],
        source: 'LostRuins/koboldcpp koboldcpp.py (do_GET /api/extra/version)',
      },
    ],
    images: [/koboldcpp/],
    systemdUnits: units('koboldcpp'),
    launchdLabels: labels('koboldcpp'),
  },
  {
    id: 'llama-cpp',
    name: 'llama.cpp server',
    kind: 'llm',
    ports: [8080],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/props',
            '{"default_generation_settings": {…}, "total_slots": n, "build_info": "…"}',
            (b) => (isObject(b.default_generation_settings) ? (text(b.build_info) ?? true) : false),
          ),
        ],
        source: 'ggml-org/llama.cpp tools/server/README.md (GET /props)',
      },
      {
        checks: [
          {
            path: '/v1/models',
            expect: '{"object": "list", "data": [{"owned_by": "llamacpp"}]}',
            match: (r) => (modelList(r)?.some((m) => m.owned_by === 'llamacpp') ? found() : null),
          },
        ],
        source: 'ggml-org/llama.cpp tools/server/README.md (GET /v1/models)',
      },
    ],
    images: [/(^|\/)llama\.cpp$/, /llama-cpp/, /llamacpp/],
    systemdUnits: units('llama-server', 'llama.cpp', 'llama-cpp', 'llamacpp'),
    launchdLabels: labels('llama-server', 'llama-cpp', 'llamacpp'),
  },
  {
    id: 'llamafarm',
    name: 'LlamaFarm',
    kind: 'llm',
    ports: [14345],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/health',
            '{"status": "healthy", "summary": "…", "components": [{"name", "status"}], "seeds": […]}',
            (b) =>
              typeof b.status === 'string' &&
              ['healthy', 'degraded', 'unhealthy'].includes(b.status) &&
              Array.isArray(b.components) &&
              b.components.every((c) => isObject(c) && typeof c.name === 'string') &&
              Array.isArray(b.seeds),
          ),
          versionCheck('/info', '{"version": "…", "data_directory": "…"}'),
        ],
        source: 'llama-farm/llamafarm server/services/health_service.py (health_summary)',
      },
      {
        checks: [
          jsonCheck('/info', '{"version": "…", "data_directory": "…"}', (b) =>
            typeof b.data_directory === 'string' ? (text(b.version) ?? true) : false,
          ),
        ],
        source: 'llama-farm/llamafarm server/api/main.py (GET /info)',
      },
    ],
    images: [/llamafarm/],
    systemdUnits: units('llamafarm'),
    launchdLabels: labels('llamafarm'),
  },
  {
    id: 'ollama',
    name: 'Ollama',
    kind: 'llm',
    ports: [11434],
    signatures: [
      {
        checks: [
          bodyCheck('/', '"Ollama is running"', (body) => body.trim() === 'Ollama is running'),
          versionCheck('/api/version'),
        ],
        source: 'ollama/ollama server/routes.go (GET / answers "Ollama is running")',
      },
      {
        checks: [
          jsonCheck('/api/version', '{"version": "…"} and nothing else', (b) =>
            Object.keys(b).length === 1 ? text(b.version) : false,
          ),
          jsonCheck('/api/tags', '{"models": […]}', (b) => Array.isArray(b.models)),
        ],
        source: 'ollama/ollama docs/api.md (GET /api/version, GET /api/tags)',
      },
    ],
    images: [/(^|\/)ollama$/],
    systemdUnits: units('ollama'),
    launchdLabels: labels('ollama'),
  },
  {
    id: 'lmstudio',
    name: 'LM Studio',
    kind: 'llm',
    ports: [1234],
    signatures: [
      {
        checks: [
          {
            path: '/api/v0/models',
            expect: '{"object": "list", "data": [{"type", "state", "compatibility_type" …}]}',
            match: (r) => {
              const body = jsonObject(r);
              const data = modelList(r);
              if (body?.object !== 'list' || data === null) return null;
              const lmStudioShaped = data.every(
                (m) => typeof m.type === 'string' && ('state' in m || 'compatibility_type' in m),
              );
              return lmStudioShaped ? found() : null;
            },
          },
        ],
        source: 'LM Studio docs, REST API v0 (GET /api/v0/models)',
      },
    ],
    images: [],
    systemdUnits: units('lmstudio', 'lm-studio'),
    launchdLabels: labels('lmstudio'),
  },
  {
    id: 'vllm',
    name: 'vLLM',
    kind: 'llm',
    ports: [8000],
    signatures: [
      {
        checks: [
          {
            path: '/v1/models',
            expect: '{"object": "list", "data": [{"owned_by": "vllm"}]}',
            match: (r) => (modelList(r)?.some((m) => m.owned_by === 'vllm') ? found() : null),
          },
          versionCheck('/version'),
        ],
        source: 'vllm-project/vllm vllm/entrypoints/openai/api_server.py (GET /version, GET /v1/models)',
      },
    ],
    images: [/(^|\/)vllm-openai$/, /(^|\/)vllm$/],
    systemdUnits: units('vllm'),
    launchdLabels: labels('vllm'),
  },
  {
    id: 'sglang',
    name: 'SGLang',
    kind: 'llm',
    ports: [30000],
    signatures: [
      {
        checks: [
          jsonCheck('/get_model_info', '{"model_path": "…", …}', (b) => typeof b.model_path === 'string'),
        ],
        source: 'sgl-project/sglang python/sglang/srt/entrypoints/http_server.py (GET /get_model_info)',
      },
    ],
    images: [/(^|\/)sglang$/],
    systemdUnits: units('sglang'),
    launchdLabels: labels('sglang'),
  },
  {
    id: 'tgi',
    name: 'Text Generation Inference',
    kind: 'llm',
    ports: [3000, 8080],
    signatures: [
      {
        checks: [
          jsonCheck('/info', '{"model_id": "…", "version": "…", "max_concurrent_requests": n, …}', (b) =>
            typeof b.model_id === 'string' &&
            ('max_concurrent_requests' in b || 'model_dtype' in b || 'max_input_tokens' in b)
              ? (text(b.version) ?? true)
              : false,
          ),
        ],
        source: 'huggingface/text-generation-inference router OpenAPI, Info schema (GET /info)',
      },
    ],
    images: [/text-generation-inference/],
    systemdUnits: units('text-generation-inference', 'tgi'),
    launchdLabels: labels('text-generation-inference'),
  },
  {
    id: 'triton',
    name: 'NVIDIA Triton Inference Server',
    kind: 'inference-server',
    ports: [8000],
    signatures: [
      {
        checks: [
          jsonCheck('/v2', '{"name": "triton", "version": "…", "extensions": […]}', (b) =>
            b.name === 'triton' && Array.isArray(b.extensions) ? (text(b.version) ?? true) : false,
          ),
        ],
        source: 'triton-inference-server/server docs/protocol (KServe v2 server metadata, GET /v2)',
      },
    ],
    images: [/tritonserver/],
    systemdUnits: units('tritonserver', 'triton'),
    launchdLabels: labels('tritonserver'),
  },
  {
    id: 'localai',
    name: 'LocalAI',
    kind: 'llm',
    ports: [8080],
    signatures: [
      {
        checks: [
          { path: '/readyz', expect: 'HTTP 200', match: (r) => (ok(r) ? found() : null) },
          jsonCheck('/system', '{"backends": […], "loaded_models": […]}', (b) => Array.isArray(b.backends)),
        ],
        source: 'mudler/LocalAI core/http/routes/health.go (/readyz), core/http/endpoints/localai/system.go',
      },
    ],
    images: [/local-?ai/],
    systemdUnits: units('localai', 'local-ai'),
    launchdLabels: labels('localai', 'local-ai'),
  },
  {
    id: 'tabby',
    name: 'Tabby',
    kind: 'llm',
    ports: [8080],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/v1/health',
            '{"device": "…", "cpu_info": "…", "version": {"git_describe": "…"}}',
            (b) =>
              typeof b.device === 'string' && typeof b.cpu_info === 'string' && isObject(b.version)
                ? (text(b.version.git_describe) ?? true)
                : false,
          ),
        ],
        source: 'TabbyML/tabby crates/tabby/src/services/health.rs (HealthState)',
      },
    ],
    images: [/tabbyml\/tabby/],
    systemdUnits: units('tabby'),
    launchdLabels: [],
  },
  {
    id: 'text-generation-webui',
    name: 'text-generation-webui',
    kind: 'llm',
    ports: [5000],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/v1/internal/model/info',
            '{"model_name": "…", "lora_names": […]}',
            (b) => typeof b.model_name === 'string' && Array.isArray(b.lora_names),
          ),
        ],
        source: 'oobabooga/text-generation-webui extensions/openai/script.py (GET /v1/internal/model/info)',
      },
    ],
    images: [/text-generation-webui/],
    systemdUnits: units('text-generation-webui', 'textgen'),
    launchdLabels: labels('text-generation-webui'),
  },
  {
    id: 'comfyui',
    name: 'ComfyUI',
    kind: 'image-generation',
    ports: [8188],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/system_stats',
            '{"system": {"os", "python_version", "comfyui_version"}, "devices": […]}',
            (b) =>
              isObject(b.system) && typeof b.system.python_version === 'string' && Array.isArray(b.devices)
                ? (text(b.system.comfyui_version) ?? true)
                : false,
          ),
        ],
        source: 'comfyanonymous/ComfyUI server.py (GET /system_stats)',
      },
    ],
    images: [/comfy-?ui/],
    systemdUnits: units('comfyui', 'comfy-ui', 'comfy'),
    launchdLabels: labels('comfyui'),
  },
  {
    id: 'automatic1111',
    name: 'Stable Diffusion web UI (AUTOMATIC1111)',
    kind: 'image-generation',
    ports: [7860],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/sdapi/v1/options',
            '{"sd_model_checkpoint": "…", …}',
            (b) => 'sd_model_checkpoint' in b,
          ),
        ],
        source: 'AUTOMATIC1111/stable-diffusion-webui modules/api/api.py (GET /sdapi/v1/options)',
      },
      {
        checks: [
          {
            path: '/sdapi/v1/sd-models',
            expect: '[{"title": "…", "model_name": "…", "hash", "filename"}]',
            match: (r) =>
              ok(r) &&
              Array.isArray(r.json) &&
              r.json.length > 0 &&
              r.json.every(
                (m) => isObject(m) && typeof m.title === 'string' && typeof m.model_name === 'string',
              )
                ? found()
                : null,
          },
        ],
        source: 'AUTOMATIC1111/stable-diffusion-webui modules/api/api.py (GET /sdapi/v1/sd-models)',
      },
    ],
    images: [/stable-diffusion-webui/, /automatic1111/, /sd-webui/],
    systemdUnits: units('stable-diffusion-webui', 'sd-webui', 'automatic1111', 'a1111'),
    launchdLabels: labels('stable-diffusion-webui', 'automatic1111'),
  },
  {
    id: 'whisper-asr-webservice',
    name: 'Whisper ASR Webservice',
    kind: 'speech',
    ports: [9000],
    signatures: [
      {
        checks: [
          {
            path: '/openapi.json',
            expect: '{"info": {"title": "Whisper Asr Webservice", "version": "…"}}',
            match: (r) => {
              const info = jsonObject(r)?.info;
              if (!isObject(info) || !/^whisper asr webservice$/i.test(text(info.title) ?? '')) return null;
              return found(text(info.version));
            },
          },
        ],
        source: 'ahmetoner/whisper-asr-webservice app/webservice.py (FastAPI title "Whisper Asr Webservice")',
      },
    ],
    images: [/whisper-asr-webservice/],
    systemdUnits: units('whisper-asr-webservice', 'whisper-asr'),
    launchdLabels: labels('whisper-asr-webservice'),
  },
  {
    id: 'whisper-cpp',
    name: 'whisper.cpp server',
    kind: 'speech',
    ports: [8080],
    signatures: [
      {
        checks: [
          bodyCheck('/', 'an HTML page titled "Whisper.cpp Server"', (body) =>
            /<title>\s*whisper\.cpp server\s*<\/title>/i.test(body),
          ),
        ],
        source: 'ggml-org/whisper.cpp examples/server/server.cpp (default index page)',
      },
    ],
    images: [/whisper\.cpp/, /whisper-cpp/],
    systemdUnits: units('whisper-server', 'whisper.cpp', 'whisper-cpp'),
    launchdLabels: labels('whisper-server', 'whisper-cpp'),
  },
  {
    id: 'whisper-server',
    name: 'Whisper speech-to-text server (OpenAI API)',
    kind: 'speech',
    ports: [8000],
    signatures: [
      {
        checks: [
          {
            path: '/openapi.json',
            expect: 'an OpenAPI document with /v1/audio/transcriptions and no /v1/chat/completions',
            match: (r) => {
              if (!ok(r)) return null;
              const doc = isObject(r.json) ? r.json : null;
              const paths = doc !== null && isObject(doc.paths) ? Object.keys(doc.paths) : null;
              const hasAudio = paths?.includes('/v1/audio/transcriptions') ?? false;
              const hasChat = paths?.includes('/v1/chat/completions') ?? false;
              if (!hasAudio || hasChat) return null;
              return found(isObject(doc?.info) ? text(doc.info.version) : null);
            },
          },
        ],
        source: 'speaches-ai/speaches (formerly fedirz/faster-whisper-server): FastAPI, OpenAI audio API',
      },
    ],
    images: [/faster-whisper-server/, /speaches/],
    systemdUnits: units('faster-whisper-server', 'speaches'),
    launchdLabels: labels('faster-whisper-server', 'speaches'),
  },
  {
    id: 'qdrant',
    name: 'Qdrant',
    kind: 'vector-db',
    ports: [6333],
    signatures: [
      {
        checks: [
          jsonCheck('/', '{"title": "qdrant - vector search engine", "version": "…"}', (b) =>
            /^qdrant\b/i.test(text(b.title) ?? '') ? (text(b.version) ?? true) : false,
          ),
        ],
        source: 'qdrant/qdrant src/actix/api/service_api.rs (GET / VersionInfo)',
      },
    ],
    images: [/(^|\/)qdrant$/],
    systemdUnits: units('qdrant'),
    launchdLabels: labels('qdrant'),
  },
  {
    id: 'chroma',
    name: 'Chroma',
    kind: 'vector-db',
    ports: [8000],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/api/v2/heartbeat',
            '{"nanosecond heartbeat": n}',
            (b) => typeof b['nanosecond heartbeat'] === 'number',
          ),
          versionCheck('/api/v2/version', '"1.0.0" (a JSON string)'),
        ],
        source: 'chroma-core/chroma chromadb/server/fastapi/__init__.py (v2 heartbeat, version)',
      },
      {
        checks: [
          jsonCheck(
            '/api/v1/heartbeat',
            '{"nanosecond heartbeat": n}',
            (b) => typeof b['nanosecond heartbeat'] === 'number',
          ),
          versionCheck('/api/v1/version', '"0.5.0" (a JSON string)'),
        ],
        source: 'chroma-core/chroma chromadb/server/fastapi/__init__.py (v1 heartbeat, version)',
      },
    ],
    images: [/(^|\/)chroma$/, /chromadb/],
    systemdUnits: units('chroma', 'chromadb'),
    launchdLabels: labels('chroma', 'chromadb'),
  },
  {
    id: 'weaviate',
    name: 'Weaviate',
    kind: 'vector-db',
    ports: [8080],
    signatures: [
      {
        checks: [
          jsonCheck('/v1/meta', '{"hostname": "…", "modules": {…}, "version": "…"}', (b) =>
            typeof b.hostname === 'string' && isObject(b.modules) ? (text(b.version) ?? true) : false,
          ),
        ],
        source: 'Weaviate docs, REST /v1/meta (docs.weaviate.io/deploy/configuration/meta)',
      },
    ],
    images: [/weaviate/],
    systemdUnits: units('weaviate'),
    launchdLabels: labels('weaviate'),
  },
  {
    id: 'jupyter',
    name: 'Jupyter Server',
    kind: 'notebook',
    ports: [8888],
    signatures: [
      {
        checks: [
          jsonCheck('/api', '{"version": "…"} and nothing else', (b) =>
            Object.keys(b).length === 1 ? text(b.version) : false,
          ),
        ],
        source: 'jupyter-server/jupyter_server jupyter_server/services/api/handlers.py (APIVersionHandler)',
      },
    ],
    images: [/jupyter/],
    systemdUnits: units('jupyter', 'jupyterlab', 'jupyterhub', 'jupyter-notebook'),
    launchdLabels: labels('jupyter', 'jupyterlab', 'jupyterhub'),
  },
  {
    id: 'home-assistant',
    name: 'Home Assistant',
    kind: 'home-automation',
    ports: [8123],
    signatures: [
      {
        checks: [
          jsonCheck(
            '/manifest.json',
            '{"name": "Home Assistant", "short_name": "Assistant", …}',
            (b) => b.name === 'Home Assistant',
          ),
        ],
        source: 'home-assistant/core homeassistant/components/frontend/__init__.py (MANIFEST_JSON)',
      },
    ],
    images: [/home-?assistant/],
    systemdUnits: units('home-assistant', 'homeassistant', 'hass'),
    launchdLabels: labels('home-assistant', 'homeassistant'),
  },
  {
    id: 'open-webui',
    name: 'Open WebUI',
    kind: 'chat-ui',
    ports: [3000, 8080],
    signatures: [
      {
        checks: [
          jsonCheck('/api/config', '{"status": true, "name": "Open WebUI", "version": "…"}', (b) =>
            b.status === true && /open webui/i.test(text(b.name) ?? '') ? (text(b.version) ?? true) : false,
          ),
        ],
        source:
          'open-webui/open-webui backend/open_webui/main.py (GET /api/config) and env.py (WEBUI_NAME always names "Open WebUI")',
      },
    ],
    images: [/open-webui/],
    systemdUnits: units('open-webui', 'openwebui'),
    launchdLabels: labels('open-webui'),
  },
  {
    // Not an AI service: macOS 12+ runs its AirPlay receiver on port 5000, which would otherwise be
    // reported as an unknown service on every Mac.
    id: 'airplay-receiver',
    name: 'AirPlay Receiver (macOS)',
    kind: 'system',
    ports: [5000],
    signatures: [
      {
        checks: [
          {
            path: '/',
            expect: 'any answer with a "Server: AirTunes/…" header',
            match: (r) => {
              const server = /^AirTunes\/(\S+)/i.exec(r.headers.server ?? '');
              return server === null ? null : found(server[1] ?? null);
            },
          },
        ],
        source:
          'Apple AirPlay receiver (AirTunes) protocol: every answer carries "Server: AirTunes/<version>"',
      },
    ],
    images: [],
    systemdUnits: [],
    launchdLabels: [],
  },
  {
    id: 'openai-compatible',
    name: 'OpenAI-compatible server',
    kind: 'llm',
    ports: [1337, 4891],
    signatures: [
      {
        checks: [
          {
            path: '/v1/models',
            expect: '{"object": "list", "data": [{"id": "…"}]}',
            match: (r) => {
              const data = modelList(r);
              return jsonObject(r)?.object === 'list' && data?.every((m) => typeof m.id === 'string')
                ? found()
                : null;
            },
          },
        ],
        source: 'OpenAI API reference, GET /v1/models (served by Jan, GPT4All, mlx-lm, LiteLLM ...)',
      },
    ],
    images: [],
    systemdUnits: [],
    launchdLabels: [],
  },
];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof RegExp) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** The known services, most specific first (read-only). */
export const KNOWN_SERVICES: readonly KnownService[] = deepFreeze(SERVICES);

/** Every port some known service listens on by default, ascending: what the port scan checks. */
export const DEFAULT_SERVICE_PORTS: readonly number[] = Object.freeze(
  [...new Set(SERVICES.flatMap((s) => s.ports))].sort((a, b) => a - b),
);

/** A plain description of one known service, for docs: which ports, which requests, the sources. */
export interface KnownServiceSummary {
  readonly id: string;
  readonly name: string;
  readonly kind: ServiceKind;
  readonly ports: readonly number[];
  /** One line per signature: `GET /api/version → {"version": "…"} + GET /api/tags → …`. */
  readonly signatures: readonly string[];
  readonly sources: readonly string[];
}

export function describeKnownServices(): KnownServiceSummary[] {
  return KNOWN_SERVICES.map((service) => ({
    id: service.id,
    name: service.name,
    kind: service.kind,
    ports: [...service.ports],
    signatures: service.signatures.map((signature) =>
      signature.checks
        .map((check) => `GET ${check.path} → ${check.expect}${check.optional ? ' (for the version)' : ''}`)
        .join(' + '),
    ),
    sources: service.signatures.map((signature) => signature.source),
  }));
}

/** `ghcr.io/open-webui/open-webui:main` → `ghcr.io/open-webui/open-webui`; `ollama` → `ollama`. */
export function imageRepository(image: string): string {
  let ref = image.trim().toLowerCase();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  return ref
    .replace(/^(docker\.io\/|index\.docker\.io\/|registry-1\.docker\.io\/)/, '')
    .replace(/^library\//, '');
}

/** The tag of an image reference, or null (`ollama/ollama:0.3.12` → `0.3.12`). */
export function imageTag(image: string): string | null {
  const ref = image.trim().split('@')[0] ?? '';
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > lastSlash ? ref.slice(colon + 1) : null;
}

export function serviceForImage(image: string): KnownService | null {
  const repo = imageRepository(image);
  return KNOWN_SERVICES.find((s) => s.images.some((pattern) => pattern.test(repo))) ?? null;
}

export function serviceForSystemdUnit(unit: string): KnownService | null {
  return KNOWN_SERVICES.find((s) => s.systemdUnits.some((pattern) => pattern.test(unit))) ?? null;
}

export function serviceForLaunchdLabel(label: string): KnownService | null {
  return KNOWN_SERVICES.find((s) => s.launchdLabels.some((pattern) => pattern.test(label))) ?? null;
}
