// The single executable (`npm run package:sea`) and the AppDir around it (`npm run package:appimage`):
// built into a temp directory, then run with no node on PATH.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanEnv, ensureBuilt } from './helpers/cli.js';
import { builtVersion, headCommit, runProgram, startStatusStop, tarEntries } from './helpers/packaging.js';

const work = mkdtempSync(join(tmpdir(), 'atm-sea-'));
const releaseDir = join(work, 'release');
const emptyBin = join(work, 'empty-bin');
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const name = `atmosphere-${pkg.version}-linux-${process.arch}`;
const seaDir = join(releaseDir, name);
const exe = join(seaDir, 'atmosphere');
const appDir = join(releaseDir, 'Atmosphere.AppDir');

/** No node (nor anything else) on PATH: the executable must not need it. */
const env = () => cleanEnv({ PATH: emptyBin });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  );
}

beforeAll(() => {
  ensureBuilt();
  mkdirSync(emptyBin);
  const opts = { cwd: REPO_ROOT, stdio: 'inherit' as const, timeout: 300_000 };
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'package-sea.mjs'), '--out', releaseDir], opts);
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'scripts', 'package-appimage.mjs'), '--out', releaseDir, '--sea-dir', seaDir],
    opts,
  );
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the single executable', () => {
  it('prints the version and commit recorded at build time, with no node on PATH', async () => {
    const result = await runProgram(exe, ['--version'], { env: env() });
    const { version, commit } = builtVersion(seaDir);
    expect(result.code, result.stderr).toBe(0);
    expect(version).toBe(pkg.version);
    expect(commit).toMatch(new RegExp(`^${headCommit()}(-dirty)?$`));
    expect(result.stdout.trim()).toBe(`${version} (${commit})`);
  });

  it('carries the CLI inside: beside it are only the SQLite addon, data files and templates', () => {
    const files = filesUnder(seaDir).map((f) => relative(seaDir, join(seaDir, f)));
    expect(files).toContain('lib/better_sqlite3.node');
    expect(files).toContain('data/word-vectors.bin');
    expect(files.filter((f) => /\.(c|m)?js$/.test(f) && !/^ui\/dist(-phone)?\//.test(f))).toEqual([]);
    expect(statSync(exe).mode & 0o111).not.toBe(0);
  });

  it('runs init, start, status and stop against a temp home', async () => {
    const home = join(work, 'home');
    const init = await runProgram(exe, ['--home', home, 'init', '--name', 'single-exe', '--json'], {
      env: env(),
    });
    expect(init.code, init.stderr).toBe(0);
    const { nodeId } = JSON.parse(init.stdout) as { nodeId: string };

    const { start, status, stop, statusAfter } = await startStatusStop(exe, home, env());
    expect(start.code, `${start.stdout}\n${start.stderr}`).toBe(0);
    expect((JSON.parse(start.stdout) as { nodeId: string }).nodeId).toBe(nodeId);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      name: 'single-exe',
      ...builtVersion(seaDir),
    });
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/node stopped/);
    expect(statusAfter.code).toBe(3);
  });

  it('writes a service unit that runs the executable itself', async () => {
    const unitDir = join(work, 'units');
    const result = await runProgram(
      exe,
      ['--home', join(work, 'svc-home'), 'service', 'install', '--no-enable', '--unit-dir', unitDir],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    const unit = readFileSync(join(unitDir, 'atmosphere.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${exe} start --foreground`);
  });

  it('ships as a tarball of the executable and what sits beside it', () => {
    const entries = tarEntries(join(releaseDir, `${name}.tar.gz`));
    expect(entries).toEqual(
      expect.arrayContaining([
        `${name}/atmosphere`,
        `${name}/lib/better_sqlite3.node`,
        `${name}/data/word-vectors.bin`,
      ]),
    );
  });
});

describe('the AppImage-style AppDir', () => {
  it('runs the executable through AppRun', async () => {
    const result = await runProgram(join(appDir, 'AppRun'), ['--version'], {
      env: cleanEnv({ PATH: '/usr/bin:/bin' }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`${builtVersion(seaDir).version} (${builtVersion(seaDir).commit})`);
  });

  it('has the desktop entry, icon and layout an AppImage needs, and ships as a tarball', () => {
    const desktop = readFileSync(join(appDir, 'atmosphere.desktop'), 'utf8');
    expect(desktop).toMatch(/^\[Desktop Entry\]$/m);
    expect(desktop).toMatch(/^Type=Application$/m);
    expect(desktop).toMatch(/^Exec=atmosphere /m);
    expect(desktop).toMatch(/^Icon=atmosphere$/m);
    expect(desktop).toMatch(/^Categories=.+;$/m);
    expect(readFileSync(join(appDir, '.DirIcon'), 'utf8')).toContain('<svg');
    const arch = process.arch === 'x64' ? 'x86_64' : process.arch;
    const entries = tarEntries(join(releaseDir, `atmosphere-${pkg.version}-${arch}.AppDir.tar.gz`));
    expect(entries).toEqual(
      expect.arrayContaining([
        'Atmosphere.AppDir/AppRun',
        'Atmosphere.AppDir/atmosphere.desktop',
        'Atmosphere.AppDir/usr/bin/atmosphere',
        'Atmosphere.AppDir/usr/lib/atmosphere/atmosphere',
        'Atmosphere.AppDir/usr/lib/atmosphere/lib/better_sqlite3.node',
      ]),
    );
  });
});
