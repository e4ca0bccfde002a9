// The npm channel: `npm pack` holds only what runs, and the tarball installed with
// `npm install -g --prefix` gives a working `atmosphere` (version, init, start, status, stop).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanEnv, ensureBuilt } from './helpers/cli.js';
import { builtVersion, headCommit, runProgram, startStatusStop, tarEntries } from './helpers/packaging.js';

const work = mkdtempSync(join(tmpdir(), 'atm-npm-'));
const prefix = join(work, 'prefix');
const home = join(work, 'home');
const installedPackage = join(prefix, 'lib', 'node_modules', 'atmosphere-mesh');
let tarball = '';
let entries: string[] = [];

function npm(args: readonly string[], cwd = REPO_ROOT): string {
  return execFileSync('npm', [...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

beforeAll(() => {
  ensureBuilt();
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work])) as { filename: string }[];
  tarball = join(work, packed[0]!.filename);
  entries = tarEntries(tarball);
  // Dependencies come from the registry (or npm's cache); their install scripts are skipped and the
  // one native addon, better-sqlite3, is the one this checkout already built: the lockfile pins the
  // same version and this is the same Node ABI. (A plain `npm install -g` compiles it, ~1-2 min.)
  npm(
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      tarball,
    ],
    work,
  );
  const installed = join(prefix, 'lib', 'node_modules', 'atmosphere-mesh', 'node_modules', 'better-sqlite3');
  const version = (dir: string) =>
    (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const ours = join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  if (version(installed) === version(ours)) {
    mkdirSync(join(installed, 'build', 'Release'), { recursive: true });
    copyFileSync(
      join(ours, 'build', 'Release', 'better_sqlite3.node'),
      join(installed, 'build', 'Release', 'better_sqlite3.node'),
    );
  } else {
    npm(['rebuild', 'better-sqlite3'], join(prefix, 'lib', 'node_modules', 'atmosphere-mesh'));
  }
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = () => cleanEnv({ PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH ?? ''}` });
const atmosphere = () => join(prefix, 'bin', 'atmosphere');

describe('the npm tarball', () => {
  it('holds the built CLI, its bundle, the runtime data files and the service templates', () => {
    for (const file of [
      'package/package.json',
      'package/bin/atmosphere.js',
      'package/dist/bundle/atmosphere.js',
      'package/dist/cli/main.js',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/build-info.json',
      'package/data/word-vectors.bin',
      'package/schema/config.schema.json',
      'package/packaging/systemd/atmosphere.service',
      'package/packaging/systemd/atmosphere-user.service',
      'package/packaging/launchd/dev.atmosphere.node.plist',
      'package/README.md',
    ]) {
      expect(entries, file).toContain(file);
    }
    if (existsSync(join(REPO_ROOT, 'ui', 'dist', 'index.html')))
      expect(entries).toContain('package/ui/dist/index.html');
  });

  it('holds no sources, tests, build scripts, source maps or dependencies', () => {
    const offending = entries.filter(
      (e) =>
        /^package\/(src|test|bench|scripts|node_modules|ui\/src|docs)\//.test(e) ||
        /^package\/dist\/.*\.map$/.test(e) ||
        (e.endsWith('.ts') && !e.endsWith('.d.ts')) ||
        /^package\/packaging\/(deb|rpm|homebrew|docker|sea)\//.test(e),
    );
    expect(offending).toEqual([]);
  });
});

describe('atmosphere installed from the npm tarball', () => {
  it('prints the version and commit recorded at build time', async () => {
    const result = await runProgram(atmosphere(), ['--version'], { env: env() });
    const { version, commit } = builtVersion(installedPackage);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(result.code).toBe(0);
    expect(version).toBe(pkg.version);
    expect(commit).toMatch(new RegExp(`^${headCommit()}(-dirty)?$`));
    expect(result.stdout.trim()).toBe(`${version} (${commit})`);
  });

  it('runs init, start, status and stop against a temp home', async () => {
    const init = await runProgram(atmosphere(), ['--home', home, 'init', '--name', 'npm-install', '--json'], {
      env: env(),
    });
    expect(init.code, init.stderr).toBe(0);
    const { nodeId } = JSON.parse(init.stdout) as { nodeId: string };

    const { start, status, stop, statusAfter } = await startStatusStop(atmosphere(), home, env());
    expect(start.code, `${start.stdout}\n${start.stderr}`).toBe(0);
    const started = JSON.parse(start.stdout) as { nodeId: string; apiUrl: string };
    expect(started.nodeId).toBe(nodeId);
    expect(started.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as {
      running: boolean;
      name: string;
      version: string;
      commit: string;
    };
    expect(s).toMatchObject({ running: true, name: 'npm-install', ...builtVersion(installedPackage) });

    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/node stopped/);
    expect(statusAfter.code).toBe(3);
    expect((JSON.parse(statusAfter.stdout) as { running: boolean }).running).toBe(false);
  });
});
