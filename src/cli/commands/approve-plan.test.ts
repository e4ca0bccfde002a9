import { describe, expect, it } from 'vitest';
import type { ConfigInput, ResolvedConfig, ScanReport } from '../../core/index.js';
import { configSchema } from '../../core/index.js';
import { candidatesFor, recommendationsFor } from '../../scanner/index.js';
import { hardware, model } from '../../scanner/test-builders.js';
import type { ApprovalChoices, MatterDeviceInfo, PatternRule } from './approve-plan.js';
import {
  currentChoices,
  parseMatterDevices,
  withMatterCandidates,
  decideCandidate,
  planExposure,
  proposedChoices,
  recommendedChoices,
  summarizePlan,
  summaryLines,
} from './approve-plan.js';
import { exposureReport, formatExposureReport } from './approve-show.js';

const GIB = 1024 ** 3;

/** A scan of a GPU box with a camera, a microphone, Ollama and LlamaFarm models, a HF model and ComfyUI. */
function fixtureScan(): ScanReport {
  const hw = hardware({ gpuVramBytes: 24 * GIB, ramBytes: 64 * GIB });
  hw.cameras.push({
    id: '/dev/video0',
    name: 'Logitech C920',
    driver: 'uvcvideo',
    bus: 'usb',
    formats: ['MJPG'],
    maxWidth: 1920,
    maxHeight: 1080,
    source: 'v4l2-ctl',
  });
  hw.cameras.push({ ...hw.cameras[0]!, id: '/dev/video2', name: 'Integrated Camera' });
  hw.microphones.push({
    id: 'yeti',
    name: 'Blue Yeti',
    kind: 'microphone',
    source: 'pulseaudio',
    isDefault: true,
  });
  const models = [
    model({ id: 'llama3.2:3b' }),
    model({ id: 'llama3.2:1b' }),
    model({ id: 'qwen3:1.7b', family: 'qwen3' }),
    model({ id: 'codellama:34b', sizeBytes: 200 * GIB }),
    model({ source: 'llamafarm', id: 'default/public-faq', kind: 'rag', sizeBytes: null }),
    model({ source: 'llamafarm', id: 'default/private-notes', kind: 'rag', sizeBytes: null }),
    model({ source: 'huggingface', id: 'openai/whisper-small', kind: 'speech-to-text', location: '/hf' }),
  ];
  const services = [
    {
      id: 'comfyui',
      name: 'ComfyUI',
      kind: 'image-generation',
      source: 'port' as const,
      url: 'http://127.0.0.1:8188',
      port: 8188,
      version: null,
      evidence: 'GET /system_stats',
    },
  ];
  const candidates = candidatesFor({ hardware: hw, models, services, tests: [] });
  return {
    version: 1,
    scannedAtMs: Date.UTC(2025, 0, 2, 3, 4),
    durationMs: 120,
    platform: 'linux-x64',
    hostname: 'gpu-box',
    withTests: false,
    hardware: hw,
    models,
    services,
    tests: [],
    candidates,
    recommended: recommendationsFor(candidates),
    probes: [],
  };
}

/** A resolved config from a file's contents (what `resolveConfig` makes, without the I/O). */
function configOf(input: ConfigInput = {}): ResolvedConfig {
  const parsed = configSchema.parse(input);
  const { limits: _moved, ...expose } = parsed.expose;
  return { ...parsed, expose };
}

const scan = fixtureScan();
const byId = (id: string) => {
  const c = scan.candidates.find((x) => x.id === id);
  if (c === undefined) throw new Error(`no candidate ${id} in the fixture`);
  return c;
};

function plan(
  config: ResolvedConfig,
  choices: ApprovalChoices,
  patterns: PatternRule[] = [],
  fileInput: unknown = {},
) {
  return planExposure({ config, fileInput, scan, choices, patterns });
}

/** What a plan exposes, candidate by candidate, as the rules written decide it. */
function exposedIds(config: ResolvedConfig, result: ReturnType<typeof plan>): string[] {
  const after = { expose: result.expose, access: config.access };
  return scan.candidates.filter((c) => decideCandidate(after, c).exposed).map((c) => c.id);
}

