import { describe, expect, it } from 'vitest';
import type { CapabilityTestResult, HardwareReport, ModelFinding, ServiceFinding } from '../core/index.js';
import { candidateSchemaCheck, hardware, model } from './test-builders.js';
import { candidatesFor, estimatedRunBytes, recommendationsFor } from './candidates.js';

const GIB = 1024 ** 3;

function candidates(
  input: Partial<{
    hardware: HardwareReport;
    models: ModelFinding[];
    services: ServiceFinding[];
    tests: CapabilityTestResult[];
  }>,
) {
  const list = candidatesFor({ hardware: hardware(), models: [], services: [], tests: [], ...input });
  for (const c of list) candidateSchemaCheck(c);
  return list;
}

describe('candidatesFor', () => {
  it('recommends an Ollama chat model that fits, under the id the node announces it by', () => {
    const [c] = candidates({ models: [model({ id: 'llama3.2:3b', sizeBytes: 2 * GIB })] });
    expect(c).toMatchObject({
      id: 'ollama/llama3.2:3b',
      type: 'llm/chat',
      tools: ['chat', 'summarize'],
      recommended: true,
      test: 'untested',
    });
    expect(c?.reason).toContain('served by Ollama');
  });

  it('holds back a model too large for the biggest GPU and the RAM, and says how much it needs', () => {
    const [c] = candidates({
      hardware: hardware({ ramBytes: 16 * GIB }),
      models: [model({ id: 'llama3.1:70b', sizeBytes: 40 * GIB })],
    });
    expect(c?.recommended).toBe(false);
    expect(c?.reason).toMatch(
      /too large: needs about 46\.5 GB, the most this machine has is 16\.0 GB of RAM/,
    );
  });

  it('maps embedding models to llm/embed and LlamaFarm projects to rag', () => {
    const list = candidates({
      models: [
        model({ id: 'nomic-embed-text', kind: 'embedding' }),
        model({ source: 'llamafarm', id: 'default/docs', kind: 'rag' }),
      ],
    });
    expect(list.map((c) => [c.id, c.type, c.tools])).toEqual([
      ['ollama/nomic-embed-text', 'llm/embed', ['embed']],
      ['llamafarm/default/docs', 'rag', ['ask']],
    ]);
  });

  it('lists files on disk but does not recommend them, since nothing here serves them', () => {
    const [c] = candidates({
      models: [
        model({
          source: 'huggingface',
          id: 'openai/whisper-small',
          kind: 'speech-to-text',
          location: '/hf/models--openai--whisper-small',
        }),
      ],
    });
    expect(c).toMatchObject({
      id: 'huggingface/openai/whisper-small',
      type: 'audio/transcribe',
      recommended: false,
    });
    expect(c?.reason).toMatch(/nothing on this node serves it yet/);
  });

  it('keeps cameras, microphones and speakers private by default and never recommends them', () => {
    const hw = hardware();
    const list = candidates({
      hardware: {
        ...hw,
        cameras: [
          {
            id: '/dev/video0',
            name: 'C920',
            driver: 'uvcvideo',
            bus: 'usb',
            formats: ['MJPG'],
            maxWidth: 1920,
            maxHeight: 1080,
            source: 'v4l2-ctl',
          },
        ],
        microphones: [{ id: 'hw:1,0', name: 'Yeti', kind: 'microphone', source: 'alsa', isDefault: true }],
        speakers: [{ id: 'hw:0,0', name: 'HDA', kind: 'speaker', source: 'alsa', isDefault: true }],
      },
    });
    expect(list.map((c) => [c.id, c.type, c.privateByDefault, c.recommended])).toEqual([
      ['camera/video0', 'sensor/camera', true, false],
      ['microphone/hw:1,0', 'audio/capture', true, false],
      ['speaker/hw:0,0', 'audio/playback', true, false],
    ]);
  });

  it('recommends a GPU that can run something and says what', () => {
    const [gpu] = candidates({ hardware: hardware({ gpuVramBytes: 24 * GIB }) });
    expect(gpu).toMatchObject({ id: 'gpu/0', type: 'compute/gpu', recommended: true });
    expect(gpu?.reason).toContain('70B models (Q4)');
  });

  it('withdraws the recommendation of a candidate whose test failed and names the failure', () => {
    const [c] = candidates({
      models: [model({ id: 'llama3.2:3b' })],
      tests: [
        {
          id: 'generate:ollama/llama3.2:3b',
          label: 'one-token generation on llama3.2:3b',
          status: 'failed',
          reason: 'model not found',
          durationMs: 5,
          candidateId: 'ollama/llama3.2:3b',
        },
      ],
    });
    expect(c).toMatchObject({ recommended: false, test: 'failed' });
    expect(c?.reason).toBe('one-token generation on llama3.2:3b failed: model not found');
  });

  it('marks a candidate whose only test was skipped as skipped, not passed', () => {
    const [c] = candidates({
      models: [model({ id: 'big' })],
      tests: [
        {
          id: 'generate:ollama/big',
          label: 'x',
          status: 'skipped',
          reason: 'limit',
          durationMs: 0,
          candidateId: 'ollama/big',
        },
      ],
    });
    expect(c).toMatchObject({ test: 'skipped', recommended: true });
  });

  it('reports detected services without an integration as not recommended, and skips unknown ones', () => {
    const service = (id: string, kind: string): ServiceFinding => ({
      id,
      name: id,
      kind,
      source: 'port',
      url: 'http://127.0.0.1:8188',
      port: 8188,
      version: null,
      evidence: 'GET /system_stats',
    });
    const list = candidates({
      services: [
        service('comfyui', 'image-generation'),
        service('unknown', 'other'),
        service('ollama', 'llm'),
      ],
    });
    expect(list.map((c) => [c.id, c.type, c.recommended])).toEqual([
      ['service/comfyui', 'vision/generate', false],
    ]);
  });
});

describe('recommendationsFor', () => {
  it('groups recommended candidates by type with where they come from and how many were tested', () => {
    const list = candidates({
      models: [
        model({ id: 'a' }),
        model({ source: 'llamafarm', id: 'default/b', kind: 'chat' }),
        model({ id: 'e', kind: 'embedding' }),
      ],
      tests: [
        {
          id: 'generate:ollama/a',
          label: 'gen a',
          status: 'passed',
          reason: null,
          durationMs: 1,
          candidateId: 'ollama/a',
        },
      ],
    });
    expect(recommendationsFor(list)).toEqual([
      {
        type: 'llm/chat',
        via: ['Ollama', 'LlamaFarm'],
        candidateIds: ['ollama/a', 'llamafarm/default/b'],
        reason: '2 candidates that this node serves, 1 tested and working',
      },
      {
        type: 'llm/embed',
        via: ['Ollama'],
        candidateIds: ['ollama/e'],
        reason: '1 candidate that this node serves',
      },
    ]);
  });
});

describe('estimatedRunBytes', () => {
  it('adds about 15% and half a gigabyte to the weights', () => {
    expect(estimatedRunBytes(4 * GIB)).toBe(Math.round(4.6 * GIB + 0.5 * GIB));
  });
});
