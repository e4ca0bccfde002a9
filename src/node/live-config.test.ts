import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../core/index.js';
import { ConfigError, silentLogger } from '../core/index.js';
import { loadConfig, setConfigSections } from './config-file.js';
import { LiveConfig } from './live-config.js';

const root = mkdtempSync(join(tmpdir(), 'atm-live-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function configFile(text: string): string {
  const path = join(root, `config-${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LiveConfig', () => {
  it('follows an edit of the file and tells its listeners what changed', async () => {
    const path = configFile('expose:\n  models:\n    ollama: ["*"]\n');
    const live = new LiveConfig(
      { logger: silentLogger() },
      { path, initial: loadConfig({ path }).config, pollIntervalMs: 100 },
    );
    const seen: [ResolvedConfig, ResolvedConfig][] = [];
    live.onChange((next, previous) => seen.push([next, previous]));
    await live.start();
    try {
      writeFileSync(path, 'expose:\n  models:\n    ollama: ["qwen3:*"]\n');
      const [next, previous] = await until(() => seen[0]);
      expect(next.expose.models.ollama).toEqual(['qwen3:*']);
      expect(previous.expose.models.ollama).toEqual(['*']);
      expect(live.current.expose.models.ollama).toEqual(['qwen3:*']);
    } finally {
      await live.stop();
    }
  });

  it('keeps the last good configuration when the file becomes invalid, and says why', () => {
    const path = configFile('limits:\n  max_concurrent: 4\n');
    const live = new LiveConfig({ logger: silentLogger() }, { path, initial: loadConfig({ path }).config });
    writeFileSync(path, 'limits:\n  max_concurrent: many\n');
    expect(live.reload()).toBe(false);
    expect(live.current.limits.max_concurrent).toBe(4);
    expect(live.error).toMatch(/limits\.max_concurrent/);
    writeFileSync(path, 'limits:\n  max_concurrent: 6\n');
    expect(live.reload()).toBe(true);
    expect(live.error).toBeNull();
    expect(live.current.limits.max_concurrent).toBe(6);
  });

  it('re-applies the environment and flags it started with over the file', () => {
    const path = configFile('limits:\n  max_queue: 7\n');
    const env = { ATMOSPHERE_LIMITS__MAX_QUEUE: '9' };
    const live = new LiveConfig(
      { logger: silentLogger() },
      { path, env, initial: loadConfig({ path, env }).config },
    );
    writeFileSync(path, 'limits:\n  max_queue: 8\n  max_concurrent: 2\n');
    live.reload();
    expect(live.current.limits).toMatchObject({ max_queue: 9, max_concurrent: 2 });
  });

  it('does not call listeners when a rewrite changes nothing', () => {
    const path = configFile('limits:\n  max_queue: 7\n');
    const live = new LiveConfig({ logger: silentLogger() }, { path, initial: loadConfig({ path }).config });
    let calls = 0;
    live.onChange(() => calls++);
    writeFileSync(path, '# a comment\nlimits:\n  max_queue: 7\n');
    expect(live.reload()).toBe(false);
    expect(calls).toBe(0);
  });
});

describe('setConfigSections', () => {
  it('replaces whole sections and keeps the rest of the file, comments included', () => {
    const path = configFile(
      '# my node\nnode:\n  name: studio # the big box\nexpose:\n  models:\n    ollama: ["*"]\n',
    );
    setConfigSections(path, { expose: { models: { ollama: ['llama3.2:*'] }, hardware: { camera: true } } });
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('# my node');
    expect(text).toContain('name: studio # the big box');
    const { config } = loadConfig({ path });
    expect(config.expose.models.ollama).toEqual(['llama3.2:*']);
    expect(config.expose.hardware.camera).toBe(true);
  });

  it('refuses an invalid section with the key named and leaves the file untouched', () => {
    const path = configFile('limits:\n  max_concurrent: 4\n');
    const before = readFileSync(path, 'utf8');
    expect(() => setConfigSections(path, { limits: { max_concurrent: 0 } })).toThrow(ConfigError);
    expect(() => setConfigSections(path, { limits: { max_concurent: 3 } })).toThrow(
      /limits\.max_concurent[\s\S]*did you mean/,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('creates the file when there is none', () => {
    const path = join(root, 'fresh', 'config.yaml');
    setConfigSections(path, { access: { mesh_ids: ['home-*'] } });
    expect(loadConfig({ path }).config.access.mesh_ids).toEqual(['home-*']);
  });
});