function withCandidates(choices: ApprovalChoices, changes: Record<string, boolean>): ApprovalChoices {
  return { ...choices, candidates: { ...choices.candidates, ...changes } };
}

describe('deciding a candidate', () => {
  it('decides Ollama models with the rule the node enforces: model globs, a switched-off service, a deny', () => {
    const llama = byId('ollama/llama3.2:3b');
    expect(decideCandidate(configOf(), llama)).toEqual({ exposed: true, rule: 'expose.models.ollama' });
    expect(decideCandidate(configOf({ expose: { models: { ollama: ['qwen3:*'] } } }), llama)).toEqual({
      exposed: false,
      rule: 'expose.models.ollama',
    });
    expect(decideCandidate(configOf({ expose: { services: { ollama: false } } }), llama)).toEqual({
      exposed: false,
      rule: 'expose.services.ollama',
    });
    expect(
      decideCandidate(configOf({ expose: { capabilities: { deny: ['ollama/llama3.2:*'] } } }), llama),
    ).toEqual({ exposed: false, rule: 'expose.capabilities.deny' });
  });

  it('keeps devices private under the defaults and follows their expose.hardware switch', () => {
    const camera = byId('camera/video0');
    expect(decideCandidate(configOf(), camera)).toEqual({ exposed: false, rule: 'expose.hardware.camera' });
    expect(decideCandidate(configOf(), byId('gpu/0'))).toEqual({
      exposed: true,
      rule: 'expose.hardware.gpu',
    });
    const mic = byId('microphone/yeti');
    expect(decideCandidate(configOf({ expose: { hardware: { microphone: 'whisper_only' } } }), mic)).toEqual({
      exposed: true,
      rule: 'expose.hardware.microphone',
    });
  });

  it('matches model files against expose.models.huggingface and other findings against capabilities.allow', () => {
    const whisper = byId('huggingface/openai/whisper-small');
    expect(decideCandidate(configOf(), whisper).exposed).toBe(false);
    expect(decideCandidate(configOf({ expose: { models: { huggingface: ['openai/*'] } } }), whisper)).toEqual(
      {
        exposed: true,
        rule: 'expose.models.huggingface',
      },
    );
    const comfy = byId('service/comfyui');
    expect(decideCandidate(configOf(), comfy)).toEqual({ exposed: false, rule: 'expose.capabilities.allow' });
    expect(
      decideCandidate(configOf({ expose: { capabilities: { allow: ['service/*'] } } }), comfy).exposed,
    ).toBe(true);
  });
});

describe('starting choices', () => {
  it('recommends exactly what the scanner recommends and keeps camera, microphone, location and screen off', () => {
    const choices = recommendedChoices(
      configOf({ expose: { hardware: { camera: true, screen: true } } }),
      scan,
    );
    expect(choices.candidates).toMatchObject({
      'ollama/llama3.2:3b': true,
      'ollama/codellama:34b': false,
      'llamafarm/default/public-faq': true,
      'huggingface/openai/whisper-small': false,
      'service/comfyui': false,
      'gpu/0': true,
      'camera/video0': false,
      'microphone/yeti': false,
    });
    expect(choices.hardware).toEqual({
      gpu: { inference: true, training: true, image_generation: false },
      camera: false,
      microphone: false,
      speaker: false,
      location: false,
      screen: false,
    });
    expect(choices.maxVramPercent).toBe(80);
  });

  it('keeps what the config file says and proposes the recommendation where it says nothing', () => {
    const fileless = proposedChoices(configOf(), scan, [{}]);
    expect(fileless.candidates['ollama/codellama:34b']).toBe(false);
    expect(fileless.hardware.camera).toBe(false);

    const file: ConfigInput = {
      expose: { models: { ollama: ['*'] }, hardware: { camera: true, microphone: 'transcription_only' } },
      limits: { max_vram_percent: 60 },
    };
    const said = proposedChoices(configOf(file), scan, [file]);
    expect(said.candidates['ollama/codellama:34b']).toBe(true);
    expect(said.candidates['llamafarm/default/private-notes']).toBe(true);
    expect(said.hardware).toMatchObject({ camera: true, microphone: 'transcription_only' });
    expect(said.candidates['camera/video2']).toBe(true);
    expect(said.maxVramPercent).toBe(60);
  });
});

