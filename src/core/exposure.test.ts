import { describe, expect, it } from 'vitest';
import type { Capability } from './capability.js';
import { parseCapability } from './capability.js';
import type { ConfigInput, ResolvedConfig } from './config-schema.js';
import { configSchema } from './config-schema.js';
import {
  capabilityExposure,
  exposedToMeshes,
  hardwareUsedBy,
  modelVramBytes,
  totalGpuMemoryBytes,
  vramDecision,
} from './exposure.js';

const NODE = '12D3KooWOwner';
const GIB = 1024 ** 3;

function config(input: ConfigInput = {}): ResolvedConfig {
  return configSchema.parse(input);
}

function model(backend: string, modelId: string, provider = backend): Capability {
  const prefix = backend === 'openai-compatible' ? provider : backend;
  return parseCapability(
    {
      id: `${prefix}/${modelId}`,
      type: 'llm/chat',
      metadata: { backend, provider, model: modelId, kind: 'chat' },
    },
    { nodeId: NODE },
  );
}

function device(id: string, type: string, metadata: Record<string, unknown> = {}): Capability {
  return parseCapability({ id, type, metadata }, { nodeId: NODE });
}

const exposed = (cfg: ResolvedConfig, cap: Capability): [boolean, string] => {
  const d = capabilityExposure(cfg, cap);
  return [d.exposed, d.rule];
};

describe('model globs', () => {
  it('exposes the Ollama models a glob like llama3.2:* names, and no others', () => {
    const cfg = config({ expose: { models: { ollama: ['llama3.2:*', 'qwen3:1.7b'] } } });
    expect(exposed(cfg, model('ollama', 'llama3.2:3b'))).toEqual([true, 'expose.models.ollama']);
    expect(exposed(cfg, model('ollama', 'llama3.2:latest'))).toEqual([true, 'expose.models.ollama']);
    expect(exposed(cfg, model('ollama', 'qwen3:1.7b'))).toEqual([true, 'expose.models.ollama']);
    expect(exposed(cfg, model('ollama', 'qwen3:8b'))).toEqual([false, 'expose.models.ollama']);
    expect(exposed(cfg, model('ollama', 'codellama:34b'))).toEqual([false, 'expose.models.ollama']);
    // the glob is anchored: a model that only contains the text does not match
    expect(exposed(cfg, model('ollama', 'tinyllama3.2:1b'))).toEqual([false, 'expose.models.ollama']);
  });

  it('exposes only public LlamaFarm projects with default/public-*', () => {
    const cfg = config({ expose: { models: { llamafarm: ['default/public-*'] } } });
    expect(exposed(cfg, model('llamafarm', 'default/public-faq'))).toEqual([true, 'expose.models.llamafarm']);
    expect(exposed(cfg, model('llamafarm', 'default/private-notes'))).toEqual([
      false,
      'expose.models.llamafarm',
    ]);
    expect(exposed(cfg, model('llamafarm', 'work/public-faq'))).toEqual([false, 'expose.models.llamafarm']);
  });

  it('keeps cloud models private unless listed, since they spend money', () => {
    expect(exposed(config(), model('openai-compatible', 'gpt-4o-mini', 'openai'))).toEqual([
      false,
      'expose.models.cloud',
    ]);
    const cfg = config({ expose: { models: { cloud: ['openai/gpt-4o-*'] } } });
    expect(exposed(cfg, model('openai-compatible', 'gpt-4o-mini', 'openai'))).toEqual([
      true,
      'expose.models.cloud',
    ]);
  });

  it('lets a deny glob win over every allowing rule', () => {
    const cfg = config({
      expose: {
        models: { ollama: ['*'] },
        capabilities: { allow: ['ollama/*'], deny: ['ollama/codellama:*'] },
      },
    });
    expect(exposed(cfg, model('ollama', 'codellama:7b'))).toEqual([false, 'expose.capabilities.deny']);
    expect(exposed(cfg, model('ollama', 'llama3.2:3b'))).toEqual([true, 'expose.capabilities.allow']);
  });

  it('hides everything a service serves when the owner turns the service off', () => {
    const cfg = config({ expose: { services: { ollama: false } } });
    expect(exposed(cfg, model('ollama', 'llama3.2:3b'))).toEqual([false, 'expose.services.ollama']);
  });
});

