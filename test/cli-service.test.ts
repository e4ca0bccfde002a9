// `atmosphere service install|uninstall|status` through the built CLI, with the unit directory in a
// temp dir (--unit-dir) and, where systemd must answer, a fake `systemctl` on PATH that records calls.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, ensureBuilt, runAtmosphere } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 300_000);

let dir = '';
let units = '';
let bin = '';
let calls = '';
let home = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atm-service-'));
  units = join(dir, 'units');
  bin = join(dir, 'bin');
  calls = join(dir, 'calls.log');
  home = join(dir, 'home');
  mkdirSync(bin);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A systemctl that answers `is-system-running` with `state` and records every call. */
function fakeSystemctl(state: string): void {
  const file = join(bin, 'systemctl');
  writeFileSync(
    file,
    `#!/bin/bash
echo "systemctl $*" >> "${calls}"
case "$*" in
  *is-system-running*) echo "${state}"; [ "${state}" = running ] ;;
  *is-active*) echo active ;;
  *is-enabled*) echo enabled ;;
  *) exit 0 ;;
esac
`,
  );
  chmodSync(file, 0o755);
}

const recorded = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);
const service = (...args: string[]) =>
  runAtmosphere(['--home', home, 'service', ...args, '--unit-dir', units], { env: cleanEnv({ PATH: bin }) });

describe('atmosphere service', () => {
  it('writes a user unit that runs this CLI with its home, and systemd-analyze accepts it', async () => {
    const r = await service('install', '--no-enable');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('systemctl --user enable --now atmosphere.service');
    const unitFile = join(units, 'atmosphere.service');
    const unit = readFileSync(unitFile, 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${CLI} start --foreground`);
    expect(unit).toContain(`Environment=ATMOSPHERE_HOME=${home}`);
    expect(unit).toMatch(/^WantedBy=default\.target$/m);
    const verify = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    if (verify.error) throw new Error('this test needs systemd-analyze (Debian package systemd)');
    expect(verify.status, verify.stderr).toBe(0);
  });

  it('writes a system unit for the account given with --run-as', async () => {
    const r = await service('install', '--system', '--run-as', 'root', '--no-enable');
    expect(r.code, r.stderr).toBe(0);
    const unitFile = join(units, 'atmosphere.service');
    const unit = readFileSync(unitFile, 'utf8');
    expect(unit).toMatch(/^User=root$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    expect(spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' }).status).toBe(0);
  });

  it('says clearly that systemd is not running, and writes nothing, when it cannot enable the unit', async () => {
    fakeSystemctl('offline');
    const r = await service('install');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the systemd user manager is not running here (systemctl --user: offline)');
    expect(r.stderr).toContain('--no-enable');
    expect(existsSync(join(units, 'atmosphere.service'))).toBe(false);
  });

  it('says that systemd is not installed when there is no systemctl', async () => {
    const r = await service('install', '--system');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('systemd is not installed on this machine (no systemctl)');
  });

  it('enables and starts the unit, reports it, and disables and removes it, through systemctl', async () => {
    fakeSystemctl('running');
    const installed = await service('install');
    expect(installed.code, installed.stderr).toBe(0);
    const unitFile = join(units, 'atmosphere.service');
    expect(existsSync(unitFile)).toBe(true);
    expect(recorded()).toEqual([
      'systemctl --user is-system-running',
      'systemctl --user daemon-reload',
      // a unit outside systemd's own directories is enabled by its path
      `systemctl --user enable --now ${unitFile}`,
    ]);

    rmSync(calls);
    const status = await service('status', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      installed: true,
      managerAvailable: true,
      active: 'active',
      enabled: 'enabled',
      file: unitFile,
    });

    rmSync(calls);
    const removed = await service('uninstall');
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(unitFile)).toBe(false);
    expect(recorded()).toEqual([
      'systemctl --user is-system-running',
      'systemctl --user disable --now atmosphere.service',
      'systemctl --user daemon-reload',
    ]);

    const after = await service('status');
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('user service (systemd): not installed');
  });

  it('refuses --user and --system together', async () => {
    const r = await service('status', '--user', '--system');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('choose --user or --system, not both');
  });
});