describe('planning the expose section', () => {
  it('hides a model a glob covers with an exact deny and keeps the glob for models pulled later', () => {
    const config = configOf({ expose: { models: { ollama: ['llama3.2:*', 'qwen3:1.7b'] } } });
    const result = plan(
      config,
      withCandidates(currentChoices(config, scan), { 'ollama/llama3.2:1b': false }),
    );
    expect(result.expose.models.ollama).toEqual(['llama3.2:*', 'qwen3:1.7b']);
    expect(result.expose.capabilities.deny).toEqual(['ollama/llama3.2:1b']);
    expect(exposedIds(config, result)).toContain('ollama/llama3.2:3b');
    expect(exposedIds(config, result)).not.toContain('ollama/llama3.2:1b');
  });

  it('removes an exact model entry instead of denying the model', () => {
    const config = configOf({ expose: { models: { ollama: ['llama3.2:*', 'qwen3:1.7b'] } } });
    const result = plan(config, withCandidates(currentChoices(config, scan), { 'ollama/qwen3:1.7b': false }));
    expect(result.expose.models.ollama).toEqual(['llama3.2:*']);
    expect(result.expose.capabilities.deny).toEqual([]);
  });

  it('exposes a model a deny glob hid by replacing the glob with exact denies for the others it hid', () => {
    const config = configOf({ expose: { capabilities: { deny: ['ollama/llama3.2:*'] } } });
    const result = plan(config, withCandidates(currentChoices(config, scan), { 'ollama/llama3.2:3b': true }));
    expect(result.expose.capabilities.deny).toEqual(['ollama/llama3.2:1b']);
    expect(exposedIds(config, result)).toContain('ollama/llama3.2:3b');
    expect(exposedIds(config, result)).not.toContain('ollama/llama3.2:1b');
  });

  it('exposes one model of a switched-off service through capabilities.allow, leaving its other models hidden', () => {
    const config = configOf({ expose: { services: { ollama: false } } });
    const result = plan(config, withCandidates(currentChoices(config, scan), { 'ollama/qwen3:1.7b': true }));
    expect(result.expose.services.ollama).toBe(false);
    expect(result.expose.capabilities.allow).toEqual(['ollama/qwen3:1.7b']);
    expect(exposedIds(config, result).filter((id) => id.startsWith('ollama/'))).toEqual([
      'ollama/qwen3:1.7b',
    ]);
  });

  it('changes nothing in effect when the choices are what is in effect', () => {
    const config = configOf({
      expose: {
        models: { ollama: ['llama3.2:*'], huggingface: ['openai/*'] },
        hardware: { camera: true },
        capabilities: { deny: ['camera/video2'], allow: ['service/*'] },
      },
    });
    const result = plan(config, currentChoices(config, scan));
    expect(result.expose).toEqual(config.expose);
    expect(result.limits).toBeUndefined();
  });

  it('writes --recommended as an exact deny for the model too large to run and private devices', () => {
    const config = configOf({ expose: { hardware: { camera: true } } });
    const result = plan(config, recommendedChoices(config, scan));
    expect(result.expose.capabilities.deny).toEqual(['ollama/codellama:34b']);
    expect(result.expose.hardware.camera).toBe(false);
    expect(exposedIds(config, result)).toEqual([
      'gpu/0',
      'ollama/llama3.2:3b',
      'ollama/llama3.2:1b',
      'ollama/qwen3:1.7b',
      'llamafarm/default/public-faq',
      'llamafarm/default/private-notes',
    ]);
  });

  it('writes --expose globs into the model lists and --deny globs into capabilities.deny', () => {
    const config = configOf({ expose: { models: { ollama: ['qwen3:*'], llamafarm: [] } } });
    const result = plan(config, currentChoices(config, scan), [
      { action: 'expose', pattern: 'ollama/llama3.2:*' },
      { action: 'expose', pattern: 'llamafarm/default/public-*' },
      { action: 'expose', pattern: 'huggingface/openai/*' },
      { action: 'deny', pattern: 'ollama/qwen3:*' },
    ]);
    expect(result.expose.models.ollama).toEqual(['llama3.2:*']);
    expect(result.expose.models.llamafarm).toEqual(['default/public-*']);
    expect(result.expose.models.huggingface).toEqual(['openai/*']);
    expect(result.expose.capabilities.deny).toEqual(['ollama/qwen3:*']);
    expect(exposedIds(config, result)).toEqual([
      'gpu/0',
      'ollama/llama3.2:3b',
      'ollama/llama3.2:1b',
      'llamafarm/default/public-faq',
      'huggingface/openai/whisper-small',
    ]);
    expect(result.notes).toEqual([]);
  });

  it('switches hardware kinds with their patterns and keeps a microphone mode already chosen', () => {
    const config = configOf({ expose: { hardware: { microphone: 'transcription_only' } } });
    const result = plan(config, currentChoices(config, scan), [
      { action: 'expose', pattern: 'camera/*' },
      { action: 'expose', pattern: 'microphone' },
      { action: 'deny', pattern: 'gpu/*' },
      { action: 'expose', pattern: 'location' },
    ]);
    expect(result.expose.hardware).toEqual({
      gpu: false,
      camera: true,
      microphone: 'transcription_only',
      speaker: false,
      location: true,
      screen: false,
    });
    expect(result.expose.capabilities).toEqual({ allow: [], deny: [] });
  });

  it('exposes one camera by switching cameras on and denying the camera it did not name', () => {
    const config = configOf();
    const result = plan(config, currentChoices(config, scan), [
      { action: 'expose', pattern: 'camera/video0' },
    ]);
    expect(result.expose.hardware.camera).toBe(true);
    expect(result.expose.capabilities.deny).toEqual(['camera/video2']);
  });

  it('lets a deny win over an expose of the same candidate', () => {
    const config = configOf({ expose: { capabilities: { allow: [] } } });
    const result = plan(config, currentChoices(config, scan), [
      { action: 'deny', pattern: 'service/comfyui' },
      { action: 'expose', pattern: 'service/*' },
    ]);
    expect(result.expose.capabilities.allow).toEqual(['service/*']);
    expect(exposedIds(config, result)).not.toContain('service/comfyui');
  });

  it('sets each match of a pattern without a source one by one, and keeps such a deny as a rule', () => {
    const config = configOf({ expose: { models: { ollama: [] } } });
    const exposed = plan(config, currentChoices(config, scan), [{ action: 'expose', pattern: '*llama3.2*' }]);
    expect(exposed.expose.models.ollama).toEqual(['llama3.2:3b', 'llama3.2:1b']);
    expect(exposed.expose.capabilities.allow).toEqual([]);

    const denied = plan(configOf(), currentChoices(configOf(), scan), [{ action: 'deny', pattern: '*' }]);
    expect(denied.expose.capabilities.deny).toEqual(['*']);
    expect(exposedIds(configOf(), denied)).toEqual([]);
    expect(denied.expose.hardware).toMatchObject({ gpu: false, camera: false, microphone: false });
  });

  it('notes patterns that match nothing in the scan and keeps them as rules', () => {
    const result = plan(
      configOf({ expose: { models: { ollama: ['llama3.2:*'] } } }),
      currentChoices(configOf(), scan),
      [
        { action: 'expose', pattern: 'ollama/mistral:7b' },
        { action: 'deny', pattern: 'service/vllm' },
      ],
    );
    expect(result.expose.models.ollama).toContain('mistral:7b');
    expect(result.expose.capabilities.deny).toEqual(['service/vllm']);
    expect(result.notes).toEqual([
      '--expose ollama/mistral:7b matches nothing in the last scan; it is kept as a rule for what appears later',
      '--deny service/vllm matches nothing in the last scan; it is kept as a rule for what appears later',
    ]);
  });

  it('writes limits only when the VRAM cap moves, and takes a deprecated expose.limits along', () => {
    const config = configOf({ limits: { max_concurrent: 2 } });
    const same = plan(config, currentChoices(config, scan), [], { limits: { max_concurrent: 2 } });
    expect(same.limits).toBeUndefined();
    const moved = plan(config, { ...currentChoices(config, scan), maxVramPercent: 60 }, [], {
      limits: { max_concurrent: 2 },
      expose: { limits: { off_battery_only: true } },
    });
    expect(moved.limits).toEqual({ off_battery_only: true, max_concurrent: 2, max_vram_percent: 60 });
    expect(moved.expose).not.toHaveProperty('limits');
  });
});

