import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../core/index.js';
import { envVarToKey, keyToEnvVar, readEnvConfig } from './config-env.js';
import { configKeys } from './config-keys.js';
import { resolveConfig } from './config-file.js';

describe('readEnvConfig', () => {
  it('maps ATMOSPHERE_<SECTION>__<KEY> to snake_case keys and reads values as YAML', () => {
    const env = readEnvConfig({
      ATMOSPHERE_API__PORT: '8080',
      ATMOSPHERE_LIMITS__MAX_CONCURRENT: '3',
      ATMOSPHERE_ACCESS__MESH_IDS: '[a,b]',
      ATMOSPHERE_MESH__MDNS: 'false',
      ATMOSPHERE_EXPOSE__HARDWARE__MICROPHONE: 'whisper_only',
      ATMOSPHERE_EXPOSE__MODELS__OLLAMA: '[llama3.2:*, qwen3:1.7b]',
    });
    expect(env.issues).toEqual([]);
    expect(env.input).toEqual({
      api: { port: 8080 },
      limits: { max_concurrent: 3 },
      access: { mesh_ids: ['a', 'b'] },
      mesh: { mdns: false },
      expose: { hardware: { microphone: 'whisper_only' }, models: { ollama: ['llama3.2:*', 'qwen3:1.7b'] } },
    });
    expect(env.sources.get('api.port')).toBe('ATMOSPHERE_API__PORT');
    expect(env.sources.get('expose.models.ollama')).toBe('ATMOSPHERE_EXPOSE__MODELS__OLLAMA');
  });

  it('matches names case-insensitively', () => {
    expect(readEnvConfig({ atmosphere_api__port: '1', ATMOSPHERE_Log__Level: 'warn' }).input).toEqual({
      api: { port: 1 },
      log: { level: 'warn' },
    });
  });

  it('ignores variables without a double underscore, other prefixes and empty values', () => {
    const env = readEnvConfig({
      ATMOSPHERE_HOME: '/tmp/x',
      ATMOSPHERE_LOG_LEVEL: 'debug',
      HOME: '/root',
      OTHER__API__PORT: '1',
      ATMOSPHERE_API__PORT: '',
    });
    expect(env).toEqual({ input: {}, sources: new Map(), issues: [] });
  });

  it('keeps the text of a value when the key wants a string', () => {
    const env = readEnvConfig({ ATMOSPHERE_NODE__NAME: '2024', ATMOSPHERE_COST__PEAK_HOURS: '09:00-17:00' });
    expect(env.input).toEqual({ node: { name: '2024' }, cost: { peak_hours: '09:00-17:00' } });
  });

  it('lets a variable for a key refine one that set its whole section', () => {
    const env = readEnvConfig({
      ATMOSPHERE_EXPOSE__MODELS__CLOUD: '[gpt-4o-mini]',
      ATMOSPHERE_EXPOSE__MODELS: '{ollama: [llama3.2:*], cloud: []}',
    });
    expect(env.input).toEqual({ expose: { models: { ollama: ['llama3.2:*'], cloud: ['gpt-4o-mini'] } } });
  });

  it('reports a bad value with the variable as the source', () => {
    const env = readEnvConfig({ ATMOSPHERE_API__PORT: 'eighty', ATMOSPHERE_MESH__TCP_PORT: '7000' });
    expect(env.issues).toEqual([
      { source: 'env ATMOSPHERE_API__PORT', key: 'api.port', message: 'expected a number, got "eighty"' },
    ]);
    expect(env.input).toEqual({ mesh: { tcp_port: 7000 } });
  });

  it('reports unknown keys, empty name segments and unparseable YAML', () => {
    const env = readEnvConfig({
      ATMOSPHERE_API__PROT: '1',
      ATMOSPHERE_API____PORT: '1',
      ATMOSPHERE_ACCESS__MESH_IDS: '[a, b',
    });
    const bySource = Object.fromEntries(env.issues.map((i) => [i.source, i]));
    expect(bySource['env ATMOSPHERE_API__PROT']?.message).toContain('did you mean "port"');
    expect(bySource['env ATMOSPHERE_API____PORT']?.message).toContain('empty key segment');
    expect(bySource['env ATMOSPHERE_ACCESS__MESH_IDS']?.message).toMatch(/^not a valid YAML value/);
    expect(env.input).toEqual({});
  });

  it('makes resolveConfig fail with the variable named', () => {
    expect(() => resolveConfig({ env: { ATMOSPHERE_LIMITS__MAX_CONCURRENT: '0' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ env: { ATMOSPHERE_LIMITS__MAX_CONCURRENT: '0' } })).toThrow(
      /env ATMOSPHERE_LIMITS__MAX_CONCURRENT: limits\.max_concurrent: expected a number at least 1, got 0/,
    );
  });
});

describe('environment variable names', () => {
  const leaves = configKeys().filter((k) => k.kind === 'leaf' && !k.deprecated && k.default !== undefined);

  it('round-trips every key below a section through its variable name', () => {
    for (const { key } of configKeys().filter((k) => k.key.includes('.'))) {
      expect(envVarToKey(keyToEnvVar(key))).toEqual(key.split('.'));
    }
    // a whole section has no double underscore, so it is not a config variable (like ATMOSPHERE_HOME)
    expect(envVarToKey(keyToEnvVar('api'))).toBeUndefined();
  });

  it('accepts every key set through its variable to its default written as YAML', () => {
    const env = Object.fromEntries(
      leaves.map((k) => [keyToEnvVar(k.key), stringify(k.default, { collectionStyle: 'flow' })]),
    );
    const result = readEnvConfig(env);
    expect(result.issues).toEqual([]);
    expect(result.sources.size).toBe(leaves.length);
    expect(resolveConfig({ env }).config).toEqual(resolveConfig({}).config);
  });
});
