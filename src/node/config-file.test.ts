import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigInput, ConfigIssue } from '../core/index.js';
import { ConfigError, ConfigKeyNotFoundError, DEFAULT_API_PORT } from '../core/index.js';
import {
  defaultConfigYaml,
  getConfigValue,
  loadConfig,
  readConfigFile,
  resolveConfig,
  setConfigValue,
  validateConfigText,
  writeConfigText,
} from './config-file.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atmosphere-config-test-'));
  path = join(dir, 'config.yaml');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function issuesOf(fn: () => unknown): readonly ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('readConfigFile', () => {
  it('treats a missing file as empty, so every key takes its default', () => {
    const file = readConfigFile(path);
    expect(file).toEqual({ path, exists: false, text: '', input: {} });
    expect(resolveConfig({ file }).config.api.port).toBe(DEFAULT_API_PORT);
  });

  it('reports bad YAML syntax with the line and column', () => {
    writeFileSync(path, 'api:\n  port: 8080\n  host: [127.0.0.1\nmesh:\n  mdns: true\n');
    const issues = issuesOf(() => readConfigFile(path));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ source: path, key: '' });
    expect(issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(issues[0]?.column).toBeTypeOf('number');
  });

  it('reports a duplicate key at its line', () => {
    writeFileSync(path, 'api:\n  port: 1\n  port: 2\n');
    const [issue] = issuesOf(() => readConfigFile(path));
    expect(issue?.line).toBe(3);
    expect(issue?.message).toMatch(/unique/i);
  });

  it('reports a wrong type with the file, line, column, key and what was expected', () => {
    writeFileSync(path, '# my node\napi:\n  host: 127.0.0.1\n  port: eighty\n');
    const issues = issuesOf(() => readConfigFile(path));
    expect(issues).toEqual([
      { source: path, key: 'api.port', line: 4, column: 9, message: 'expected a number, got "eighty"' },
    ]);
    try {
      readConfigFile(path);
    } catch (err) {
      expect((err as Error).message).toBe(
        `invalid configuration: ${path}:4:9: api.port: expected a number, got "eighty"`,
      );
    }
  });

  it('reports unknown keys as errors at their line, with a suggestion', () => {
    writeFileSync(path, 'api:\n  prot: 8080\nlimts:\n  max_concurrent: 2\n');
    const issues = issuesOf(() => readConfigFile(path));
    expect(issues.map((i) => [i.key, i.line, i.column])).toEqual([
      ['api.prot', 2, 3],
      ['limts', 3, 1],
    ]);
    expect(issues[0]?.message).toContain('did you mean "port"');
    expect(issues[1]?.message).toContain('did you mean "limits"');
  });

  it('reports every problem in file order, including values out of range and bad enum values', () => {
    writeFileSync(
      path,
      [
        'log:',
        '  level: loud',
        'limits:',
        '  max_concurrent: 0',
        'expose:',
        '  hardware:',
        '    microphone: sometimes',
        'cost:',
        '  peak_hours: 9-5',
        '',
      ].join('\n'),
    );
    const issues = issuesOf(() => readConfigFile(path));
    expect(issues.map((i) => `${i.line}:${i.key}`)).toEqual([
      '2:log.level',
      '4:limits.max_concurrent',
      '7:expose.hardware.microphone',
      '9:cost.peak_hours',
    ]);
    expect(issues[0]?.message).toContain('"info"');
    expect(issues[1]?.message).toBe('expected a number at least 1, got 0');
    expect(issues[2]?.message).toContain('"whisper_only"');
    expect(issues[3]?.message).toContain('09:00-17:00');
  });

  it('reports a file that is a list instead of a mapping', () => {
    writeFileSync(path, '- api\n- mesh\n');
    expect(issuesOf(() => readConfigFile(path))[0]?.message).toMatch(/expected a mapping of sections/);
  });

  it('treats an empty value as "use the default" instead of an error', () => {
    writeFileSync(path, 'api:\n  # port: 9000\nmesh:\n  bootstrap:\n    # - /ip4/10.0.0.2/tcp/7471\n');
    const file = readConfigFile(path);
    const { config } = resolveConfig({ file });
    expect(config.api.port).toBe(DEFAULT_API_PORT);
    expect(config.mesh.bootstrap).toEqual([]);
  });

  it('still accepts null where the schema allows it', () => {
    writeFileSync(path, 'cost:\n  peak_hours: null\n  monthly_budget_usd: 12.5\n');
    const { config } = resolveConfig({ file: readConfigFile(path) });
    expect(config.cost.peak_hours).toBeNull();
    expect(config.cost.monthly_budget_usd).toBe(12.5);
  });
});

