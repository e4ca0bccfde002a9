/**
 * From findings to candidate capabilities: every model, device and service the scan found becomes
 * a capability the owner may approve (type, tools, triggers), with a recommendation and the reason
 * for it. Only what this node can actually serve today is recommended: models behind Ollama or
 * LlamaFarm and the GPU that runs them. Cameras, microphones, speakers (and later location and the
 * screen) are private by default and never recommended; files and services no Atmosphere
 * integration serves yet are listed, with that said plainly.
 */
import type {
  CandidateCapability,
  CapabilityTestResult,
  HardwareReport,
  ModelFinding,
  ModelKind,
  RecommendedCapability,
  ServiceFinding,
} from '../core/index.js';

type Draft = Omit<CandidateCapability, 'test'>;

const GIB = 1024 ** 3;

/** `2.0 GB` (binary gigabytes, one decimal). */
export function formatGigabytes(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GB`;
}

/**
 * Memory a local model needs to run: its weights plus about 15% and half a gigabyte for the
 * context cache and runtime (a rule of thumb for quantised GGUF models under llama.cpp/Ollama).
 */
export function estimatedRunBytes(sizeBytes: number): number {
  return Math.round(sizeBytes * 1.15 + 0.5 * GIB);
}

/** The id a model finding's capability has — for Ollama and LlamaFarm the id the node announces. */
export function candidateIdForModel(model: Pick<ModelFinding, 'source' | 'id'>): string {
  return `${model.source}/${model.id}`;
}

const MODEL_TYPES: Record<ModelKind, { type: string; tools: readonly string[] }> = {
  chat: { type: 'llm/chat', tools: ['chat', 'summarize'] },
  embedding: { type: 'llm/embed', tools: ['embed'] },
  rag: { type: 'rag', tools: ['ask'] },
  vision: { type: 'vision/caption', tools: ['describe_image'] },
  'speech-to-text': { type: 'audio/transcribe', tools: ['transcribe'] },
  'text-to-speech': { type: 'audio/generate', tools: ['speak'] },
  'image-generation': { type: 'vision/generate', tools: ['generate_image'] },
  classification: { type: 'vision/classify', tools: ['classify'] },
  other: { type: 'model/other', tools: [] },
};

const SERVICE_TYPES: Record<string, { type: string; tools: readonly string[] }> = {
  llm: { type: 'llm/chat', tools: ['chat'] },
  'image-generation': { type: 'vision/generate', tools: ['generate_image'] },
  speech: { type: 'audio/transcribe', tools: ['transcribe'] },
  'vector-db': { type: 'search/vector', tools: ['query'] },
};

/** What the largest usable memory for one model is: the biggest GPU's memory, else system RAM. */
function largestModelMemory(hardware: HardwareReport): { bytes: number; where: string } {
  const gpu = [...hardware.gpus]
    .filter((g) => g.vramBytes !== null)
    .sort((a, b) => (b.vramBytes ?? 0) - (a.vramBytes ?? 0))[0];
  const ram = hardware.memory.totalBytes;
  if (gpu?.vramBytes != null && gpu.vramBytes >= ram * 0.5) {
    return { bytes: gpu.vramBytes, where: `${gpu.name} (${formatGigabytes(gpu.vramBytes)})` };
  }
  return { bytes: ram, where: `${formatGigabytes(ram)} of RAM` };
}

function modelCandidate(model: ModelFinding, hardware: HardwareReport): Draft {
  const { type, tools } = MODEL_TYPES[model.kind];
  const facts = [model.family, model.parameterSize, model.quantization].filter((f): f is string => !!f);
  const size = model.sizeBytes === null ? '' : `, ${formatGigabytes(model.sizeBytes)}`;
  const description = `${model.name}${facts.length ? ` (${facts.join(', ')})` : ''} from ${model.source}${size}`;
  const base = {
    id: candidateIdForModel(model),
    type,
    name: model.name,
    description,
    tools: [...tools],
    triggers: [],
  };
  if (model.source !== 'ollama' && model.source !== 'llamafarm') {
    return {
      ...base,
      recommended: false,
      privateByDefault: false,
      reason: `found on disk (${model.location ?? model.source}); nothing on this node serves it yet — load it into Ollama or LlamaFarm to offer it`,
    };
  }
  if (model.sizeBytes !== null && model.source === 'ollama') {
    const need = estimatedRunBytes(model.sizeBytes);
    const room = largestModelMemory(hardware);
    if (need > room.bytes) {
      return {
        ...base,
        recommended: false,
        privateByDefault: false,
        reason: `too large: needs about ${formatGigabytes(need)}, the most this machine has is ${room.where}`,
      };
    }
  }
  const served =
    model.source === 'ollama' ? 'served by Ollama on this machine' : 'a LlamaFarm project on this machine';
  return { ...base, recommended: true, privateByDefault: false, reason: served };
}

function hardwareCandidates(hardware: HardwareReport): Draft[] {
  const drafts: Draft[] = [];
  hardware.gpus.forEach((gpu, index) => {
    const memory =
      gpu.vramBytes === null
        ? ''
        : ` (${formatGigabytes(gpu.vramBytes)}${gpu.unifiedMemory ? ' unified' : ''})`;
    const local = gpu.canRun.length
      ? `can run ${gpu.canRun.join(', ')}`
      : 'too little memory for common models';
    drafts.push({
      id: `gpu/${index}`,
      type: 'compute/gpu',
      name: `GPU: ${gpu.name}${memory}`,
      description: `${gpu.name}${memory}; ${local}`,
      tools: [],
      triggers: [],
      recommended: gpu.canRun.length > 0,
      privateByDefault: false,
      reason:
        gpu.canRun.length > 0
          ? `runs this node's models (${local}); mesh work is capped at limits.max_vram_percent of its memory`
          : 'not enough memory to help with model work',
    });
  });
  hardware.npus.forEach((npu, index) => {
    drafts.push({
      id: `npu/${index}`,
      type: 'compute/npu',
      name: `NPU: ${npu.name}`,
      description: `${npu.name}${npu.canRun.length ? `; can run ${npu.canRun.join(', ')}` : ''}`,
      tools: [],
      triggers: [],
      recommended: false,
      privateByDefault: false,
      reason: 'detected; no runtime on this node uses the NPU yet',
    });
  });
  for (const camera of hardware.cameras) {
    const resolution =
      camera.maxWidth && camera.maxHeight ? ` up to ${camera.maxWidth}x${camera.maxHeight}` : '';
    drafts.push({
      id: `camera/${camera.id.replace(/^\/dev\//, '')}`,
      type: 'sensor/camera',
      name: `Camera: ${camera.name}`,
      description: `Camera ${camera.name}${resolution}: snapshots`,
      tools: ['snapshot'],
      triggers: [],
      recommended: false,
      privateByDefault: true,
      reason: 'private by default: a camera is never exposed without your explicit yes',
    });
  }
  for (const mic of hardware.microphones) {
    drafts.push({
      id: `microphone/${mic.id}`,
      type: 'audio/capture',
      name: `Microphone: ${mic.name}`,
      description: `Microphone ${mic.name} (${mic.source}): audio capture`,
      tools: ['record'],
      triggers: [],
      recommended: false,
      privateByDefault: true,
      reason:
        'private by default: a microphone is never exposed without your explicit yes (consider "transcription only")',
    });
  }
  for (const speaker of hardware.speakers) {
    drafts.push({
      id: `speaker/${speaker.id}`,
      type: 'audio/playback',
      name: `Speaker: ${speaker.name}`,
      description: `Speaker ${speaker.name} (${speaker.source}): audio playback`,
      tools: ['play'],
      triggers: [],
      recommended: false,
      privateByDefault: true,
      reason: 'off by default: the mesh may not play sound here unless you allow it',
    });
  }
  return drafts;
}

