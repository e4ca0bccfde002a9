/** Node answers for the component tests, built to the node's own schemas. */
import type { CandidateCapability, ScanReport } from '../../src/core/index.js';
import { hardware, model } from '../../src/scanner/test-builders.js';
import { defaultSections } from './pages/settings.js';

function candidate(
  fields: Partial<CandidateCapability> & Pick<CandidateCapability, 'id' | 'type' | 'name'>,
): CandidateCapability {
  return {
    description: fields.name,
    tools: [],
    triggers: [],
    recommended: true,
    reason: 'works here',
    privateByDefault: false,
    test: 'untested',
    ...fields,
  };
}

export function scanReport(): ScanReport {
  return {
    version: 1,
    scannedAtMs: Date.now() - 60_000,
    durationMs: 1200,
    platform: 'linux',
    hostname: 'test-box',
    withTests: false,
    hardware: hardware({ gpuVramBytes: 24 * 1024 ** 3 }),
    models: [
      model(),
      model({ id: 'qwen3:1.7b', family: 'qwen3', parameterSize: '2.0B' }),
      model({ id: 'codellama:34b', family: 'llama', parameterSize: '34B', sizeBytes: 19 * 1024 ** 3 }),
    ],
    services: [],
    tests: [],
    candidates: [
      candidate({ id: 'gpu/0', type: 'compute/gpu', name: 'GPU: NVIDIA GeForce RTX 4090 (24 GB)' }),
      candidate({ id: 'ollama/llama3.2:3b', type: 'llm/chat', name: 'llama3.2:3b' }),
      candidate({ id: 'ollama/qwen3:1.7b', type: 'llm/chat', name: 'qwen3:1.7b' }),
      candidate({
        id: 'ollama/codellama:34b',
        type: 'llm/chat',
        name: 'codellama:34b',
        recommended: false,
        reason: 'too large for this machine',
      }),
      candidate({
        id: 'camera/video0',
        type: 'sensor/camera',
        name: 'Camera: Logitech C920',
        recommended: false,
        reason: 'private by default',
        privateByDefault: true,
      }),
    ],
    recommended: [],
    probes: [],
  };
}

/** `GET /api/exposure`, `/api/limits`, `/api/access` bodies for sections (defaults unless given). */
export function sectionReplies(sections = defaultSections()): Record<string, object> {
  return {
    'GET /api/exposure': { expose: sections.expose, capabilities: [], configError: null },
    'GET /api/limits': { limits: sections.limits, configError: null },
    'GET /api/access': { access: sections.access, configError: null },
  };
}
