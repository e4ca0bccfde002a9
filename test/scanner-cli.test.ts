/**
 * `atmosphere scan` end to end: the built CLI against a temp home, with an Ollama double on
 * loopback, a HuggingFace cache and a GGUF file written in a temp dir; then the same scan through a
 * running node's API (`GET`/`POST /api/scan`, JSON and server-sent progress).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanReport } from '../src/core/index.js';
import { scanReportSchema } from '../src/core/index.js';
import { OllamaDouble } from './doubles/ollama-double.js';
import { buildGguf, chatModelMetadata } from './fixtures/scanner/models/gguf-builder.js';
import { cleanEnv, ensureBuilt, runAtmosphere, START_ARGS, tempHome } from './helpers/cli.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('atmosphere scan', () => {
  const home = tempHome('atm-scan-');
  const hf = join(home.dir, 'hf');
  const models = join(home.dir, 'models');
  let double: OllamaDouble;
  let env: NodeJS.ProcessEnv;
  const pids: number[] = [];

  beforeAll(async () => {
    ensureBuilt();
    double = await OllamaDouble.start();
    const repo = join(hf, 'hub', 'models--openai--whisper-tiny');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', 'abc123'), { recursive: true });
    writeFileSync(join(repo, 'blobs', 'b1'), Buffer.alloc(1000));
    writeFileSync(
      join(repo, 'snapshots', 'abc123', 'config.json'),
      JSON.stringify({ architectures: ['WhisperForConditionalGeneration'], model_type: 'whisper' }),
    );
    mkdirSync(models, { recursive: true });
    writeFileSync(
      join(models, 'tinyllama-1.1b.Q4_K_M.gguf'),
      buildGguf({
        metadata: chatModelMetadata({ name: 'TinyLlama 1.1B', fileType: 15 }),
        tensors: [{ name: 'token_embd.weight', dims: [64, 50] }],
      }),
    );
    mkdirSync(join(home.dir, 'atm'), { recursive: true });
    writeFileSync(
      join(home.dir, 'atm', 'config.yaml'),
      [
        'integrations:',
        '  ollama:',
        `    url: ${double.url}`,
        '  llamafarm:',
        '    enabled: false',
        'scan:',
        `  model_paths: [${models}]`,
        '  max_model_tests: 1',
        '',
      ].join('\n'),
    );
    env = cleanEnv({ HF_HOME: hf });
  });

  afterAll(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await double.close();
    home.cleanup();
  });

  const atm = (...args: string[]) =>
    runAtmosphere(['--home', join(home.dir, 'atm'), ...args], { env, timeoutMs: 60_000 });

  it('says there is no stored scan before the first one', async () => {
    const res = await atm('scan', '--cached');
    expect(res.code).toBe(6);
    expect(res.stderr).toMatch(/no scan stored in .* yet: run `atmosphere scan` \[scan_not_found\]/);
  });

  let first: ScanReport;
  it('prints a JSON report that matches the documented schema, with what the double, the HF cache and the GGUF file hold', async () => {
    const res = await atm('scan', '--json');
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    first = scanReportSchema.parse(JSON.parse(res.stdout));
    expect(first.withTests).toBe(false);
    expect(first.tests).toEqual([]);
    const ids = first.models.map((m) => `${m.source}:${m.id}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        'ollama:llama3.2:3b',
        'ollama:all-minilm:latest',
        'huggingface:openai/whisper-tiny',
      ]),
    );
    const gguf = first.models.find((m) => m.source === 'gguf');
    expect(gguf).toMatchObject({ family: 'llama', quantization: 'Q4_K_M' });
    expect(first.models.find((m) => m.id === 'openai/whisper-tiny')?.kind).toBe('speech-to-text');
    expect(first.candidates.find((c) => c.id === 'ollama/llama3.2:3b')).toMatchObject({
      type: 'llm/chat',
      recommended: true,
    });
    expect(first.recommended.map((r) => r.type)).toEqual(expect.arrayContaining(['llm/chat', 'llm/embed']));
    expect(first.probes.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        'gpu',
        'cpu',
        'memory',
        'ollama',
        'huggingface',
        'gguf',
        'ports',
        'docker',
        'systemd',
      ]),
    );
    expect(first.hardware.cpu.logicalCores).toBeGreaterThan(0);
  });

  it('stores the report: --cached prints the same one without scanning', async () => {
    const res = await atm('scan', '--cached', '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(first);
  });

  it('prints the human report in the seed’s sections, with progress on stderr', async () => {
    const res = await atm('scan');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/Scanning system capabilities/);
    for (const section of [
      'Hardware:',
      'Models:',
      'Services:',
      'Capability Tests:',
      'Recommended capabilities to expose:',
    ]) {
      expect(res.stdout).toContain(section);
    }
    expect(res.stdout).toMatch(/✅ Ollama: 3 models/);
    expect(res.stdout).toMatch(/llm\/chat \(via Ollama\)/);
  });

  it('runs capability tests with --test: a one-token generation on the smallest model, a disk write', async () => {
    const res = await atm('scan', '--test', '--json');
    expect(res.code).toBe(0);
    const report = scanReportSchema.parse(JSON.parse(res.stdout));
    expect(report.withTests).toBe(true);
    const byId = new Map(report.tests.map((t) => [t.id, t]));
    expect(byId.get('generate:ollama/qwen3:1.7b')?.status).toBe('passed');
    expect(byId.get('generate:ollama/llama3.2:3b')?.status).toBe('skipped');
    expect(byId.get('embed:ollama/all-minilm:latest')?.status).toBe('passed');
    expect(byId.get('disk-write')?.status).toBe('passed');
    expect(report.candidates.find((c) => c.id === 'ollama/qwen3:1.7b')?.test).toBe('passed');
    expect(double.requestsTo('/api/chat').length).toBeGreaterThanOrEqual(1);
  });

  it('reports a model server that is not running as not detected and still finishes', async () => {
    const port = await closedPort();
    const res = await runAtmosphere(['--home', join(home.dir, 'atm'), 'scan', '--json'], {
      env: { ...env, ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: `http://127.0.0.1:${port}` },
      timeoutMs: 60_000,
    });
    expect(res.code).toBe(0);
    const report = scanReportSchema.parse(JSON.parse(res.stdout));
    expect(report.models.filter((m) => m.source === 'ollama')).toEqual([]);
    expect(report.probes.find((p) => p.id === 'ollama')?.status).toBe('not_detected');
  });

  describe('through a running node', () => {
    let apiUrl = '';
    let token = '';
    beforeAll(async () => {
      const res = await atm(...START_ARGS, '--json');
      expect(res.code).toBe(0);
      const started = JSON.parse(res.stdout) as { pid: number; apiUrl: string };
      pids.push(started.pid);
      apiUrl = started.apiUrl;
      token = readFileSync(join(home.dir, 'atm', 'run', 'owner.token'), 'utf8').trim();
    });
    afterAll(async () => {
      await atm('stop');
    });
    const auth = () => ({ authorization: `Bearer ${token}` });

    it('serves the stored report at GET /api/scan, only with the owner token', async () => {
      expect((await fetch(`${apiUrl}/api/scan`)).status).toBe(401);
      const res = await fetch(`${apiUrl}/api/scan`, { headers: auth() });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { scanning: boolean; report: unknown };
      expect(body.scanning).toBe(false);
      scanReportSchema.parse(body.report);
    });

    it('rescans on POST /api/scan and rejects a malformed body', async () => {
      const bad = await fetch(`${apiUrl}/api/scan`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: '{"test": "yes"}',
      });
      expect(bad.status).toBe(400);
      const before = Date.now();
      const res = await fetch(`${apiUrl}/api/scan`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(200);
      const { report } = (await res.json()) as { report: ScanReport };
      expect(scanReportSchema.parse(report).scannedAtMs).toBeGreaterThanOrEqual(before - 1000);
      const stored = (await (await fetch(`${apiUrl}/api/scan`, { headers: auth() })).json()) as {
        report: ScanReport;
      };
      expect(stored.report.scannedAtMs).toBe(report.scannedAtMs);
    });

    it('streams progress events and ends with the report when asked for server-sent events', async () => {
      const res = await fetch(`${apiUrl}/api/scan`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json', accept: 'text/event-stream' },
        body: '{}',
      });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await res.text();
      expect(text).toMatch(/event: progress\ndata: \{"message":"scanning hardware, models and services"\}/);
      const last = text.trim().split('\n\n').at(-1) ?? '';
      expect(last.startsWith('event: report\ndata: ')).toBe(true);
      const { report } = JSON.parse(last.slice('event: report\ndata: '.length)) as { report: unknown };
      scanReportSchema.parse(report);
    });
  });
});
