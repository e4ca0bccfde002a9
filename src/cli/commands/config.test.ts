import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configJsonSchemaText } from '../../node/index.js';
import type { CliContext } from '../context.js';
import { runCli } from '../main.js';
import type { Output } from '../output.js';

let home: string;
let configPath: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'atmosphere-cli-config-'));
  configPath = join(home, 'config.yaml');
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

interface Captured {
  ctx: CliContext;
  stdout: () => string;
  stderr: () => string;
}

function context(env: NodeJS.ProcessEnv = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = {
    line: (text = '') => out.push(`${text}\n`),
    error: (text) => err.push(`${text}\n`),
    json: (value) => out.push(`${JSON.stringify(value, null, 2)}\n`),
    write: (text) => out.push(text),
    stdoutIsTTY: false,
    stdinIsTTY: false,
  };
  const ctx: CliContext = {
    output,
    env: { PATH: process.env.PATH, ...env },
    buildInfo: { version: '0.0.0-test', commit: 'test' },
    entryScript: '',
    exit: { code: 0 },
  };
  return { ctx, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function config(args: string[], env: NodeJS.ProcessEnv = {}) {
  const c = context(env);
  const code = await runCli(c.ctx, ['node', 'atmosphere', '--home', home, 'config', ...args]);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** An "editor" that runs a shell command on the file it is given. */
function fakeEditor(script: string): string {
  const path = join(home, 'editor.sh');
  writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return `sh ${path}`;
}

describe('atmosphere config path', () => {
  it('prints config.yaml inside the home given by --home', async () => {
    const r = await config(['path']);
    expect(r).toMatchObject({ code: 0, stdout: `${configPath}\n` });
  });
});

describe('atmosphere config set and get', () => {
  it('sets a key in the file, keeping comments, and reads it back', async () => {
    writeFileSync(configPath, '# my settings\nlimits:\n  max_concurrent: 5 # default\n');
    const set = await config(['set', 'limits.max_concurrent', '2']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('limits.max_concurrent = 2');
    expect(readFileSync(configPath, 'utf8')).toBe('# my settings\nlimits:\n  max_concurrent: 2 # default\n');
    expect(await config(['get', 'limits.max_concurrent'])).toMatchObject({ code: 0, stdout: '2\n' });
  });

  it('creates the file when there is none', async () => {
    expect((await config(['set', 'access.mesh_ids', '[mesh-family-*]'])).code).toBe(0);
    const get = await config(['get', 'access.mesh_ids', '--json']);
    expect(JSON.parse(get.stdout)).toEqual(['mesh-family-*']);
  });

  it('notes when an environment variable overrides the key just set', async () => {
    const r = await config(['set', 'api.port', '9000'], { ATMOSPHERE_API__PORT: '9001' });
    expect(r.stderr).toContain('ATMOSPHERE_API__PORT is set and overrides api.port');
    expect((await config(['get', 'api.port'], { ATMOSPHERE_API__PORT: '9001' })).stdout).toBe('9001\n');
  });

  it('refuses an invalid value with exit code 78 and leaves the file alone', async () => {
    writeFileSync(configPath, 'api:\n  port: 7470\n');
    const r = await config(['set', 'api.port', 'high']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('api.port: expected a number, got "high"');
    expect(readFileSync(configPath, 'utf8')).toBe('api:\n  port: 7470\n');
  });

  it('rejects an unknown key with exit code 6 and a suggestion', async () => {
    const r = await config(['get', 'api.prot']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('did you mean "api.port"');
  });

  it('prints a section as YAML', async () => {
    const r = await config(['get', 'expose.models']);
    expect(r.stdout).toContain('ollama:\n  - "*"');
  });
});

describe('atmosphere config show', () => {
  it('prints the resolved config and marks values that come from the environment', async () => {
    writeFileSync(configPath, 'node:\n  name: studio\n');
    const r = await config(['show'], { ATMOSPHERE_API__PORT: '8123' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: studio');
    expect(r.stdout).toContain('port: 8123 # from ATMOSPHERE_API__PORT');
    expect(r.stdout).toContain('max_concurrent: 5');
  });

  it('prints JSON with --json and warns about expose.limits', async () => {
    writeFileSync(configPath, 'expose:\n  limits:\n    max_concurrent: 3\n');
    const r = await config(['show', '--json']);
    const shown = JSON.parse(r.stdout) as { limits: { max_concurrent: number }; expose: object };
    expect(shown.limits.max_concurrent).toBe(3);
    expect(shown.expose).not.toHaveProperty('limits');
    expect(r.stderr).toContain('warning:');
    expect(r.stderr).toContain('expose.limits is deprecated');
  });

  it('fails with exit code 78 naming the line when the file is invalid', async () => {
    writeFileSync(configPath, 'api:\n  port: nope\n');
    const r = await config(['show']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${configPath}:2:9: api.port`);
  });
});

describe('atmosphere config validate', () => {
  it('reports a valid file and exits 0', async () => {
    writeFileSync(configPath, 'api:\n  port: 7000\n');
    const r = await config(['validate']);
    expect(r).toMatchObject({ code: 0, stdout: `${configPath}: valid\n` });
  });

  it('accepts a missing file', async () => {
    const r = await config(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('does not exist');
  });

  it('prints every problem in the file and the environment and exits 78', async () => {
    writeFileSync(configPath, 'api:\n  port: nope\n  prot: 1\nlog:\n  level: loud\n');
    const r = await config(['validate'], { ATMOSPHERE_LIMITS__MAX_QUEUE: '-1' });
    expect(r.code).toBe(78);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringContaining(`${configPath}:2:9: api.port:`),
      expect.stringContaining(`${configPath}:3:3: api.prot: unknown key`),
      expect.stringContaining(`${configPath}:5:10: log.level:`),
      expect.stringContaining('env ATMOSPHERE_LIMITS__MAX_QUEUE: limits.max_queue:'),
    ]);
    expect(r.stderr).toContain('4 problems');
  });

  it('prints the issues as JSON with --json', async () => {
    writeFileSync(configPath, 'api:\n  port: nope\n');
    const r = await config(['validate', '--json']);
    expect(r.code).toBe(78);
    const report = JSON.parse(r.stdout) as { valid: boolean; issues: { key: string; line: number }[] };
    expect(report.valid).toBe(false);
    expect(report.issues).toEqual([expect.objectContaining({ key: 'api.port', line: 2, column: 9 })]);
  });
});

describe('atmosphere config edit', () => {
  it('saves the edited file when it is valid', async () => {
    writeFileSync(configPath, '# keep me\napi:\n  port: 7470\n');
    const editor = fakeEditor(`sed -i 's/port: 7470/port: 8088/' "$1"`);
    const r = await config(['edit'], { EDITOR: editor });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`saved ${configPath}`);
    expect(readFileSync(configPath, 'utf8')).toBe('# keep me\napi:\n  port: 8088\n');
  });

  it('prefers $VISUAL over $EDITOR', async () => {
    writeFileSync(configPath, 'api:\n  port: 7470\n');
    const visual = fakeEditor(`sed -i 's/7470/7001/' "$1"`);
    const r = await config(['edit'], { VISUAL: visual, EDITOR: 'false' });
    expect(r.code).toBe(0);
    expect(readFileSync(configPath, 'utf8')).toContain('port: 7001');
  });

  it('refuses to save an invalid edit without a terminal and keeps the old file and the draft', async () => {
    writeFileSync(configPath, 'api:\n  port: 7470\n');
    const editor = fakeEditor(`printf 'api:\\n  port: lots\\n' > "$1"`);
    const r = await config(['edit'], { EDITOR: editor });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${configPath}:2:9: api.port: expected a number, got "lots"`);
    expect(readFileSync(configPath, 'utf8')).toBe('api:\n  port: 7470\n');
    const draft = /draft is kept in (\S+)/.exec(r.stderr)?.[1] as string;
    expect(readFileSync(draft, 'utf8')).toBe('api:\n  port: lots\n');
    rmSync(join(draft, '..'), { recursive: true, force: true });
  });

  it('saves nothing when the editor fails', async () => {
    writeFileSync(configPath, 'api:\n  port: 7470\n');
    const editor = fakeEditor(`sed -i 's/7470/7002/' "$1"; exit 3`);
    const r = await config(['edit'], { EDITOR: editor });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exited with code 3; nothing was saved');
    expect(readFileSync(configPath, 'utf8')).toBe('api:\n  port: 7470\n');
    const draft = /draft is kept in (\S+)/.exec(r.stderr)?.[1] as string;
    rmSync(join(draft, '..'), { recursive: true, force: true });
  });

  it('starts from the commented starter file when there is none, and writes nothing if unchanged', async () => {
    const editor = fakeEditor(`grep -q '^limits:' "$1"`);
    const r = await config(['edit'], { EDITOR: editor });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('was not created');
    expect(existsSync(configPath)).toBe(false);
  });
});

describe('atmosphere config schema', () => {
  it('prints the JSON Schema that editors use', async () => {
    const r = await config(['schema']);
    expect(r.stdout).toBe(configJsonSchemaText());
  });
});