describe('the summary', () => {
  it('lists what will be exposed and kept private and marks what changes', () => {
    const config = configOf();
    const result = plan(
      config,
      withCandidates(
        {
          ...currentChoices(config, scan),
          maxVramPercent: 70,
          hardware: { ...config.expose.hardware, microphone: 'transcription_only' },
        },
        { 'ollama/qwen3:1.7b': false, 'microphone/yeti': true },
      ),
    );
    const summary = summarizePlan(config, result, scan);
    expect(summary.changes).toBe(3);
    const lines = summaryLines(summary);
    expect(lines).toContain('  qwen3:1.7b (was exposed)');
    expect(lines).toContain('  Microphone: Blue Yeti (transcription only) (was private)');
    expect(summary.exposed.find((e) => e.id === 'gpu/0')?.label).toBe(
      'GPU: NVIDIA GeForce RTX 4090 (24.0 GB) for inference, training and image generation, mesh work up to 70% of its memory',
    );
    expect(lines).toContain(`  ${summary.exposed.find((e) => e.id === 'gpu/0')?.label.slice(0, 97)}…`);
    expect(lines).toContain('  Location');
    expect(lines.at(-1)).toBe('GPU memory mesh work may use: 70% (was 80%)');
    expect(lines.indexOf('  Location')).toBeGreaterThan(
      lines.findIndex((l) => l.startsWith('Will keep private')),
    );
  });
});