describe('hardware switches', () => {
  const mic = device('microphone/hw-1-0', 'audio/capture');
  const whisper = device('whisper/mic', 'audio/transcribe', { hardware: ['microphone'] });
  const fileWhisper = device('whisper/files', 'audio/transcribe');

  it('keeps the microphone and everything it feeds private when it is off', () => {
    const cfg = config({ expose: { capabilities: { allow: ['*'] } } });
    expect(exposed(cfg, mic)).toEqual([false, 'expose.hardware.microphone']);
    expect(exposed(cfg, whisper)).toEqual([false, 'expose.hardware.microphone']);
  });

  it('exposes transcription but not raw capture in whisper_only and transcription_only modes', () => {
    for (const mode of ['whisper_only', 'transcription_only'] as const) {
      const cfg = config({ expose: { hardware: { microphone: mode } } });
      expect(exposed(cfg, whisper)).toEqual([true, 'expose.hardware.microphone']);
      expect(exposed(cfg, mic)).toEqual([false, 'expose.hardware.microphone']);
      // allow cannot open raw capture past the mode
      const allowAll = config({
        expose: { hardware: { microphone: mode }, capabilities: { allow: ['microphone/*'] } },
      });
      expect(exposed(allowAll, mic)).toEqual([false, 'expose.hardware.microphone']);
    }
  });

  it('exposes capture and transcription when the microphone is on or always on', () => {
    for (const mode of [true, 'always_on'] as const) {
      const cfg = config({ expose: { hardware: { microphone: mode } } });
      expect(exposed(cfg, mic)).toEqual([true, 'expose.hardware.microphone']);
      expect(exposed(cfg, whisper)).toEqual([true, 'expose.hardware.microphone']);
    }
  });

  it('leaves transcription of files that never touches the microphone to the other rules', () => {
    expect(exposed(config(), fileWhisper)).toEqual([false, 'expose.capabilities.allow']);
    const cfg = config({ expose: { capabilities: { allow: ['whisper/*'] } } });
    expect(exposed(cfg, fileWhisper)).toEqual([true, 'expose.capabilities.allow']);
  });

  it('gates camera, speaker, location and screen capabilities by their switches', () => {
    const cases: [Capability, keyof ResolvedConfig['expose']['hardware']][] = [
      [device('camera/video0', 'sensor/camera'), 'camera'],
      [device('speaker/default', 'audio/playback'), 'speaker'],
      [device('gps/0', 'sensor/location'), 'location'],
      [device('screen/main', 'screen/capture'), 'screen'],
    ];
    for (const [cap, key] of cases) {
      expect(exposed(config({ expose: { capabilities: { allow: ['*'] } } }), cap)).toEqual([
        false,
        `expose.hardware.${key}`,
      ]);
      expect(exposed(config({ expose: { hardware: { [key]: true } } }), cap)).toEqual([
        true,
        `expose.hardware.${key}`,
      ]);
    }
  });

  it('does not let an allowed device open a capability that merely uses it', () => {
    const doorbell = device('doorbell/front', 'iot/doorbell', { hardware: 'camera' });
    expect(exposed(config({ expose: { hardware: { camera: true } } }), doorbell)).toEqual([
      false,
      'expose.capabilities.allow',
    ]);
    expect(exposed(config({ expose: { capabilities: { allow: ['doorbell/*'] } } }), doorbell)).toEqual([
      false,
      'expose.hardware.camera',
    ]);
  });

  it('reads the devices a capability uses from its type and metadata.hardware', () => {
    expect(
      hardwareUsedBy(device('x/1', 'audio/transcribe', { hardware: ['microphone', 'gpu', 'toaster'] })),
    ).toEqual(['gpu', 'microphone']);
    expect(hardwareUsedBy(device('x/2', 'iot/light'))).toEqual([]);
    expect(hardwareUsedBy(device('gpu/0', 'compute/gpu'))).toEqual(['gpu']);
  });

  it('exposes the GPU as a capability unless the owner turns it off', () => {
    const gpu = device('gpu/0', 'compute/gpu');
    expect(exposed(config(), gpu)).toEqual([true, 'expose.hardware.gpu']);
    expect(exposed(config({ expose: { hardware: { gpu: false } } }), gpu)).toEqual([
      false,
      'expose.hardware.gpu',
    ]);
  });
});

