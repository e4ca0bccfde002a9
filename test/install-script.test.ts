// scripts/install.sh (the `curl … | bash` installer), run against fake `node`, `npm` and `atmosphere`
// commands on PATH that record how they were called.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'install.sh');
const BASH = '/bin/bash';

let dir = '';
let bin = '';
let prefix = '';
let calls = '';

function fake(name: string, body: string): void {
  const file = join(bin, name);
  writeFileSync(file, `#!${BASH}\n${body}\n`);
  chmodSync(file, 0o755);
}

/** A fake npm whose `install -g` puts a fake `atmosphere` into the global prefix. */
function fakeNpm(): void {
  fake(
    'npm',
    `echo "npm $*" >> "${calls}"
if [ "$1" = prefix ]; then echo "${prefix}"; exit 0; fi
if [ "$1" = install ]; then
  /bin/mkdir -p "${prefix}/bin"
  printf '#!${BASH}\\necho "atmosphere $*" >> "${calls}"\\n[ "$1" = --version ] && echo "0.1.0 (abc1234)"\\nexit 0\\n' > "${prefix}/bin/atmosphere"
  /bin/chmod +x "${prefix}/bin/atmosphere"
fi`,
  );
}

function fakeNode(version: string): void {
  fake('node', `printf '%s' "${version}"`);
}

function runInstall(args: readonly string[] = []) {
  // only the fakes (and bash itself, by absolute path) are reachable
  const result = spawnSync(BASH, [SCRIPT, ...args], { env: { PATH: bin, HOME: dir }, encoding: 'utf8' });
  let recorded: string[] = [];
  try {
    recorded = readFileSync(calls, 'utf8').trim().split('\n');
  } catch {
    // nothing was called
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls: recorded };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atm-install-'));
  bin = join(dir, 'bin');
  prefix = join(dir, 'prefix');
  calls = join(dir, 'calls.log');
  mkdirSync(bin);
  mkdirSync(prefix);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/install.sh', () => {
  it('installs the npm package and checks the installed command', () => {
    fakeNode('20.19.0');
    fakeNpm();
    const r = runInstall();
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls).toEqual(['npm prefix -g', 'npm install -g atmosphere-mesh', 'atmosphere --version']);
    expect(r.stdout).toContain('installed: atmosphere 0.1.0 (abc1234)');
  });

  it('installs and enables the service with --service, at system scope with --system', () => {
    fakeNode('22.11.0');
    fakeNpm();
    expect(runInstall(['--service']).calls).toContain('atmosphere service install --user');
    rmSync(calls);
    const r = runInstall(['--service', '--system', '--version', '0.2.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls).toContain('npm install -g atmosphere-mesh@0.2.0');
    expect(r.calls).toContain('atmosphere service install --system');
  });

  it('refuses a Node.js older than 20.19 and says how to get a newer one, installing nothing', () => {
    fakeNode('20.18.3');
    fakeNpm();
    const r = runInstall();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Node.js 20.18.3 is too old: Atmosphere needs 20.19.0 or newer');
    expect(r.stderr).toMatch(/nvm install 22/);
    expect(r.calls).toEqual([]);
  });

  it('says Node.js is missing and how to get it when there is no node on PATH', () => {
    fakeNpm();
    const r = runInstall();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Node.js is not installed');
    expect(r.stderr).toContain('Atmosphere needs Node.js 20.19.0 or newer');
    expect(r.calls).toEqual([]);
  });

  it('rejects an unknown option', () => {
    fakeNode('20.19.0');
    fakeNpm();
    const r = runInstall(['--sevrice']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown option: --sevrice');
  });

  it('passes shellcheck', () => {
    const found = spawnSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' });
    if (found.status !== 0)
      throw new Error('this test needs shellcheck (Debian package shellcheck, in .ci/apt-packages)');
    expect(() =>
      execFileSync(
        'shellcheck',
        [
          SCRIPT,
          ...['deb/postinst', 'deb/prerm', 'deb/postrm', 'appimage/AppRun'].map((s) =>
            join(REPO_ROOT, 'packaging', s),
          ),
        ],
        {
          encoding: 'utf8',
        },
      ),
    ).not.toThrow();
  });
});
