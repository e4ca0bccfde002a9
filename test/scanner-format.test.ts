import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../src/core/index.js';
import { SCAN_REPORT_VERSION, scanReportSchema } from '../src/core/index.js';
import { formatScanReport } from '../src/cli/commands/scan-format.js';
import { candidatesFor, recommendationsFor } from '../src/scanner/index.js';
import { hardware, model } from '../src/scanner/test-builders.js';

const GIB = 1024 ** 3;

function report(fields: Partial<ScanReport> = {}): ScanReport {
  const hw = fields.hardware ?? hardware();
  const models = fields.models ?? [];
  const tests = fields.tests ?? [];
  const candidates = candidatesFor({ hardware: hw, models, services: fields.services ?? [], tests });
  return scanReportSchema.parse({
    version: SCAN_REPORT_VERSION,
    scannedAtMs: Date.UTC(2026, 10, 24, 9, 0, 0),
    durationMs: 812,
    platform: 'linux-x64',
    hostname: 'studio',
    withTests: tests.length > 0,
    hardware: hw,
    models,
    services: [],
    tests,
    candidates,
    recommended: recommendationsFor(candidates),
    probes: [],
    ...fields,
  });
}

describe('the human scan report', () => {
  it('shows a GPU with what it can run, models by source and the recommendations, in the seed’s sections', () => {
    const text = formatScanReport(
      report({
        hardware: hardware({ gpuVramBytes: 24 * GIB }),
        models: [
          model({ id: 'llama3.2:3b' }),
          model({ id: 'qwen3:1.7b' }),
          model({ id: 'nomic-embed-text', kind: 'embedding' }),
        ],
      }),
    ).join('\n');
    expect(text).toContain(
      '  ✅ GPU: NVIDIA GeForce RTX 4090 (24.0 GB VRAM, driver 550.54, compute 8.9, cuda/vulkan)',
    );
    expect(text).toContain('     └─ Can run: 70B models (Q4), image generation (SDXL)');
    expect(text).toContain('  ✅ Ollama: 3 models');
    expect(text).toContain('     └─ llama3.2:3b, qwen3:1.7b, nomic-embed-text (embedding)');
    expect(text).toContain('  - llm/chat (via Ollama): 2 candidates that this node serves');
    expect(text).toContain('  (not run: `atmosphere scan --test` exercises what was found)');
    expect(text.split('\n').filter((l) => /^[A-Z][A-Za-z ]+:$/.test(l))).toEqual([
      'Hardware:',
      'Models:',
      'Services:',
      'Capability Tests:',
      'Recommended capabilities to expose:',
    ]);
  });

  it('says why a section found nothing, from the probe that looked', () => {
    const text = formatScanReport(
      report({
        probes: [
          {
            id: 'gpu',
            status: 'not_detected',
            durationMs: 3,
            detail: 'nvidia-smi, rocm-smi, lspci, vulkaninfo are not installed',
          },
          {
            id: 'ollama',
            status: 'not_detected',
            durationMs: 3,
            detail: 'Ollama is not running at http://127.0.0.1:11434',
          },
          {
            id: 'docker',
            status: 'failed',
            durationMs: 3,
            detail: 'permission denied on /var/run/docker.sock',
          },
        ],
      }),
    ).join('\n');
    expect(text).toContain(
      '  ➖ GPU: not detected (nvidia-smi, rocm-smi, lspci, vulkaninfo are not installed)',
    );
    expect(text).toContain('  ➖ Ollama: not detected (Ollama is not running at http://127.0.0.1:11434)');
    expect(text).toContain('  ❌ Docker: the probe failed (permission denied on /var/run/docker.sock)');
    expect(text).toContain(
      '(none: nothing found here that this node can serve yet — start Ollama or LlamaFarm)',
    );
  });

  it('marks passed, failed and skipped tests with their reasons and durations', () => {
    const text = formatScanReport(
      report({
        tests: [
          {
            id: 'disk-write',
            label: 'disk write',
            status: 'passed',
            reason: 'wrote 4 MiB',
            durationMs: 12,
            candidateId: null,
          },
          {
            id: 'memory:image-generation-sdxl',
            label: 'VRAM check for image generation (SDXL)',
            status: 'failed',
            reason: 'cannot run SDXL: no GPU detected (needs 8 GB)',
            durationMs: 0,
            candidateId: null,
          },
          {
            id: 'camera-snapshot:/dev/video0',
            label: 'camera snapshot from C920',
            status: 'skipped',
            reason: 'neither ffmpeg nor v4l2-ctl is installed',
            durationMs: 1500,
            candidateId: null,
          },
        ],
      }),
    );
    expect(text).toEqual(
      expect.arrayContaining([
        '  ✅ disk write — wrote 4 MiB (12 ms)',
        '  ❌ VRAM check for image generation (SDXL) — cannot run SDXL: no GPU detected (needs 8 GB) (0 ms)',
        '  ⏭️  camera snapshot from C920 — skipped: neither ffmpeg nor v4l2-ctl is installed (1.5 s)',
      ]),
    );
  });

  it('shows a laptop on battery with its charge', () => {
    const hw = hardware();
    const text = formatScanReport(
      report({
        hardware: {
          ...hw,
          power: {
            source: 'battery',
            hasBattery: true,
            batteryPercent: 42,
            charging: false,
            timeRemainingMinutes: 95,
          },
        },
      }),
    );
    expect(text).toContain('  ✅ Power: on battery; battery 42%, discharging');
  });
});
