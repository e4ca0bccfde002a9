/**
 * Services the operating system's service manager runs: systemd on Linux (`systemctl list-units`,
 * system and user managers), launchd on macOS (`launchctl list`). Only units that are known
 * services (see `known-services.ts`) or container runtimes are reported, so the report is not a
 * list of every daemon. A machine without a running service manager (a container whose PID 1 is
 * not systemd) is "not detected" with the reason.
 */
import type { ProbeRun, ServiceFinding } from '../../core/index.js';
import type { CommandResult, ScanEnv } from '../scan-env.js';
import { describeCommandResult } from '../scan-env.js';
import { serviceForLaunchdLabel, serviceForSystemdUnit } from './known-services.js';

/** Longest wait for `systemctl` or `launchctl`. */
export const DEFAULT_SERVICE_MANAGER_TIMEOUT_MS = 2_000;

export const SYSTEMCTL_ARGS = [
  'list-units',
  '--type=service',
  '--state=running',
  '--no-legend',
  '--no-pager',
  '--plain',
] as const;

export interface SystemdUnit {
  /** `ollama.service` */
  readonly unit: string;
  readonly load: string;
  readonly active: string;
  readonly sub: string;
  readonly description: string;
}

export interface LaunchdJob {
  /** Null when the job is loaded but not running (`-`). */
  readonly pid: number | null;
  /** Last exit status; null when launchctl shows `-`. */
  readonly lastExitStatus: number | null;
  readonly label: string;
}

/** Runtimes that are worth a line though they serve no model: the containers come through them. */
const CONTAINER_RUNTIMES: readonly {
  readonly id: string;
  readonly name: string;
  readonly systemd: RegExp;
  readonly launchd: RegExp;
}[] = [
  {
    id: 'docker',
    name: 'Docker Engine',
    systemd: /^docker\.service$/,
    launchd: /^(application\.)?com\.docker\.docker(\.|$)/,
  },
  {
    id: 'podman',
    name: 'Podman',
    systemd: /^podman\.service$/,
    launchd: /^(application\.)?com\.redhat\.podman/,
  },
];

/** `systemctl list-units --no-legend --plain` lines: `UNIT LOAD ACTIVE SUB DESCRIPTION`. */
export function parseSystemctlUnits(stdout: string): SystemdUnit[] {
  const out: SystemdUnit[] = [];
  for (const line of stdout.split('\n')) {
    // older systemd prints a status bullet before failed units even with --plain
    const fields = line
      .trim()
      .replace(/^[●*]\s*/, '')
      .split(/\s+/);
    const [unit, load, active, sub, ...description] = fields;
    if (unit === undefined || sub === undefined || !unit.includes('.')) continue;
    out.push({ unit, load: load ?? '', active: active ?? '', sub, description: description.join(' ') });
  }
  return out;
}

/** `launchctl list`: a `PID Status Label` header, then tab-separated rows (`-` for none). */
export function parseLaunchctlList(stdout: string): LaunchdJob[] {
  const out: LaunchdJob[] = [];
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3) continue;
    const [pid, status, ...rest] = fields;
    if (pid === 'PID') continue;
    const toNumber = (value: string | undefined): number | null =>
      value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
    out.push({ pid: toNumber(pid), lastExitStatus: toNumber(status), label: rest.join(' ') });
  }
  return out;
}

function unitFinding(
  name: string,
  manager: 'systemd' | 'launchd',
  detail: string,
  known: { id: string; name: string; kind: string },
): ServiceFinding {
  return {
    id: known.id,
    name: known.name,
    kind: known.kind,
    source: manager,
    url: null,
    port: null,
    version: null,
    evidence: `${manager === 'systemd' ? 'systemd unit' : 'launchd job'} ${name} is running${detail}`,
  };
}

/** The known services and container runtimes among running systemd units. */
export function systemdFindings(
  units: readonly SystemdUnit[],
  scope: 'system' | 'user' = 'system',
): ServiceFinding[] {
  const out: ServiceFinding[] = [];
  for (const u of units) {
    const detail = `${scope === 'user' ? ' (user manager)' : ''}${u.description ? `: ${u.description}` : ''}`;
    const runtime = CONTAINER_RUNTIMES.find((r) => r.systemd.test(u.unit));
    if (runtime) {
      out.push(unitFinding(u.unit, 'systemd', detail, { ...runtime, kind: 'container-runtime' }));
      continue;
    }
    const known = serviceForSystemdUnit(u.unit);
    if (known) out.push(unitFinding(u.unit, 'systemd', detail, known));
  }
  return out;
}