function serviceCandidates(services: readonly ServiceFinding[]): Draft[] {
  const drafts: Draft[] = [];
  for (const service of services) {
    // Ollama and LlamaFarm appear through their models.
    if (service.id === 'ollama' || service.id === 'llamafarm' || service.id === 'unknown') continue;
    const known = SERVICE_TYPES[service.kind];
    if (known === undefined) continue;
    drafts.push({
      id: `service/${service.id}`,
      type: known.type,
      name: service.name,
      description: `${service.name}${service.url ? ` at ${service.url}` : ''} (${service.evidence})`,
      tools: [...known.tools],
      triggers: [],
      recommended: false,
      privateByDefault: false,
      reason: 'detected; Atmosphere has no integration that serves it yet',
    });
  }
  return drafts;
}

/**
 * Every finding as a candidate capability, with the tests that speak for it folded in: a candidate
 * whose test failed is not recommended, and the reason says what failed.
 */
export function candidatesFor(input: {
  readonly hardware: HardwareReport;
  readonly models: readonly ModelFinding[];
  readonly services: readonly ServiceFinding[];
  readonly tests: readonly CapabilityTestResult[];
}): CandidateCapability[] {
  const drafts = [
    ...hardwareCandidates(input.hardware),
    ...input.models.map((m) => modelCandidate(m, input.hardware)),
    ...serviceCandidates(input.services),
  ];
  const seen = new Set<string>();
  const out: CandidateCapability[] = [];
  for (const draft of drafts) {
    if (seen.has(draft.id)) continue;
    seen.add(draft.id);
    const tests = input.tests.filter((t) => t.candidateId === draft.id && t.status !== 'skipped');
    const failed = tests.find((t) => t.status === 'failed');
    if (failed !== undefined) {
      out.push({
        ...draft,
        recommended: false,
        reason: `${failed.label} failed: ${failed.reason ?? 'no reason given'}`,
        test: 'failed',
      });
    } else {
      const passed = tests.length > 0;
      out.push({
        ...draft,
        reason:
          passed && draft.recommended
            ? `${draft.reason}; tested: ${tests.map((t) => t.label).join(', ')}`
            : draft.reason,
        test: passed
          ? 'passed'
          : input.tests.some((t) => t.candidateId === draft.id)
            ? 'skipped'
            : 'untested',
      });
    }
  }
  return out;
}

const VIA_NAMES: Record<string, string> = {
  ollama: 'Ollama',
  llamafarm: 'LlamaFarm',
  gpu: 'GPU',
};

/** The recommended candidates grouped by type, as the report's "Recommended capabilities to expose". */
export function recommendationsFor(candidates: readonly CandidateCapability[]): RecommendedCapability[] {
  const groups = new Map<string, CandidateCapability[]>();
  for (const candidate of candidates) {
    if (!candidate.recommended) continue;
    const list = groups.get(candidate.type) ?? [];
    list.push(candidate);
    groups.set(candidate.type, list);
  }
  return [...groups.entries()].map(([type, list]) => {
    const prefixes = [...new Set(list.map((c) => c.id.split('/')[0] ?? c.id))];
    const via =
      type === 'compute/gpu'
        ? list.map((c) => c.name.replace(/^GPU: /, ''))
        : prefixes.map((p) => VIA_NAMES[p] ?? p);
    const tested = list.filter((c) => c.test === 'passed').length;
    const count = `${list.length} ${list.length === 1 ? 'candidate' : 'candidates'}`;
    return {
      type,
      via,
      candidateIds: list.map((c) => c.id),
      reason: `${count} that this node serves${tested ? `, ${tested} tested and working` : ''}`,
    };
  });
}
