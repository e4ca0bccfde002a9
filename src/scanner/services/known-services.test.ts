import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SERVICE_PORTS,
  KNOWN_SERVICES,
  describeKnownServices,
  imageRepository,
  imageTag,
  serviceForImage,
  serviceForLaunchdLabel,
  serviceForSystemdUnit,
} from './known-services.js';
import type { KnownService, SignatureResponse } from './known-services.js';

function answer(body: unknown, status = 200): SignatureResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { status, headers: {}, body: text, json };
}

function service(id: string): KnownService {
  const found = KNOWN_SERVICES.find((s) => s.id === id);
  if (found === undefined) throw new Error(`no known service ${id}`);
  return found;
}

/** The first service (table order) whose signature matches these answers, as the port scan decides. */
function identify(answers: Record<string, SignatureResponse>, port?: number): string | null {
  const candidates =
    port === undefined ? KNOWN_SERVICES : KNOWN_SERVICES.filter((s) => s.ports.includes(port));
  for (const s of candidates) {
    for (const signature of s.signatures) {
      const required = signature.checks.filter((c) => !c.optional);
      const all = required.every((c) => {
        const a = answers[c.path];
        return a !== undefined && c.match(a) !== null;
      });
      if (all) return s.id;
    }
  }
  return null;
}

const notFound = answer({ detail: 'Not Found' }, 404);

describe('the known-service table', () => {
  it('gives every service a unique id, at least one port and one signature with a source', () => {
    const ids = KNOWN_SERVICES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of KNOWN_SERVICES) {
      expect(s.ports.length, s.id).toBeGreaterThan(0);
      expect(s.signatures.length, s.id).toBeGreaterThan(0);
      for (const signature of s.signatures) {
        expect(signature.source.length, s.id).toBeGreaterThan(10);
        expect(
          signature.checks.some((c) => !c.optional),
          s.id,
        ).toBe(true);
      }
    }
  });

  it('checks the default ports of the services named in the seed', () => {
    for (const port of [11434, 14345, 8000, 1234, 8080, 8188, 7860, 6333, 8888, 8123, 9000]) {
      expect(DEFAULT_SERVICE_PORTS).toContain(port);
    }
  });

  it('cannot be changed by a caller', () => {
    expect(() => (KNOWN_SERVICES as KnownService[]).push(service('ollama'))).toThrow();
    expect(() => {
      (service('ollama').ports as number[])[0] = 1;
    }).toThrow();
  });

  it('describes each service for the docs with its requests and sources', () => {
    const ollama = describeKnownServices().find((s) => s.id === 'ollama');
    expect(ollama?.ports).toEqual([11434]);
    expect(ollama?.signatures.join('\n')).toContain('GET /api/version');
    expect(ollama?.sources.join('\n')).toContain('ollama/ollama');
  });
});

