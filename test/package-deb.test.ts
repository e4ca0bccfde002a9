// The Debian package (`npm run package:deb`): built into a temp directory, checked with dpkg-deb,
// installed with dpkg into a throwaway root (maintainer scripts run outside a chroot with DPKG_ROOT
// set), run from there, and purged.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanEnv, ensureBuilt } from './helpers/cli.js';
import { builtVersion, runProgram, startStatusStop } from './helpers/packaging.js';

const work = mkdtempSync(join(tmpdir(), 'atm-deb-'));
const root = join(work, 'root');
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
let deb = '';

function tool(command: string, args: readonly string[]): string {
  return execFileSync(command, [...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

function missingTool(name: string): string | null {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return null;
  } catch {
    return name;
  }
}

/** dpkg's database and the account files the postinst edits, as an empty Debian root has them. */
function makeThrowawayRoot(): void {
  mkdirSync(join(root, 'var', 'lib', 'dpkg', 'updates'), { recursive: true });
  mkdirSync(join(root, 'var', 'lib', 'dpkg', 'info'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'var', 'lib', 'dpkg', 'status'), '');
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(root, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc', 'gshadow'), 'root:*::\n', { mode: 0o640 });
}

const dpkgRoot = (...args: string[]) =>
  tool('dpkg', [`--root=${root}`, '--force-script-chrootless', '--log=/dev/null', ...args]);

beforeAll(() => {
  const missing = ['dpkg', 'dpkg-deb', 'useradd', 'groupadd'].map(missingTool).filter((t) => t !== null);
  if (missing.length > 0)
    throw new Error(`the Debian package test needs ${missing.join(', ')} (Debian's dpkg and passwd)`);
  ensureBuilt();
  deb = tool(process.execPath, [join(REPO_ROOT, 'scripts', 'package-deb.mjs'), '--out', work])
    .trim()
    .split('\n')
    .pop()!;
  makeThrowawayRoot();
  // nodejs and adduser are not in the throwaway root: their absence is the only thing forced
  dpkgRoot('--force-depends', '-i', deb);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the Debian package', () => {
  it('declares its name, version, architecture and the Node.js its addon was built for', () => {
    const field = (name: string) => tool('dpkg-deb', ['-f', deb, name]).trim();
    const major = Number(process.versions.node.split('.')[0]);
    expect(field('Package')).toBe('atmosphere');
    expect(field('Version')).toBe(pkg.version);
    expect(field('Architecture')).toBe(tool('dpkg', ['--print-architecture']).trim());
    expect(field('Depends')).toContain(`nodejs (<< ${major + 1})`);
    expect(field('Depends')).toMatch(/nodejs \(>= 20\.19\)/);
  });

  it('installs the app under /usr/lib/atmosphere, the command in /usr/bin and the system unit', () => {
    expect(readlinkSync(join(root, 'usr', 'bin', 'atmosphere'))).toBe('../lib/atmosphere/bin/atmosphere.js');
    const app = join(root, 'usr', 'lib', 'atmosphere');
    for (const file of [
      'dist/bundle/atmosphere.js',
      'data/word-vectors.bin',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/libp2p/package.json',
    ]) {
      expect(existsSync(join(app, file)), file).toBe(true);
    }
    for (const devOnly of ['vitest', 'typescript', 'esbuild', 'better-sqlite3/deps']) {
      expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);
    }
    const unit = readFileSync(join(root, 'lib', 'systemd', 'system', 'atmosphere.service'), 'utf8');
    expect(unit).toMatch(/^User=atmosphere$/m);
    expect(unit).toMatch(/^Environment=ATMOSPHERE_HOME=\/var\/lib\/atmosphere$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/atmosphere start --foreground$/m);
  });

  it('creates the atmosphere system user and its home in the postinst', () => {
    const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
    const line = passwd.split('\n').find((l) => l.startsWith('atmosphere:'));
    expect(line).toBeDefined();
    const [, , uid, gid, , home, shell] = line!.split(':');
    expect(Number(uid)).toBeLessThan(1000);
    expect(home).toBe('/var/lib/atmosphere');
    expect(shell).toBe('/usr/sbin/nologin');
    const st = statSync(join(root, 'var', 'lib', 'atmosphere'));
    expect([st.uid, st.gid]).toEqual([Number(uid), Number(gid)]);
    expect(st.mode & 0o777).toBe(0o750);
    expect(dpkgRoot('-s', 'atmosphere')).toMatch(/^Status: install ok installed$/m);
  });

  it('ships a unit that systemd-analyze verify accepts', () => {
    if (missingTool('systemd-analyze') !== null)
      throw new Error('this test needs systemd-analyze (Debian package systemd)');
    // verify checks that ExecStart exists: point it at the command inside the throwaway root
    const unit = readFileSync(join(root, 'lib', 'systemd', 'system', 'atmosphere.service'), 'utf8').replace(
      'ExecStart=/usr/bin/atmosphere',
      `ExecStart=${join(root, 'usr', 'bin', 'atmosphere')}`,
    );
    const dir = join(work, 'verify');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'atmosphere.service'), unit);
    expect(() => tool('systemd-analyze', ['verify', join(dir, 'atmosphere.service')])).not.toThrow();
  });

  it('runs from the installed files: version, start, status, stop', async () => {
    const cli = join(root, 'usr', 'bin', 'atmosphere');
    const appRoot = join(root, 'usr', 'lib', 'atmosphere');
    const version = await runProgram(cli, ['--version']);
    expect(version.code, version.stderr).toBe(0);
    const { version: v, commit } = builtVersion(appRoot);
    expect(version.stdout.trim()).toBe(`${v} (${commit})`);

    const home = join(work, 'home');
    const { start, status, stop } = await startStatusStop(cli, home, cleanEnv());
    expect(start.code, `${start.stdout}\n${start.stderr}`).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, version: pkg.version });
    expect(stop.code, stop.stderr).toBe(0);
  });

  it('purges cleanly: files and the node home go', { timeout: 300_000 }, () => {
    dpkgRoot('--purge', 'atmosphere');
    expect(existsSync(join(root, 'usr', 'lib', 'atmosphere'))).toBe(false);
    expect(existsSync(join(root, 'usr', 'bin', 'atmosphere'))).toBe(false);
    expect(existsSync(join(root, 'var', 'lib', 'atmosphere'))).toBe(false);
  });
});
