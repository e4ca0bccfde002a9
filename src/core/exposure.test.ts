import { describe, expect, it } from 'vitest';
import type { Capability } from './capability.js';
import { parseCapability } from './capability.js';
import type { ConfigInput, ResolvedConfig } from './config-schema.js';
import { configSchema } from './config-schema.js';
import {
  capabilityExposure,
  exposedToMeshes,
  gpuAllowedFor,
  gpuExposed,
  gpuPurposeOf,
  gpuPurposes,
  gpuSettingOf,
  hardwareUsedBy,
  modelVramBytes,
  sameGpuSetting,
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

  it('names the purpose the GPU is not exposed for in the refusal', () => {
    const hardware = config({ expose: { hardware: { gpu: { image_generation: false } } } }).expose.hardware;
    const painter = device('comfyui/sdxl', 'vision/generate');
    const d = vramDecision({
      modelBytes: GIB,
      gpuMemoryBytes: 24 * GIB,
      maxVramPercent: 80,
      gpuAllowed: gpuAllowedFor(hardware, painter),
      gpuPurpose: gpuPurposeOf(painter),
    });
    expect(d).toMatchObject({ allowed: false, rule: 'expose.hardware.gpu' });
    expect(d.reason).toBe(
      'the owner does not let mesh work use the GPU for image generation (expose.hardware.gpu)',
    );
    const chat = model('ollama', 'llama3.2:3b');
    expect(
      vramDecision({
        modelBytes: GIB,
        gpuMemoryBytes: 24 * GIB,
        maxVramPercent: 80,
        gpuAllowed: gpuAllowedFor(hardware, chat),
        gpuPurpose: gpuPurposeOf(chat),
      }),
    ).toMatchObject({ allowed: true, rule: 'limits.max_vram_percent' });
  });

  it('reads a GPU setting given as it is configured for the purpose of the work, inference by default', () => {
    const check = { modelBytes: GIB, gpuMemoryBytes: 24 * GIB, maxVramPercent: 80 };
    const noImages = { inference: true, training: true, image_generation: false };
    expect(vramDecision({ ...check, gpuAllowed: noImages })).toMatchObject({ allowed: true });
    expect(vramDecision({ ...check, gpuAllowed: noImages, gpuPurpose: 'image_generation' })).toMatchObject({
      allowed: false,
      rule: 'expose.hardware.gpu',
    });
    const noInference = vramDecision({ ...check, gpuAllowed: { ...noImages, inference: false } });
    expect(noInference).toMatchObject({ allowed: false, rule: 'expose.hardware.gpu' });
    expect(noInference.reason).toContain('use the GPU for inference');
    expect(vramDecision({ ...check, gpuAllowed: false }).reason).toBe(
      'the owner does not let mesh work use the GPU (expose.hardware.gpu)',
    );
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

describe('what the GPU is exposed for', () => {
  const chat = model('ollama', 'llama3.2:3b');
  const embed = parseCapability(
    { id: 'ollama/nomic-embed-text', type: 'llm/embed', metadata: { backend: 'ollama' } },
    { nodeId: NODE },
  );
  const painter = device('comfyui/sdxl', 'vision/generate', { hardware: 'gpu' });
  const trainer = parseCapability(
    { id: 'trainer/lora', type: 'llm/finetune', workType: 'training', metadata: { hardware: 'gpu' } },
    { nodeId: NODE },
  );
  const gpu = device('gpu/0', 'compute/gpu');

  it('maps image generation to vision/generate, training to the training work type, and the rest to inference', () => {
    expect(gpuPurposeOf(chat)).toBe('inference');
    expect(gpuPurposeOf(embed)).toBe('inference');
    expect(gpuPurposeOf(painter)).toBe('image_generation');
    expect(gpuPurposeOf({ type: 'vision/generate', workType: 'training' })).toBe('image_generation');
    expect(gpuPurposeOf(trainer)).toBe('training');
    // raw GPU compute is training work unless it says otherwise
    expect(gpuPurposeOf(gpu)).toBe('training');
    expect(gpuPurposeOf({ type: 'compute/gpu', workType: 'inference' })).toBe('inference');
  });

  it('reads true and false as every purpose and the object purpose by purpose', () => {
    const hw = (gpu: ConfigInput) => config(gpu).expose.hardware;
    const partial = hw({ expose: { hardware: { gpu: { training: false, image_generation: false } } } });
    expect(partial.gpu).toEqual({ inference: true, training: false, image_generation: false });
    expect([chat, trainer, painter].map((c) => gpuAllowedFor(partial, c))).toEqual([true, false, false]);
    expect([chat, trainer, painter].map((c) => gpuAllowedFor(hw({}), c))).toEqual([true, true, true]);
    const off = hw({ expose: { hardware: { gpu: false } } });
    expect([chat, trainer, painter].map((c) => gpuAllowedFor(off, c))).toEqual([false, false, false]);
  });

  it('turns purposes into the shortest setting and compares settings by what they allow', () => {
    expect(gpuSettingOf({ inference: true, training: true, image_generation: true })).toBe(true);
    expect(gpuSettingOf({ inference: false, training: false, image_generation: false })).toBe(false);
    expect(gpuSettingOf({ inference: true, training: false, image_generation: true })).toEqual({
      inference: true,
      training: false,
      image_generation: true,
    });
    expect(gpuPurposes(false)).toEqual({ inference: false, training: false, image_generation: false });
    const allOn = { inference: true, training: true, image_generation: true };
    expect(sameGpuSetting(true, allOn)).toBe(true);
    expect(sameGpuSetting(true, { ...allOn, training: false })).toBe(false);
    expect(gpuExposed({ inference: false, training: false, image_generation: true })).toBe(true);
    expect(gpuExposed({ inference: false, training: false, image_generation: false })).toBe(false);
  });

  it('gates capabilities that use the GPU by the purpose of their work', () => {
    const cfg = config({
      expose: {
        hardware: { gpu: { image_generation: false } },
        capabilities: { allow: ['comfyui/*', 'trainer/*'] },
      },
    });
    expect(exposed(cfg, painter)).toEqual([false, 'expose.hardware.gpu']);
    expect(exposed(cfg, trainer)).toEqual([true, 'expose.capabilities.allow']);
    expect(exposed(cfg, gpu)).toEqual([true, 'expose.hardware.gpu']);
    const inferenceOnly = config({
      expose: { hardware: { gpu: { training: false, image_generation: false } } },
    });
    expect(exposed(inferenceOnly, gpu)).toEqual([false, 'expose.hardware.gpu']);
    expect(exposed(inferenceOnly, trainer)).toEqual([false, 'expose.hardware.gpu']);
    expect(exposed(inferenceOnly, chat)).toEqual([true, 'expose.models.ollama']);
  });

  it('accepts the object form with every purpose defaulting to on, and rejects unknown purposes', () => {
    expect(config({ expose: { hardware: { gpu: {} } } }).expose.hardware.gpu).toEqual({
      inference: true,
      training: true,
      image_generation: true,
    });
    expect(config().expose.hardware.gpu).toBe(true);
    const typo = configSchema.safeParse({ expose: { hardware: { gpu: { trainng: false } } } });
    expect(typo.success).toBe(false);
    expect(typo.error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      path: ['expose', 'hardware', 'gpu'],
    });
    expect(configSchema.safeParse({ expose: { hardware: { gpu: 'inference' } } }).success).toBe(false);
  });
});
