/**
 * The shared plumbing of the hardware probes: one `ProbeContext` per scan runs each tool at most
 * once (several probes read `system_profiler` and `lspci`), bounds it by the timeout, forwards
 * the abort signal, and keeps a log of what each probe asked so its `ProbeRun` can say "ok",
 * "not_detected" (nothing could be asked), "failed" or "timed_out".
 */
import type { ProbeRun } from '../../core/index.js';
import { describeCommandResult, type CommandResult, type ScanEnv } from '../scan-env.js';
import type { HostInfo } from './host.js';

type ProbeStatus = ProbeRun['status'];

export interface ProbeContext {
  readonly env: ScanEnv;
  readonly host: HostInfo;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** Runs a tool once per scan; later calls with the same arguments share the result. */
  run(command: string, args: readonly string[]): Promise<CommandResult>;
  readText(path: string): Promise<string | null>;
  /** Entry names of a folder, or null when it is missing or unreadable. */
  listNames(path: string): Promise<string[] | null>;
}

export function createProbeContext(
  env: ScanEnv,
  host: HostInfo,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal },
): ProbeContext {
  const runs = new Map<string, Promise<CommandResult>>();
  const runOptions = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return {
    env,
    host,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    run(command, args) {
      const key = JSON.stringify([command, ...args]);
      let pending = runs.get(key);
      if (pending === undefined) {
        pending = env.run(command, args, runOptions);
        runs.set(key, pending);
      }
      return pending;
    },
    readText: (path) => env.readText(path, options.signal === undefined ? {} : { signal: options.signal }),
    listNames: async (path) => {
      options.signal?.throwIfAborted();
      const entries = await env.list(path);
      return entries === null ? null : entries.map((entry) => entry.name).sort();
    },
  };
}

/** What one source (a tool or a file) answered. */
export type SourceOutcome =
  | { readonly source: string; readonly status: 'ok' }
  | { readonly source: string; readonly status: 'missing' }
  | { readonly source: string; readonly status: 'failed'; readonly reason: string }
  | { readonly source: string; readonly status: 'timed_out'; readonly reason: string };

/** The outcome of a command, named after the tool. */
export function commandOutcome(source: string, result: CommandResult): SourceOutcome {
  switch (result.status) {
    case 'ok':
      return { source, status: 'ok' };
    case 'missing':
      return { source, status: 'missing' };
    case 'timed_out':
      return { source, status: 'timed_out', reason: describeCommandResult(result) };
    case 'failed':
      return { source, status: 'failed', reason: describeCommandResult(result) };
  }
}

function joinNames(names: readonly string[]): string {
  return names.join(', ');
}

/**
 * A probe's status and detail from what its sources answered:
 * - any source answered → `ok` (the detail names the sources that did not, if any);
 * - every source was missing → `not_detected`, e.g. "nvidia-smi, rocm-smi are not installed";
 * - otherwise `timed_out` when nothing but timeouts and missing tools, else `failed`.
 */
export function summarizeOutcomes(outcomes: readonly SourceOutcome[]): {
  status: ProbeStatus;
  detail: string | null;
} {
  const missingWording = defaultMissingWording;
  const ok = outcomes.filter((outcome) => outcome.status === 'ok').map((outcome) => outcome.source);
  const missing = outcomes.filter((outcome) => outcome.status === 'missing').map((outcome) => outcome.source);
  const problems = outcomes.flatMap((outcome) =>
    outcome.status === 'failed' || outcome.status === 'timed_out'
      ? [`${outcome.source}: ${outcome.reason}`]
      : [],
  );
  const notes = [...(missing.length > 0 ? [missingWording(missing)] : []), ...problems];
  if (ok.length > 0) {
    return { status: 'ok', detail: [`via ${joinNames(ok)}`, ...notes].join('; ') };
  }
  if (problems.length === 0) {
    return {
      status: 'not_detected',
      detail: missing.length > 0 ? missingWording(missing) : 'nothing to ask',
    };
  }
  const onlyTimeouts = outcomes.every(
    (outcome) => outcome.status === 'timed_out' || outcome.status === 'missing',
  );
  return { status: onlyTimeouts ? 'timed_out' : 'failed', detail: notes.join('; ') };
}

/**
 * "nvidia-smi is not installed" / "nvidia-smi, rocm-smi are not installed"; paths read
 * "/sys/class/accel is not readable".
 */
export function defaultMissingWording(names: readonly string[]): string {
  const tools = names.filter((name) => !name.startsWith('/'));
  const paths = names.filter((name) => name.startsWith('/'));
  const verb = (list: readonly string[]): string => (list.length === 1 ? 'is' : 'are');
  return [
    ...(tools.length > 0 ? [`${joinNames(tools)} ${verb(tools)} not installed`] : []),
    ...(paths.length > 0 ? [`${joinNames(paths)} ${verb(paths)} not readable`] : []),
  ].join('; ');
}

/** A probe's answer: the value for the report and how the probe went. */
export interface ProbeAnswer<T> {
  readonly value: T;
  readonly status: ProbeStatus;
  readonly detail: string | null;
}