describe('resolveConfig', () => {
  it('applies defaults < file < env < flags', () => {
    writeFileSync(
      path,
      'api:\n  port: 8001\n  host: 10.0.0.1\nmesh:\n  tcp_port: 9001\nnode:\n  name: from-file\n',
    );
    const file = readConfigFile(path);
    const env = { ATMOSPHERE_API__PORT: '8002', ATMOSPHERE_MESH__TCP_PORT: '9002' };
    const flags: ConfigInput = { api: { port: 8003 } };
    const { config } = resolveConfig({ file, env, flags });
    expect(config.api.port).toBe(8003); // flag beats env and file
    expect(config.mesh.tcp_port).toBe(9002); // env beats file
    expect(config.api.host).toBe('10.0.0.1'); // file beats default
    expect(config.node.name).toBe('from-file');
    expect(config.mesh.ws_port).toBe(7472); // default
    expect(resolveConfig({ file, env }).config.api.port).toBe(8002);
    expect(resolveConfig({ file }).config.api.port).toBe(8001);
    expect(resolveConfig({}).config.api.port).toBe(DEFAULT_API_PORT);
  });

  it("merges sections key by key, so a flag does not wipe the file's other keys", () => {
    writeFileSync(path, 'expose:\n  services:\n    docker: true\n  hardware:\n    camera: true\n');
    const { config } = resolveConfig({
      file: readConfigFile(path),
      env: { ATMOSPHERE_EXPOSE__SERVICES__OLLAMA: 'false' },
      flags: { expose: { hardware: { gpu: false } } },
    });
    expect(config.expose.services).toEqual({ docker: true, ollama: false, llamafarm: true });
    expect(config.expose.hardware).toMatchObject({ camera: true, gpu: false });
  });

  it('returns a deep-frozen config', () => {
    const { config } = resolveConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.expose.models.ollama)).toBe(true);
    expect(() => {
      (config.api as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('moves expose.limits to top-level limits with a warning, top-level winning', () => {
    writeFileSync(
      path,
      'expose:\n  limits:\n    max_concurrent: 2\n    max_vram_percent: 50\nlimits:\n  max_vram_percent: 70\n',
    );
    const { config, warnings } = resolveConfig({ file: readConfigFile(path) });
    expect(config.limits.max_concurrent).toBe(2);
    expect(config.limits.max_vram_percent).toBe(70);
    expect(config.limits.max_queue).toBe(20);
    expect('limits' in config.expose).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('expose.limits is deprecated');
    expect(warnings[0]).toContain('moved expose.limits.max_concurrent');
    expect(warnings[0]).toContain('ignored expose.limits.max_vram_percent');
  });

  it("lets an env var under expose.limits override the file's top-level limits", () => {
    writeFileSync(path, 'limits:\n  max_concurrent: 4\n');
    const { config, warnings } = resolveConfig({
      file: readConfigFile(path),
      env: { ATMOSPHERE_EXPOSE__LIMITS__MAX_CONCURRENT: '9' },
    });
    expect(config.limits.max_concurrent).toBe(9);
    expect(warnings[0]).toMatch(/^environment: expose\.limits is deprecated/);
  });

  it('collects bad values from every layer into one error naming each source', () => {
    writeFileSync(path, 'api:\n  port: -1\n');
    const issues = issuesOf(() =>
      resolveConfig({
        file: { path, exists: true, text: readFileSync(path, 'utf8'), input: { api: { port: -1 } } },
        env: { ATMOSPHERE_LIMITS__MAX_QUEUE: 'lots' },
        flags: { log: { level: 'chatty' as 'info' } },
      }),
    );
    expect(issues.map((i) => `${i.source} ${i.key}`)).toEqual([
      `${path} api.port`,
      'env ATMOSPHERE_LIMITS__MAX_QUEUE limits.max_queue',
      'flag --log-level log.level',
    ]);
    expect(issues[0]?.line).toBe(2);
  });

  it('reads flags typed as text the way the key wants them', () => {
    const flags = { api: { port: '9100' }, node: { name: '42' } } as unknown as ConfigInput;
    const { config } = resolveConfig({ flags });
    expect(config.api.port).toBe(9100);
    expect(config.node.name).toBe('42');
  });

  it('ignores flags left undefined', () => {
    const { config } = resolveConfig({ flags: { api: { port: undefined, host: '::1' } } });
    expect(config.api).toMatchObject({ port: DEFAULT_API_PORT, host: '::1' });
  });
});

describe('loadConfig', () => {
  it('reads the file and resolves it with env and flags', () => {
    writeFileSync(path, 'node:\n  name: box\n');
    const { config, file, warnings } = loadConfig({
      path,
      env: { ATMOSPHERE_LOG__LEVEL: 'debug' },
      flags: {},
    });
    expect(file.exists).toBe(true);
    expect(config.node.name).toBe('box');
    expect(config.log.level).toBe('debug');
    expect(warnings).toEqual([]);
  });
});

describe('getConfigValue', () => {
  const { config } = resolveConfig({ env: { ATMOSPHERE_API__PORT: '8123' } });

  it('reads a dotted key, a section and a value that is unset', () => {
    expect(getConfigValue(config, 'api.port')).toBe(8123);
    expect(getConfigValue(config, 'expose.models.ollama')).toEqual(['*']);
    expect(getConfigValue(config, 'limits')).toMatchObject({ max_concurrent: 5 });
    expect(getConfigValue(config, 'cost.pin.cpu_load')).toBeUndefined();
    expect(getConfigValue(config, 'expose.services.ollama')).toBe(true);
  });

  it('rejects an unknown key, naming the keys nearby', () => {
    let error: unknown;
    try {
      getConfigValue(config, 'api.prot');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigKeyNotFoundError);
    expect((error as Error).message).toContain('did you mean "api.port"');
    expect((error as ConfigKeyNotFoundError).details.validKeys).toEqual([
      'api.host',
      'api.port',
      'api.cors_origins',
    ]);
    expect(() => getConfigValue(config, 'nosuch')).toThrow(/sections: node, api, mesh/);
    expect(() => getConfigValue(config, 'api..port')).toThrow(ConfigKeyNotFoundError);
  });

  it('points expose.limits keys at their new home', () => {
    expect(() => getConfigValue(config, 'expose.limits.max_concurrent')).toThrow(
      /use "limits\.max_concurrent"/,
    );
  });
});

describe('setConfigValue', () => {
  it('changes one key and keeps comments, order and the other keys', () => {
    const original = [
      '# my laptop',
      'api:',
      '  # keep the API on loopback',
      '  host: 127.0.0.1',
      '  port: 7470 # the default',
      'mesh:',
      '  bootstrap: [/ip4/10.0.0.2/tcp/7471]',
      '',
    ].join('\n');
    writeFileSync(path, original);
    setConfigValue(path, 'api.port', '8080');
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(original.replace('port: 7470', 'port: 8080'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('creates the file and missing sections', () => {
    setConfigValue(path, 'limits.max_concurrent', '3');
    setConfigValue(path, 'access.mesh_ids', '[mesh-family-*, mesh-work-abc]');
    const { config } = loadConfig({ path });
    expect(config.limits.max_concurrent).toBe(3);
    expect(config.access.mesh_ids).toEqual(['mesh-family-*', 'mesh-work-abc']);
  });

  it('fills a section left empty by commented-out keys', () => {
    writeFileSync(path, 'api:\n  # port: 1\nmesh: {}\n');
    setConfigValue(path, 'api.port', '8081');
    expect(loadConfig({ path }).config.api.port).toBe(8081);
    expect(readFileSync(path, 'utf8')).toContain('# port: 1');
  });

  it('keeps text as text where the key wants a string', () => {
    setConfigValue(path, 'node.name', '2024');
    setConfigValue(path, 'cost.peak_hours', '22:00-06:00');
    const { config } = loadConfig({ path });
    expect(config.node.name).toBe('2024');
    expect(config.cost.peak_hours).toBe('22:00-06:00');
  });

  it('refuses a value the schema rejects and leaves the file untouched', () => {
    writeFileSync(path, '# mine\napi:\n  port: 7470\n');
    const issues = issuesOf(() => setConfigValue(path, 'api.port', 'high'));
    expect(issues[0]).toMatchObject({ key: 'api.port', line: 3 });
    expect(readFileSync(path, 'utf8')).toBe('# mine\napi:\n  port: 7470\n');
  });

  it('refuses an unknown key', () => {
    expect(() => setConfigValue(path, 'api.prot', '1')).toThrow(ConfigKeyNotFoundError);
  });

  it('refuses to write into a file that is not valid YAML', () => {
    writeFileSync(path, 'api: [\n');
    expect(() => setConfigValue(path, 'api.port', '1')).toThrow(ConfigError);
    expect(readFileSync(path, 'utf8')).toBe('api: [\n');
  });

  it('refuses to replace a value with a section', () => {
    writeFileSync(path, 'api: 5\n');
    const issues = issuesOf(() => setConfigValue(path, 'api.port', '1'));
    expect(issues[0]).toMatchObject({ key: 'api', line: 1 });
  });
});

describe('writeConfigText', () => {
  it('writes a valid text atomically with mode 0600', () => {
    writeConfigText(path, 'api:\n  port: 9999\n');
    expect(readFileSync(path, 'utf8')).toBe('api:\n  port: 9999\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('refuses an invalid text and leaves the old file as it was', () => {
    writeFileSync(path, 'api:\n  port: 7000\n');
    const issues = issuesOf(() => writeConfigText(path, 'api:\n  port: 7001\n  bogus: 1\n'));
    expect(issues[0]).toMatchObject({ key: 'api.bogus', line: 3 });
    expect(readFileSync(path, 'utf8')).toBe('api:\n  port: 7000\n');
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });
});

/** Runs writeConfigText in a child process, optionally with a preload and a file-size limit. */
function writeInChild(options: { text: string; preload?: string; fileSizeBlocks?: number }) {
  const script = join(dir, 'child.ts');
  writeFileSync(
    script,
    [
      `import { writeConfigText } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'src/node/config-file.ts')).href)};`,
      `writeConfigText(${JSON.stringify(path)}, ${JSON.stringify(options.text)});`,
    ].join('\n'),
  );
  const nodeArgs = [
    '--import',
    'tsx',
    ...(options.preload === undefined ? [] : ['--import', options.preload]),
    script,
  ];
  const command = [process.execPath, ...nodeArgs].map((a) => `'${a}'`).join(' ');
  const limit = options.fileSizeBlocks === undefined ? '' : `ulimit -f ${options.fileSizeBlocks}; `;
  return spawnSync('/bin/sh', ['-c', `${limit}exec ${command}`], { cwd: repoRoot, encoding: 'utf8' });
}

describe('an interrupted write', () => {
  const bigValidText = `${'# a long comment line to make the file large\n'.repeat(4000)}api:\n  port: 9000\n`;

  it('leaves the old file intact when the kernel stops the write midway (file size limit)', () => {
    const old = 'api:\n  port: 7000\n';
    writeFileSync(path, old);
    // RLIMIT_FSIZE of 64 blocks (32-64 KiB) is far below the ~180 KB text: write() fails with EFBIG
    // after part of the temp file is on disk.
    const result = writeInChild({ text: bigValidText, fileSizeBlocks: 64 });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('EFBIG');
    expect(readFileSync(path, 'utf8')).toBe(old);
    expect(readdirSync(dir).sort()).toEqual(['child.ts', 'config.yaml']); // the partial temp file is gone
    expect(loadConfig({ path }).config.api.port).toBe(7000);
  });

  it('leaves the old file intact when the process dies between the temp write and the rename', () => {
    const old = 'api:\n  port: 7000\n';
    writeFileSync(path, old);
    const preload = join(dir, 'die-on-rename.mjs');
    writeFileSync(
      preload,
      [
        "import fs from 'node:fs';",
        "import { syncBuiltinESMExports } from 'node:module';",
        "fs.renameSync = () => process.kill(process.pid, 'SIGKILL');",
        'syncBuiltinESMExports();',
      ].join('\n'),
    );
    const result = writeInChild({ text: 'api:\n  port: 9000\n', preload: pathToFileURL(preload).href });
    expect(result.signal).toBe('SIGKILL');
    expect(readFileSync(path, 'utf8')).toBe(old);
    // the complete new text was in the temp file when the process died; the target never saw it
    const temps = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    expect(readFileSync(join(dir, temps[0] as string), 'utf8')).toBe('api:\n  port: 9000\n');
    expect(loadConfig({ path }).config.api.port).toBe(7000);
  });
});

describe('defaultConfigYaml', () => {
  it('is a valid config with every section, the given name and comments', () => {
    const text = defaultConfigYaml({ name: 'kitchen-pi', schemaUrl: null });
    expect(validateConfigText(text, 'starter')).toEqual([]);
    writeFileSync(path, text);
    const { config } = loadConfig({ path });
    expect(config.node.name).toBe('kitchen-pi');
    expect(config).toEqual({ ...resolveConfig({}).config, node: { name: 'kitchen-pi' } });
    for (const section of ['node', 'api', 'mesh', 'log', 'expose', 'limits', 'access', 'cost']) {
      expect(text).toMatch(new RegExp(`^${section}:`, 'm'));
    }
    expect(text).toContain('# Port of the local HTTP API');
    expect(text).not.toContain('yaml-language-server');
  });

  it('points editors at the JSON Schema shipped with the package', () => {
    const text = defaultConfigYaml();
    const url = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
    expect(url).toBeDefined();
    expect(statSync(fileURLToPath(url as string)).isFile()).toBe(true);
  });

  it('keeps its comments when a key is changed', () => {
    writeFileSync(path, defaultConfigYaml({ schemaUrl: null }));
    setConfigValue(path, 'mesh.mdns', 'false');
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('# LAN discovery with mDNS');
    expect(text).toContain('mdns: false');
    expect(loadConfig({ path }).config.mesh.mdns).toBe(false);
  });
});