describe('approve --show', () => {
  it('names the rule that decided each candidate and whether the owner set it', () => {
    const file: ConfigInput = { expose: { capabilities: { deny: ['ollama/codellama:*'] } } };
    const report = exposureReport({
      config: configOf(file),
      scan,
      explicitLayers: [file],
      configPath: '/h/config.yaml',
    });
    expect(report.candidates.find((c) => c.id === 'ollama/codellama:34b')).toMatchObject({
      exposed: false,
      rule: 'expose.capabilities.deny',
      explicit: true,
    });
    expect(report.candidates.find((c) => c.id === 'ollama/llama3.2:3b')).toMatchObject({
      exposed: true,
      rule: 'expose.models.ollama',
      explicit: false,
    });
    expect(report.hardware.find((h) => h.key === 'camera')).toMatchObject({
      exposed: false,
      devices: ['camera/video0', 'camera/video2'],
    });
    const text = formatExposureReport(report).join('\n');
    expect(text).toMatch(/private +ollama\/codellama:34b +expose\.capabilities\.deny\n/);
    expect(text).toMatch(/exposed +ollama\/llama3\.2:3b +expose\.models\.ollama \(default\)/);
    expect(text).toContain(
      'gpu: on for inference, training and image generation (mesh work up to 80% of VRAM) (default)',
    );
    expect(report.hardware.find((h) => h.key === 'gpu')).toMatchObject({
      setting: true,
      exposed: true,
      purposes: { inference: true, training: true, image_generation: true },
    });
    expect(report.hardware.find((h) => h.key === 'camera')?.purposes).toBeNull();
    expect(text).toContain('capabilities.deny: ollama/codellama:*');
    expect(text).toContain('Access: mesh_ids *');
  });

  it('shows the rules, limits and access without a scan', () => {
    const report = exposureReport({
      config: configOf(),
      scan: null,
      explicitLayers: [{}],
      configPath: '/h/c.yaml',
    });
    expect(report.candidates).toEqual([]);
    const text = formatExposureReport(report).join('\n');
    expect(text).toContain('No scan stored yet');
    expect(text).toContain('models.ollama: *');
    expect(text).toContain('Limits: max_concurrent 5');
    expect(text).not.toContain('none detected');
  });
});