describe('allowed meshes', () => {
  const cap = model('ollama', 'llama3.2:3b');

  it('serves meshes matching an access.mesh_ids glob and refuses others, naming the rule', () => {
    const cfg = config({ access: { mesh_ids: ['mesh-family-*', 'mesh-work-abc123'] } });
    expect(exposedToMeshes(cfg, cap, ['mesh-family-xyz'])).toEqual({
      exposed: true,
      rule: 'expose.models.ollama',
    });
    expect(exposedToMeshes(cfg, cap, ['mesh-work-abc123'])).toEqual({
      exposed: true,
      rule: 'expose.models.ollama',
    });
    expect(exposedToMeshes(cfg, cap, ['mesh-work-abc1234'])).toEqual({
      exposed: false,
      rule: 'access.mesh_ids',
    });
    expect(exposedToMeshes(cfg, cap, ['mesh-other', 'mesh-family-1'])).toEqual({
      exposed: true,
      rule: 'expose.models.ollama',
    });
    expect(exposedToMeshes(cfg, cap, [])).toEqual({ exposed: false, rule: 'access.mesh_ids' });
  });

  it('reports the exposure rule before the mesh rule when the capability is private anyway', () => {
    const cfg = config({ expose: { models: { ollama: [] } }, access: { mesh_ids: [] } });
    expect(exposedToMeshes(cfg, cap, ['mesh-a'])).toEqual({ exposed: false, rule: 'expose.models.ollama' });
  });
});

describe('the VRAM cap', () => {
  it('refuses a model larger than max_vram_percent of the GPU, saying the numbers', () => {
    const d = vramDecision({
      modelBytes: 7 * GIB,
      gpuMemoryBytes: 8 * GIB,
      maxVramPercent: 80,
      gpuAllowed: true,
    });
    expect(d.allowed).toBe(false);
    expect(d.rule).toBe('limits.max_vram_percent');
    expect(d.limitBytes).toBe(Math.floor(8 * GIB * 0.8));
    expect(d.reason).toContain('7.0 GB');
    expect(d.reason).toContain('80% of 8.0 GB (6.4 GB)');
  });

  it('allows a model that fits, including one exactly at the limit', () => {
    expect(
      vramDecision({ modelBytes: 2 * GIB, gpuMemoryBytes: 8 * GIB, maxVramPercent: 80, gpuAllowed: true }),
    ).toMatchObject({ allowed: true, rule: 'limits.max_vram_percent' });
    expect(
      vramDecision({ modelBytes: 4 * GIB, gpuMemoryBytes: 8 * GIB, maxVramPercent: 50, gpuAllowed: true }),
    ).toMatchObject({ allowed: true });
  });

  it('does not refuse when no GPU memory is known, and says why', () => {
    const d = vramDecision({
      modelBytes: 70 * GIB,
      gpuMemoryBytes: null,
      maxVramPercent: 10,
      gpuAllowed: false,
    });
    expect(d).toMatchObject({ allowed: true, rule: null, limitBytes: null });
    expect(d.reason).toMatch(/no GPU memory is known/);
  });

  it('does not refuse a model of unknown size', () => {
    expect(
      vramDecision({ modelBytes: null, gpuMemoryBytes: 8 * GIB, maxVramPercent: 10, gpuAllowed: true }),
    ).toMatchObject({ allowed: true, rule: null });
  });

  it('refuses local model work on a GPU the owner keeps from the mesh', () => {
    expect(
      vramDecision({ modelBytes: GIB, gpuMemoryBytes: 24 * GIB, maxVramPercent: 80, gpuAllowed: false }),
    ).toMatchObject({ allowed: false, rule: 'expose.hardware.gpu' });
  });

  it('counts a loaded model by its GPU footprint and an unloaded one by its size', () => {
    expect(modelVramBytes({ sizeBytes: 2_000, loaded: true, vramBytes: 2_500 })).toBe(2_500);
    expect(modelVramBytes({ sizeBytes: 2_000, loaded: false, vramBytes: null })).toBe(2_000);
    expect(modelVramBytes({ sizeBytes: null, loaded: null, vramBytes: null })).toBeNull();
  });

  it('adds up the memory of every GPU whose memory is known', () => {
    expect(totalGpuMemoryBytes([{ vramBytes: 8 * GIB }, { vramBytes: null }, { vramBytes: 4 * GIB }])).toBe(
      12 * GIB,
    );
    expect(totalGpuMemoryBytes([{ vramBytes: null }])).toBeNull();
    expect(totalGpuMemoryBytes([])).toBeNull();
  });
});