/** The known services and container runtimes among running launchd jobs. */
export function launchdFindings(jobs: readonly LaunchdJob[]): ServiceFinding[] {
  const out: ServiceFinding[] = [];
  for (const job of jobs) {
    if (job.pid === null) continue;
    const detail = ` (pid ${job.pid})`;
    const runtime = CONTAINER_RUNTIMES.find((r) => r.launchd.test(job.label));
    if (runtime) {
      out.push(unitFinding(job.label, 'launchd', detail, { ...runtime, kind: 'container-runtime' }));
      continue;
    }
    const known = serviceForLaunchdLabel(job.label);
    if (known) out.push(unitFinding(job.label, 'launchd', detail, known));
  }
  return out;
}

/** systemd says this when it is installed but not running (PID 1 is something else). */
const NO_SYSTEMD = /not been booted with systemd|failed to connect to bus|system has not been booted/i;

function notOk(
  result: Exclude<CommandResult, { status: 'ok' }>,
  tool: string,
): {
  status: ProbeRun['status'];
  detail: string;
} {
  if (result.status === 'missing') return { status: 'not_detected', detail: `${tool} is not installed` };
  if (result.status === 'timed_out')
    return { status: 'timed_out', detail: `${tool} ${describeCommandResult(result)}` };
  if (tool === 'systemctl' && (NO_SYSTEMD.test(result.stderr) || NO_SYSTEMD.test(result.reason))) {
    const why = result.stderr.trim().split('\n').join(' ') || result.reason;
    return { status: 'not_detected', detail: `systemd is not running here: ${why}` };
  }
  return { status: 'failed', detail: `${tool} failed: ${result.reason}` };
}

/**
 * Known services run by this machine's service manager, with the probe's run (id `systemd`; on
 * macOS it reads launchd). Throws only when `signal` aborts.
 */
export async function probeServiceUnits(
  env: ScanEnv,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<{ services: ServiceFinding[]; probe: ProbeRun }> {
  const started = performance.now();
  const runOptions = {
    timeoutMs: options.timeoutMs ?? DEFAULT_SERVICE_MANAGER_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const done = (status: ProbeRun['status'], detail: string, services: ServiceFinding[] = []) => ({
    services,
    probe: { id: 'systemd', status, durationMs: Math.round(performance.now() - started), detail },
  });
  const counted = (services: ServiceFinding[], of: number, what: string): string =>
    `${services.length} known service${services.length === 1 ? '' : 's'} among ${of} running ${what}`;

  if (env.platform === 'linux') {
    const [system, user] = await Promise.all([
      env.run('systemctl', SYSTEMCTL_ARGS, runOptions),
      env.run('systemctl', ['--user', ...SYSTEMCTL_ARGS], runOptions),
    ]);
    if (system.status !== 'ok') {
      const { status, detail } = notOk(system, 'systemctl');
      return done(status, detail);
    }
    const systemUnits = parseSystemctlUnits(system.stdout);
    // the user manager may be absent (no login session): its units are a bonus, not a requirement
    const userUnits = user.status === 'ok' ? parseSystemctlUnits(user.stdout) : [];
    const services = [...systemdFindings(systemUnits), ...systemdFindings(userUnits, 'user')];
    return done('ok', counted(services, systemUnits.length + userUnits.length, 'systemd units'), services);
  }
  if (env.platform === 'darwin') {
    const result = await env.run('launchctl', ['list'], runOptions);
    if (result.status !== 'ok') {
      const { status, detail } = notOk(result, 'launchctl');
      return done(status, detail);
    }
    const jobs = parseLaunchctlList(result.stdout).filter((j) => j.pid !== null);
    const services = launchdFindings(jobs);
    return done('ok', counted(services, jobs.length, 'launchd jobs'), services);
  }
  return done('not_detected', `no service manager probe for ${env.platform}`);
}