describe('the GPU purposes', () => {
  const partial = { inference: true, training: false, image_generation: true } as const;

  it('exposes the GPU device while it is exposed for any purpose', () => {
    const gpu = byId('gpu/0');
    expect(decideCandidate(configOf({ expose: { hardware: { gpu: partial } } }), gpu)).toEqual({
      exposed: true,
      rule: 'expose.hardware.gpu',
    });
    const none = { inference: false, training: false, image_generation: false };
    expect(decideCandidate(configOf({ expose: { hardware: { gpu: none } } }), gpu).exposed).toBe(false);
  });

  it('keeps the purposes the file says, in either form, and proposes the recommendation where it says nothing', () => {
    const file: ConfigInput = { expose: { hardware: { gpu: { training: false } } } };
    expect(proposedChoices(configOf(file), scan, [file]).hardware.gpu).toEqual({
      inference: true,
      training: false,
      image_generation: true,
    });
    const all: ConfigInput = { expose: { hardware: { gpu: true } } };
    expect(proposedChoices(configOf(all), scan, [all]).hardware.gpu).toBe(true);
    expect(proposedChoices(configOf(), scan, [{}]).hardware.gpu).toEqual({
      inference: true,
      training: true,
      image_generation: false,
    });
    expect(currentChoices(configOf(file), scan).hardware.gpu).toEqual(configOf(file).expose.hardware.gpu);
  });

  it('writes the object only when some purposes are on and some off, else true or false', () => {
    const config = configOf();
    // the device follows the switch, as the checklist's choices have it
    const withGpu = (gpu: ApprovalChoices['hardware']['gpu']) =>
      plan(
        config,
        withCandidates(
          { ...currentChoices(config, scan), hardware: { ...config.expose.hardware, gpu } },
          { 'gpu/0': gpu !== false },
        ),
      );
    expect(withGpu(partial).expose.hardware.gpu).toEqual(partial);
    expect(withGpu(true).expose.hardware.gpu).toBe(true);
    expect(withGpu(false).expose.hardware.gpu).toBe(false);
    expect(exposedIds(config, withGpu(false))).not.toContain('gpu/0');
    expect(exposedIds(config, withGpu(partial))).toContain('gpu/0');
  });

  it('keeps the purposes when a pattern exposes the GPU again, and switches it off with a deny', () => {
    const config = configOf({ expose: { hardware: { gpu: partial } } });
    const kept = plan(config, currentChoices(config, scan), [{ action: 'expose', pattern: 'gpu/0' }]);
    expect(kept.expose.hardware.gpu).toEqual(partial);
    const denied = plan(config, currentChoices(config, scan), [{ action: 'deny', pattern: 'gpu' }]);
    expect(denied.expose.hardware.gpu).toBe(false);
    const off = configOf({ expose: { hardware: { gpu: false } } });
    const on = plan(off, currentChoices(off, scan), [{ action: 'expose', pattern: 'gpu/*' }]);
    expect(on.expose.hardware.gpu).toBe(true);
  });

  it('says what the GPU is exposed for in the summary and counts a change of purposes', () => {
    const config = configOf();
    const result = plan(config, {
      ...currentChoices(config, scan),
      hardware: {
        ...config.expose.hardware,
        gpu: { inference: true, training: true, image_generation: false },
      },
    });
    const summary = summarizePlan(config, result, scan);
    expect(summary.changes).toBe(1);
    expect(summary.exposed.find((e) => e.id === 'gpu/0')?.label).toBe(
      'GPU: NVIDIA GeForce RTX 4090 (24.0 GB) for inference and training (was for inference, training and image generation), mesh work up to 80% of its memory',
    );
  });

  it('prints the purposes with --show, and the purposes object in the JSON report', () => {
    const file: ConfigInput = { expose: { hardware: { gpu: partial } } };
    const report = exposureReport({
      config: configOf(file),
      scan,
      explicitLayers: [file],
      configPath: '/h/config.yaml',
    });
    expect(report.hardware.find((h) => h.key === 'gpu')).toMatchObject({
      setting: partial,
      exposed: true,
      explicit: true,
      purposes: partial,
    });
    expect(formatExposureReport(report)).toContain(
      '  gpu: on for inference and image generation (mesh work up to 80% of VRAM)',
    );
    const off = configOf({ expose: { hardware: { gpu: false } } });
    const offReport = exposureReport({ config: off, scan, explicitLayers: [{}], configPath: '/h/c.yaml' });
    expect(formatExposureReport(offReport)).toContain('  gpu: off (default)');
  });
});