describe('HTTP signatures', () => {
  it('names Ollama by its root answer or by /api/version together with /api/tags', () => {
    expect(identify({ '/': answer('Ollama is running') }, 11434)).toBe('ollama');
    expect(
      identify({ '/api/version': answer({ version: '0.6.8' }), '/api/tags': answer({ models: [] }) }, 11434),
    ).toBe('ollama');
    // a {version} alone is not enough: many servers answer one
    expect(
      identify({ '/api/version': answer({ version: '0.6.8' }), '/api/tags': notFound }, 11434),
    ).toBeNull();
  });

  it('tells the services that share port 8000 apart by what they answer', () => {
    expect(
      identify({ '/v1/models': answer({ object: 'list', data: [{ id: 'qwen', owned_by: 'vllm' }] }) }, 8000),
    ).toBe('vllm');
    expect(
      identify(
        { '/v2': answer({ name: 'triton', version: '2.45.0', extensions: ['classification'] }) },
        8000,
      ),
    ).toBe('triton');
    expect(
      identify({ '/api/v2/heartbeat': answer({ 'nanosecond heartbeat': 1746177247000000000 }) }, 8000),
    ).toBe('chroma');
    expect(
      identify(
        {
          '/openapi.json': answer({
            openapi: '3.1.0',
            info: { title: 'x' },
            paths: { '/v1/audio/transcriptions': {} },
          }),
        },
        8000,
      ),
    ).toBe('whisper-server');
  });

  it('tells the services that share port 8080 apart by what they answer', () => {
    expect(
      identify({ '/props': answer({ default_generation_settings: { n_ctx: 4096 }, total_slots: 1 }) }, 8080),
    ).toBe('llama-cpp');
    expect(
      identify(
        { '/v1/meta': answer({ hostname: 'http://[::]:8080', modules: {}, version: '1.30.1' }) },
        8080,
      ),
    ).toBe('weaviate');
    expect(
      identify({ '/': answer('<html><head><title>Whisper.cpp Server</title></head></html>') }, 8080),
    ).toBe('whisper-cpp');
    expect(
      identify({ '/api/config': answer({ status: true, name: 'Open WebUI', version: '0.6.5' }) }, 8080),
    ).toBe('open-webui');
    expect(identify({ '/readyz': answer('OK'), '/system': answer({ backends: ['llama-cpp'] }) }, 8080)).toBe(
      'localai',
    );
  });

  it('prefers KoboldCpp over the APIs it imitates', () => {
    const kobold = {
      '/api/extra/version': answer({ result: 'KoboldCpp', version: '1.90' }),
      '/props': answer({ default_generation_settings: { n_ctx: 4096 } }),
      '/api/version': answer({ version: '0.6.4' }),
      '/api/tags': answer({ models: [] }),
    };
    expect(identify(kobold)).toBe('koboldcpp');
  });

  it('reads the version from the answer that tells it', () => {
    const check = service('qdrant').signatures[0]!.checks[0]!;
    expect(
      check.match(answer({ title: 'qdrant - vector search engine', version: '1.14.0', commit: 'abc' })),
    ).toEqual({
      version: '1.14.0',
    });
    const comfy = service('comfyui').signatures[0]!.checks[0]!;
    expect(
      comfy.match(
        answer({
          system: {
            os: 'posix',
            python_version: '3.12.3',
            comfyui_version: '0.3.30',
            embedded_python: false,
          },
          devices: [],
        }),
      ),
    ).toEqual({ version: '0.3.30' });
  });

  it('does not take an error page or an HTML catch-all for a service', () => {
    const spa = answer('<!doctype html><html><head><title>App</title></head><body></body></html>');
    const everyPath = Object.fromEntries(
      KNOWN_SERVICES.flatMap((s) => s.signatures.flatMap((g) => g.checks.map((c) => [c.path, spa]))),
    );
    expect(identify(everyPath)).toBeNull();
    const errors = Object.fromEntries(Object.keys(everyPath).map((p) => [p, notFound]));
    expect(identify(errors)).toBeNull();
  });

  it('recognises the macOS AirPlay receiver on port 5000 by its Server header, whatever it answers', () => {
    const forbidden: SignatureResponse = {
      status: 403,
      headers: { server: 'AirTunes/845.5.1' },
      body: '',
      json: undefined,
    };
    expect(identify({ '/': forbidden }, 5000)).toBe('airplay-receiver');
  });

  it('names a renamed Open WebUI by the suffix Open WebUI adds to a custom name', () => {
    expect(
      identify({ '/api/config': answer({ status: true, name: 'Family Chat (Open WebUI)' }) }, 3000),
    ).toBe('open-webui');
  });
});

describe('images, units and labels', () => {
  it('reduces an image reference to its repository and tag', () => {
    expect(imageRepository('ghcr.io/open-webui/open-webui:main')).toBe('ghcr.io/open-webui/open-webui');
    expect(imageRepository('docker.io/library/redis:7@sha256:abc')).toBe('redis');
    expect(imageRepository('localhost:5000/ollama/ollama')).toBe('localhost:5000/ollama/ollama');
    expect(imageTag('ollama/ollama:0.6.8')).toBe('0.6.8');
    expect(imageTag('localhost:5000/ollama/ollama')).toBeNull();
  });

  it('maps the images the services publish to their ids', () => {
    const cases: [string, string | null][] = [
      ['ollama/ollama:latest', 'ollama'],
      ['vllm/vllm-openai:v0.8.5', 'vllm'],
      ['qdrant/qdrant', 'qdrant'],
      ['chromadb/chroma:1.0.7', 'chroma'],
      ['ghcr.io/open-webui/open-webui:main', 'open-webui'],
      ['ghcr.io/ggml-org/llama.cpp:server-cuda', 'llama-cpp'],
      ['ghcr.io/huggingface/text-generation-inference:3.2', 'tgi'],
      ['nvcr.io/nvidia/tritonserver:25.03-py3', 'triton'],
      ['localai/localai:latest-aio-cpu', 'localai'],
      ['onerahmet/openai-whisper-asr-webservice:latest', 'whisper-asr-webservice'],
      ['homeassistant/home-assistant:stable', 'home-assistant'],
      ['quay.io/jupyter/base-notebook', 'jupyter'],
      ['postgres:16', null],
      ['nginx', null],
    ];
    for (const [image, id] of cases) expect(serviceForImage(image)?.id ?? null, image).toBe(id);
  });

  it('maps systemd units and launchd labels of the services to their ids', () => {
    expect(serviceForSystemdUnit('ollama.service')?.id).toBe('ollama');
    expect(serviceForSystemdUnit('vllm@qwen2.5-7b.service')?.id).toBe('vllm');
    expect(serviceForSystemdUnit('home-assistant@homeassistant.service')?.id).toBe('home-assistant');
    expect(serviceForSystemdUnit('ssh.service')).toBeNull();
    expect(serviceForSystemdUnit('ollama-not-a-service.socket')).toBeNull();
    expect(serviceForLaunchdLabel('homebrew.mxcl.ollama')?.id).toBe('ollama');
    expect(serviceForLaunchdLabel('application.ai.elementlabs.lmstudio.1.2')?.id).toBe('lmstudio');
    expect(serviceForLaunchdLabel('com.apple.Finder')).toBeNull();
  });
});
