import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  InvalidInputError,
  ServiceCommandFailedError,
  ServiceManagerUnavailableError,
} from '../../core/index.js';
import { runningNode } from '../../client/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { ServiceManager, ServiceScope } from '../service-files.js';
import {
  LAUNCHD_LABEL,
  SYSTEMD_UNIT_NAME,
  cliCommand,
  defaultServiceDir,
  readServiceTemplate,
  renderServiceFile,
  serviceFileName,
} from '../service-files.js';

interface ServiceOptions {
  user?: boolean;
  system?: boolean;
  unitDir?: string;
  runAs?: string;
  enable?: boolean;
  json?: boolean;
}

interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs systemctl or launchctl; `code` is null when the tool is not installed. */
function runTool(env: NodeJS.ProcessEnv, command: string, args: readonly string[]): Promise<ToolResult> {
  return new Promise((done) => {
    execFile(command, [...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        done({ code: null, stdout: '', stderr: `${command}: not found` });
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

async function mustRun(env: NodeJS.ProcessEnv, command: string, args: readonly string[]): Promise<void> {
  const result = await runTool(env, command, args);
  if (result.code !== 0) {
    const line = [command, ...args].join(' ');
    throw new ServiceCommandFailedError(`\`${line}\` failed${result.stderr ? `: ${result.stderr}` : ''}`, {
      details: { command: line, exitCode: result.code, stderr: result.stderr },
    });
  }
}

function scopeOf(opts: ServiceOptions): ServiceScope {
  if (opts.user === true && opts.system === true)
    throw new InvalidInputError('choose --user or --system, not both');
  return opts.system === true ? 'system' : 'user';
}

function managerFor(platform: NodeJS.Platform): ServiceManager {
  if (platform === 'linux') return 'systemd';
  if (platform === 'darwin') return 'launchd';
  throw new ServiceManagerUnavailableError(
    `atmosphere service supports systemd (Linux) and launchd (macOS), not ${platform}; ` +
      'run `atmosphere start` at logon instead (docs/INSTALL.md)',
  );
}

const systemctlScope = (scope: ServiceScope): string[] => (scope === 'user' ? ['--user'] : []);

/** States of `systemctl is-system-running` in which units can be enabled and started. */
const SYSTEMD_USABLE = new Set(['running', 'degraded', 'starting', 'initializing', 'maintenance']);

/** Why the service manager cannot be used here, or null when it can. */
async function managerUnavailable(
  env: NodeJS.ProcessEnv,
  manager: ServiceManager,
  scope: ServiceScope,
): Promise<string | null> {
  if (manager === 'launchd') {
    const r = await runTool(env, 'launchctl', ['version']);
    return r.code === null ? 'launchctl is not installed' : null;
  }
  const r = await runTool(env, 'systemctl', [...systemctlScope(scope), 'is-system-running']);
  if (r.code === null) return 'systemd is not installed on this machine (no systemctl)';
  if (SYSTEMD_USABLE.has(r.stdout)) return null;
  const state = r.stdout || r.stderr || 'unknown';
  return scope === 'user'
    ? `the systemd user manager is not running here (systemctl --user: ${state})`
    : `systemd is not running on this machine (systemctl: ${state}); this is common in containers and WSL`;
}

function launchdDomain(scope: ServiceScope): string {
  return scope === 'system' ? 'system' : `gui/${userInfo().uid}`;
}

function serviceTarget(ctx: CliContext, opts: ServiceOptions) {
  const manager = managerFor(process.platform);
  const scope = scopeOf(opts);
  const dir = resolve(opts.unitDir ?? defaultServiceDir(manager, scope, ctx.env));
  return { manager, scope, dir, file: join(dir, serviceFileName(manager)) };
}

function addScopeOptions(cmd: Command): Command {
  return cmd
    .option('--user', 'a per-user service (the default): systemd --user or a LaunchAgent')
    .option('--system', 'a system service (needs root): /etc/systemd/system or /Library/LaunchDaemons')
    .option(
      '--unit-dir <dir>',
      'where the service file goes (default: the manager’s directory for the scope)',
    )
    .option('--json', 'print the result as JSON');
}

export function registerServiceCommand(program: Command, ctx: CliContext): void {
  const service = program
    .command('service')
    .description('run the node as a service: systemd (Linux) or launchd (macOS)');

  addScopeOptions(
    service
      .command('install')
      .description('write the service file, then enable and start it')
      .option('--run-as <user>', 'system service: the account the node runs as (default: you)')
      .option('--no-enable', 'only write the service file; do not enable or start it'),
  ).action(async (opts: ServiceOptions, cmd: Command) => {
    const target = serviceTarget(ctx, opts);
    const home = homeFor(ctx, cmd).root;
    const enable = opts.enable !== false;
    if (enable) {
      const why = await managerUnavailable(ctx.env, target.manager, target.scope);
      if (why !== null) {
        throw new ServiceManagerUnavailableError(
          `${why}: cannot install the service. Run the node with \`atmosphere start\`, or write the file only with \`atmosphere service install --no-enable\``,
        );
      }
    }
    const content = renderServiceFile(
      {
        manager: target.manager,
        scope: target.scope,
        command: cliCommand(process.execPath, resolve(ctx.entryScript)),
        homeDir: home,
        user: target.scope === 'system' ? (opts.runAs ?? userInfo().username) : undefined,
      },
      readServiceTemplate(target.manager, target.scope),
    );
    mkdirSync(target.dir, { recursive: true });
    writeFileSync(target.file, content, { mode: 0o644 });
    if (enable) {
      if (target.manager === 'systemd') {
        const scope = systemctlScope(target.scope);
        const isDefaultDir = target.dir === resolve(defaultServiceDir('systemd', target.scope, ctx.env));
        await mustRun(ctx.env, 'systemctl', [...scope, 'daemon-reload']);
        await mustRun(ctx.env, 'systemctl', [
          ...scope,
          'enable',
          '--now',
          isDefaultDir ? SYSTEMD_UNIT_NAME : target.file,
        ]);
      } else {
        await mustRun(ctx.env, 'launchctl', ['bootstrap', launchdDomain(target.scope), target.file]);
      }
    }
    const running = runningNode(home);
    if (opts.json === true) {
      ctx.output.json({ ...target, home, enabled: enable });
      return;
    }
    ctx.output.line(`wrote ${target.file}`);
    if (enable) ctx.output.line(`the ${target.scope} service is enabled and started (home: ${home})`);
    else {
      ctx.output.line(
        target.manager === 'systemd'
          ? `not enabled; to start it: systemctl ${target.scope === 'user' ? '--user ' : ''}enable --now ${SYSTEMD_UNIT_NAME}`
          : `not loaded; to start it: launchctl bootstrap ${launchdDomain(target.scope)} ${target.file}`,
      );
    }
    if (running && running.pid !== process.pid) {
      ctx.output.error(
        `warning: a node started with \`atmosphere start\` is running with this home (pid ${running.pid}); ` +
          'the service cannot start while it runs: `atmosphere stop` it',
      );
    }
  });

  addScopeOptions(
    service.command('uninstall').description('stop and disable the service and remove its file'),
  ).action(async (opts: ServiceOptions) => {
    const target = serviceTarget(ctx, opts);
    const installed = existsSync(target.file);
    const why = await managerUnavailable(ctx.env, target.manager, target.scope);
    if (installed && why === null) {
      if (target.manager === 'systemd') {
        const scope = systemctlScope(target.scope);
        // not loaded (never enabled) is fine: the file goes either way
        await runTool(ctx.env, 'systemctl', [...scope, 'disable', '--now', SYSTEMD_UNIT_NAME]);
      } else {
        await runTool(ctx.env, 'launchctl', ['bootout', `${launchdDomain(target.scope)}/${LAUNCHD_LABEL}`]);
      }
    }
    if (installed) rmSync(target.file, { force: true });
    if (installed && why === null && target.manager === 'systemd') {
      await mustRun(ctx.env, 'systemctl', [...systemctlScope(target.scope), 'daemon-reload']);
    }
    if (opts.json === true) {
      ctx.output.json({ ...target, removed: installed, managerAvailable: why === null });
      return;
    }
    if (!installed) ctx.output.line(`no service file at ${target.file}; nothing to remove`);
    else ctx.output.line(`removed ${target.file}${why === null ? ' (service stopped and disabled)' : ''}`);
    if (why !== null) ctx.output.error(`note: ${why}`);
  });

  addScopeOptions(
    service.command('status').description('whether the service is installed, enabled and running'),
  ).action(async (opts: ServiceOptions) => {
    const target = serviceTarget(ctx, opts);
    const installed = existsSync(target.file);
    const why = await managerUnavailable(ctx.env, target.manager, target.scope);
    let active: string | null = null;
    let enabled: string | null = null;
    if (why === null && installed) {
      if (target.manager === 'systemd') {
        const scope = systemctlScope(target.scope);
        active =
          (await runTool(ctx.env, 'systemctl', [...scope, 'is-active', SYSTEMD_UNIT_NAME])).stdout || null;
        enabled =
          (await runTool(ctx.env, 'systemctl', [...scope, 'is-enabled', SYSTEMD_UNIT_NAME])).stdout || null;
      } else {
        const r = await runTool(ctx.env, 'launchctl', [
          'print',
          `${launchdDomain(target.scope)}/${LAUNCHD_LABEL}`,
        ]);
        active = r.code === 0 ? 'loaded' : 'not loaded';
      }
    }
    if (!installed) ctx.exit.code = EXIT_CODES.unavailable;
    if (opts.json === true) {
      ctx.output.json({ ...target, installed, managerAvailable: why === null, reason: why, active, enabled });
      return;
    }
    ctx.output.line(
      `${target.scope} service (${target.manager}): ${installed ? 'installed' : 'not installed'}`,
    );
    ctx.output.line(`  file     ${target.file}`);
    if (active !== null) ctx.output.line(`  active   ${active}`);
    if (enabled !== null) ctx.output.line(`  enabled  ${enabled}`);
    if (why !== null) ctx.output.line(`  note     ${why}`);
  });
}