describe('Matter devices in the approval', () => {
  const devices: MatterDeviceInfo[] = [
    {
      id: 'peer3',
      label: 'Kitchen light',
      room: 'kitchen',
      vendor: 'Acme',
      product: 'Bulb',
      capabilities: [
        { id: 'matter/kitchen-light-peer3', type: 'iot/light', tools: ['on', 'off'], triggers: [] },
      ],
    },
    {
      id: 'peer4',
      label: 'Front door',
      room: null,
      vendor: null,
      product: 'Lock',
      capabilities: [
        { id: 'matter/front-door-peer4', type: 'iot/lock', tools: ['lock'], triggers: ['tamper'] },
      ],
    },
  ];
  const merged = withMatterCandidates(scan, devices)!;
  const planWith = (config: ResolvedConfig, choices: ApprovalChoices, patterns: PatternRule[] = []) =>
    planExposure({ config, fileInput: {}, scan: merged, choices, patterns });

  it('reads the devices of GET /api/matter/devices, leaving out entries without an id', () => {
    const parsed = parseMatterDevices({
      enabled: true,
      devices: [
        {
          id: 'peer3',
          label: 'Kitchen light',
          room: 'kitchen',
          vendor: 'Acme',
          product: 'Bulb',
          state: 'online',
          capabilities: [{ id: 'matter/kitchen-light-peer3', type: 'iot/light', endpoint: 1, tools: ['on'] }],
        },
        { label: 'no id' },
      ],
    });
    expect(parsed.enabled).toBe(true);
    expect(parsed.devices).toEqual([
      {
        id: 'peer3',
        label: 'Kitchen light',
        room: 'kitchen',
        vendor: 'Acme',
        product: 'Bulb',
        capabilities: [{ id: 'matter/kitchen-light-peer3', type: 'iot/light', tools: ['on'], triggers: [] }],
      },
    ]);
    expect(() => parseMatterDevices({ devices: [] })).toThrow(/enabled, devices/);
  });

  it('keeps the devices private by default and exposes them where the owner already allowed them', () => {
    const fresh = configOf();
    expect(currentChoices(fresh, merged).candidates['matter/kitchen-light-peer3']).toBe(false);
    expect(proposedChoices(fresh, merged, [{}]).candidates['matter/front-door-peer4']).toBe(false);
    const allowed = configOf({ expose: { capabilities: { allow: ['matter/kitchen-*'] } } });
    const layers = [{ expose: { capabilities: { allow: ['matter/kitchen-*'] } } }];
    const proposal = proposedChoices(allowed, merged, layers);
    expect(proposal.candidates['matter/kitchen-light-peer3']).toBe(true);
    expect(proposal.candidates['matter/front-door-peer4']).toBe(false);
    expect(recommendedChoices(allowed, merged).candidates['matter/kitchen-light-peer3']).toBe(false);
  });

  it('writes a device the owner turns on as an exact allow entry, and off again by removing it', () => {
    const config = configOf();
    const on = planWith(config, {
      ...currentChoices(config, merged),
      candidates: { ...currentChoices(config, merged).candidates, 'matter/front-door-peer4': true },
    });
    expect(on.expose.capabilities).toEqual({ allow: ['matter/front-door-peer4'], deny: [] });
    const after = configOf({ expose: { capabilities: on.expose.capabilities } });
    const off = planWith(after, {
      ...currentChoices(after, merged),
      candidates: { ...currentChoices(after, merged).candidates, 'matter/front-door-peer4': false },
    });
    expect(off.expose.capabilities).toEqual({ allow: [], deny: [] });
  });

  it('keeps the owner glob and denies one device by exact id when only that one is turned off', () => {
    const config = configOf({ expose: { capabilities: { allow: ['matter/*'] } } });
    const choices = currentChoices(config, merged);
    const p = planWith(config, {
      ...choices,
      candidates: { ...choices.candidates, 'matter/kitchen-light-peer3': false },
    });
    expect(p.expose.capabilities).toEqual({ allow: ['matter/*'], deny: ['matter/kitchen-light-peer3'] });
    expect(p.choices.candidates['matter/front-door-peer4']).toBe(true);
  });

  it("writes --expose 'matter/*' and --deny as globs, with or without devices listed", () => {
    const config = configOf();
    const exposed = planWith(config, currentChoices(config, merged), [
      { action: 'expose', pattern: 'matter/*' },
    ]);
    expect(exposed.expose.capabilities).toEqual({ allow: ['matter/*'], deny: [] });
    expect(exposed.choices.candidates['matter/kitchen-light-peer3']).toBe(true);
    expect(exposed.notes).toEqual([]);

    const allowAll = configOf({ expose: { capabilities: { allow: ['matter/*'] } } });
    const denied = planWith(allowAll, currentChoices(allowAll, merged), [
      { action: 'deny', pattern: 'matter/front-*' },
    ]);
    expect(denied.expose.capabilities).toEqual({ allow: ['matter/*'], deny: ['matter/front-*'] });
    expect(denied.choices.candidates).toMatchObject({
      'matter/kitchen-light-peer3': true,
      'matter/front-door-peer4': false,
    });

    // no node running: nothing to match, the glob is kept for the devices that appear later
    const blind = planExposure({
      config,
      fileInput: {},
      scan,
      choices: currentChoices(config, scan),
      patterns: [{ action: 'expose', pattern: 'matter/*' }],
    });
    expect(blind.expose.capabilities.allow).toEqual(['matter/*']);
    expect(blind.notes[0]).toMatch(/matter\/\* matches nothing .* kept as a rule/);
  });

  it('lists each device capability in the summary and in --show, with the rule that decided', () => {
    const config = configOf({ expose: { capabilities: { deny: ['matter/front-door-peer4'] } } });
    const p = planWith(config, {
      ...currentChoices(config, merged),
      candidates: { ...currentChoices(config, merged).candidates, 'matter/kitchen-light-peer3': true },
    });
    const lines = summaryLines(summarizePlan(config, p, merged)).join('\n');
    expect(lines).toContain('Kitchen light (kitchen) · iot/light (was private)');
    const report = exposureReport({
      config,
      scan,
      explicitLayers: [{ expose: { capabilities: { deny: ['matter/front-door-peer4'] } } }],
      configPath: '/h/config.yaml',
      matter: { available: true, devices },
    });
    expect(
      report.matter.devices.map((d) => [d.label, d.capabilities[0]?.exposed, d.capabilities[0]?.rule]),
    ).toEqual([
      ['Kitchen light (kitchen)', false, 'expose.capabilities.allow'],
      ['Front door', false, 'expose.capabilities.deny'],
    ]);
    const text = formatExposureReport(report).join('\n');
    expect(text).toContain('Matter devices (0 of 2 capabilities exposed):');
    expect(text).toMatch(/private +matter\/front-door-peer4 +Front door +expose\.capabilities\.deny\n/);
  });

  it('says in one line why --show lists no Matter devices', () => {
    const report = exposureReport({
      config: configOf(),
      scan,
      explicitLayers: [],
      configPath: '/h/config.yaml',
      matter: { available: false, reason: 'the node is not running' },
    });
    expect(report.matter).toEqual({ available: false, reason: 'the node is not running', devices: [] });
    const lines = formatExposureReport(report).filter((l) => l.includes('Matter'));
    expect(lines).toEqual(['Matter devices: not listed, the node is not running']);
  });
});
