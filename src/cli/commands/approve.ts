/**
 * `atmosphere approve`: the owner decides what this node offers the mesh (seed Parts 1.2 and 7).
 * In a terminal, a checklist of what the last scan found; without one, flags (`--recommended`,
 * `--expose`, `--deny`, `--yes`) — it never waits for input that cannot come. What is decided is
 * written as the `expose:` section of config.yaml (and `limits:` when the VRAM cap changes) in one
 * atomic write; a running node watches the file and re-announces. `--show` prints what is in effect.
 * The Matter devices the running node has commissioned (`GET /api/matter/devices`) are listed too,
 * one toggle per device, written as `expose.capabilities.allow/deny` entries.
 */
import { existsSync } from 'node:fs';
import { emitKeypressEvents } from 'node:readline';
import type { Command } from 'commander';
import type { HomePaths } from '../../client/index.js';
import { ensureHome } from '../../client/index.js';
import type { ResolvedConfig, ScanReport } from '../../core/index.js';
import { NodeNotRunningError, NotFoundError, InvalidInputError, silentLogger } from '../../core/index.js';
import {
  loadConfig,
  readEnvConfig,
  readStoredScan,
  resolveConfig,
  runLocalScan,
  setConfigSections,
} from '../../node/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import type { ChecklistState, ChecklistView } from './approve-checklist.js';
import { initialChecklist, pressKey, renderChecklist } from './approve-checklist.js';
import { checklistItems, choicesFromChecklist } from './approve-items.js';
import type {
  ApprovalChoices,
  ExposurePlan,
  ExposureSummary,
  MatterDeviceInfo,
  PatternRule,
} from './approve-plan.js';
import {
  currentChoices,
  normalizePattern,
  parseMatterDevices,
  planExposure,
  proposedChoices,
  recommendedChoices,
  summarizePlan,
  summaryLines,
  withMatterCandidates,
} from './approve-plan.js';
import type { MatterListing } from './approve-show.js';
import { exposureReport, formatExposureReport } from './approve-show.js';
import { confirm, connectToNode } from './shared.js';

/** How long approve waits for the running node to list its Matter devices. */
const MATTER_LIST_TIMEOUT_MS = 5_000;

/**
 * The Matter devices the running node has commissioned, or why there are none to list (the node
 * is not running, its bridge is off, it could not be asked). Never throws but for an abort.
 */
export async function matterListing(
  paths: HomePaths,
  options: { signal?: AbortSignal } = {},
): Promise<MatterListing> {
  try {
    const client = connectToNode(paths);
    const signal = AbortSignal.any([
      AbortSignal.timeout(MATTER_LIST_TIMEOUT_MS),
      ...(options.signal ? [options.signal] : []),
    ]);
    const { enabled, devices } = parseMatterDevices(
      await client.request<unknown>('GET', '/api/matter/devices', { signal }),
    );
    if (!enabled) {
      return {
        available: false,
        reason:
          'Matter is off on this node (matter.enabled: set it to true in config.yaml and restart the node)',
      };
    }
    return { available: true, devices };
  } catch (err) {
    if (options.signal?.aborted === true) throw err;
    if (err instanceof NodeNotRunningError) {
      return {
        available: false,
        reason: 'the node is not running (`atmosphere start`, then approve again to list its Matter devices)',
      };
    }
    if (err instanceof NotFoundError)
      return {
        available: false,
        reason: 'the running node has no Matter bridge (GET /api/matter/devices: 404)',
      };
    return {
      available: false,
      reason: `the node did not list them: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

const systemClock = { now: () => Date.now() };

/** What the owner asked for on the command line (or what the join flow passes on). */
export interface ApproveRequest {
  readonly recommended?: boolean;
  readonly expose?: readonly string[];
  readonly deny?: readonly string[];
  readonly maxVramPercent?: number;
  /** Write without asking. */
  readonly yes?: boolean;
  /** Scan again even when a scan is stored. */
  readonly rescan?: boolean;
  /** Print the result as JSON (flags only: the checklist needs a person). */
  readonly json?: boolean;
  /** Print no result (the join flow reports the outcome as one of its steps). */
  readonly quiet?: boolean;
}

export type ApproveOutcome =
  | {
      readonly status: 'written';
      readonly plan: ExposurePlan;
      readonly summary: ExposureSummary;
      readonly configPath: string;
    }
  | { readonly status: 'cancelled' };

/** The flags that say what to expose without asking, named in every refusal. */
export const APPROVE_FLAGS_HINT =
  '--recommended (what the scanner recommends), --expose PATTERN / --deny PATTERN (globs over capability ids such as "ollama/llama3.2:*" or "camera/*"; `atmosphere approve --show` lists them) and --yes to write without asking';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface ApproveFlags {
  show?: boolean;
  json?: boolean;
  recommended?: boolean;
  expose?: string[];
  deny?: string[];
  maxVramPercent?: string;
  yes?: boolean;
  rescan?: boolean;
}

export function registerApproveCommand(program: Command, ctx: CliContext): void {
  program
    .command('approve')
    .description(
      'choose what this node offers the mesh: models, GPU, camera, microphone ... (writes expose: in config.yaml)',
    )
    .option(
      '--show',
      'print the exposure in effect: each capability, exposed or private, and the rule that decided',
    )
    .option('--json', 'with --show or flags: print JSON')
    .option(
      '--recommended',
      'expose exactly what the scan recommends; camera, microphone, location and screen stay private',
    )
    .option(
      '--expose <pattern>',
      'expose capabilities whose id matches this glob (repeatable), e.g. "ollama/llama3.2:*"',
      collect,
    )
    .option(
      '--deny <pattern>',
      'keep capabilities whose id matches this glob private (repeatable); wins over --expose',
      collect,
    )
    .option(
      '--max-vram-percent <percent>',
      'highest share of GPU memory mesh work may use (limits.max_vram_percent)',
    )
    .option('--yes', 'write without asking for confirmation')
    .option('--rescan', 'scan again instead of using the stored scan')
    .addHelpText(
      'after',
      [
        '',
        'In a terminal: ↑/↓ (j/k) move, space toggles, ←/→ or m changes a mode, a toggles a whole group,',
        'enter shows what will be exposed and kept private, y writes it, q or Ctrl-C quits without writing.',
        'Without a terminal, say what to expose with the flags; approve never waits for input.',
        'Matter devices the running node has commissioned are listed too, one toggle each; as flags,',
        '--expose "matter/*" or --deny "matter/kitchen-*" (ids as `atmosphere matter list` shows them).',
        'A running node re-announces within seconds of the write.',
      ].join('\n'),
    )
    .action(async (opts: ApproveFlags, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      if (opts.show === true) {
        await showExposure(ctx, paths, opts.json === true);
        return;
      }
      const outcome = await runApprove(ctx, paths, {
        recommended: opts.recommended === true,
        expose: opts.expose,
        deny: opts.deny,
        ...(opts.maxVramPercent === undefined ? {} : { maxVramPercent: parsePercent(opts.maxVramPercent) }),
        yes: opts.yes === true,
        rescan: opts.rescan === true,
        json: opts.json === true,
      });
      if (outcome.status === 'cancelled') {
        ctx.output.error('Nothing written: config.yaml is unchanged.');
        ctx.exit.code = 1;
      }
    });
}

function parsePercent(text: string): number {
  const value = Number(text.trim().replace(/%$/, ''));
  if (!Number.isFinite(value) || value < 1 || value > 100) {
    throw new InvalidInputError(`--max-vram-percent expects a number from 1 to 100, got "${text}"`);
  }
  return value;
}

function patternsOf(request: ApproveRequest): PatternRule[] {
  const rules: PatternRule[] = [
    ...(request.expose ?? []).map((pattern) => ({ action: 'expose' as const, pattern })),
    ...(request.deny ?? []).map((pattern) => ({ action: 'deny' as const, pattern })),
  ];
  for (const rule of rules) {
    const p = normalizePattern(rule.pattern);
    if (p === '' || /\s/.test(p)) {
      throw new InvalidInputError(
        `--${rule.action} expects a glob over capability ids such as "ollama/llama3.2:*", got "${rule.pattern}"`,
      );
    }
  }
  return rules;
}

/** The stored scan, or a new one (progress on stderr) when there is none or `rescan` asks. */
async function scanFor(
  ctx: CliContext,
  paths: HomePaths,
  config: ResolvedConfig,
  rescan: boolean,
): Promise<ScanReport> {
  const logger = silentLogger();
  if (!rescan && existsSync(paths.database)) {
    const stored = await readStoredScan({ home: paths, logger, clock: systemClock });
    if (stored !== null) return stored;
  }
  ensureHome(paths);
  ctx.output.error('🔍 Scanning system capabilities...');
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const report = await runLocalScan({
      home: paths,
      config,
      logger,
      clock: systemClock,
      env: ctx.env,
      signal: controller.signal,
      onProgress: (message: string) => ctx.output.error(`   ${message}`),
    });
    ctx.output.error('');
    return report;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

function titleLines(scan: ScanReport): string[] {
  const when = new Date(scan.scannedAtMs).toISOString().replace('T', ' ').slice(0, 16);
  return [`Atmosphere · approve what ${scan.hostname} offers the mesh (scan of ${when} UTC)`];
}

function envSetsExposure(env: NodeJS.ProcessEnv): boolean {
  const input = readEnvConfig(env).input as Record<string, unknown>;
  return input.expose !== undefined || input.limits !== undefined;
}

/**
 * Runs the approval: the stored scan (or a new one), then the checklist in a terminal or the flags
 * without one, then one atomic write of `expose:` (and `limits:`). Refusals (no terminal and no
 * flags; flags without `--yes` and no terminal to confirm in) throw InvalidInputError naming the
 * flags. Exported for the join flow.
 */
export async function runApprove(
  ctx: CliContext,
  paths: HomePaths,
  request: ApproveRequest,
): Promise<ApproveOutcome> {
  const patterns = patternsOf(request);
  const { config, file, warnings } = loadConfig({ path: paths.config, env: ctx.env });
  for (const w of warnings) ctx.output.error(`warning: ${w}`);
  const stored = await scanFor(ctx, paths, config, request.rescan === true);
  const listing = await matterListing(paths);
  const matter: readonly MatterDeviceInfo[] = listing.available ? listing.devices : [];
  // the devices' capabilities are planned like the scan's candidates
  const scan = withMatterCandidates(stored, matter) ?? stored;
  // The write starts from the file (over the defaults), not from the environment's overrides.
  const base = resolveConfig({ file }).config;
  const explicitLayers = [file.input, readEnvConfig(ctx.env).input];
  const interactive = ctx.output.stdinIsTTY && ctx.output.stdoutIsTTY;
  const flagged = request.recommended === true || patterns.length > 0 || request.maxVramPercent !== undefined;

  let plan: ExposurePlan;
  if (flagged) {
    const start: ApprovalChoices =
      request.recommended === true ? recommendedChoices(config, scan) : currentChoices(config, scan);
    const choices =
      request.maxVramPercent === undefined ? start : { ...start, maxVramPercent: request.maxVramPercent };
    plan = planExposure({ config: base, fileInput: file.input, scan, choices, patterns });
    for (const note of plan.notes) ctx.output.error(`note: ${note}`);
    if (request.yes !== true) {
      if (request.json !== true)
        for (const line of summaryLines(summarizePlan(config, plan, scan))) ctx.output.line(line);
      if (!interactive) {
        throw new InvalidInputError(
          `nothing written: no terminal to confirm in; add --yes to write this to ${paths.config}`,
        );
      }
      if (!(await confirm(`Write this to ${paths.config}?`))) return { status: 'cancelled' };
    }
  } else {
    const proposal = proposedChoices(config, scan, explicitLayers);
    const start = initialChecklist(checklistItems(scan, proposal, matter));
    if (!interactive) {
      const view: ChecklistView = {
        width: 100,
        height: 10_000,
        color: false,
        cursor: false,
        title: titleLines(scan),
        review: [],
      };
      if (request.json !== true) for (const line of renderChecklist(start, view)) ctx.output.line(line);
      throw new InvalidInputError(
        `approve needs a terminal to ask you, and none is attached: nothing written. Say what to expose with ${APPROVE_FLAGS_HINT}`,
      );
    }
    const planFor = (state: ChecklistState): ExposurePlan =>
      planExposure({
        config: base,
        fileInput: file.input,
        scan,
        choices: choicesFromChecklist(state, proposal, scan, matter),
      });
    const reviewLines = (state: ChecklistState, width: number): string[] => {
      const p = planFor(state);
      const sections = p.limits === undefined ? 'expose:' : 'expose: and limits:';
      return [
        'Review: nothing is written until you press y.',
        '',
        ...summaryLines(summarizePlan(config, p, scan), width),
        '',
        `Writes ${sections} in ${paths.config}`,
      ];
    };
    const final = await runChecklistInTerminal(ctx, start, {
      title: titleLines(scan),
      review: reviewLines,
    });
    if (final.outcome !== 'confirmed') return { status: 'cancelled' };
    plan = planFor(final);
  }

  setConfigSections(paths.config, {
    expose: plan.expose,
    ...(plan.limits === undefined ? {} : { limits: plan.limits }),
  });
  const summary = summarizePlan(config, plan, scan);
  if (request.quiet !== true) printResult(ctx, paths, plan, summary, request.json === true);
  return { status: 'written', plan, summary, configPath: paths.config };
}

function printResult(
  ctx: CliContext,
  paths: HomePaths,
  plan: ExposurePlan,
  summary: ExposureSummary,
  json: boolean,
): void {
  const overridden = envSetsExposure(ctx.env);
  if (json) {
    ctx.output.json({
      written: true,
      configPath: paths.config,
      expose: plan.expose,
      limits: plan.limits ?? null,
      exposed: summary.exposed.map((e) => e.id),
      private: summary.private.map((e) => e.id),
      notes: plan.notes,
    });
    return;
  }
  const out = ctx.output;
  out.line(`Saved ${plan.limits === undefined ? 'expose:' : 'expose: and limits:'} to ${paths.config}.`);
  out.line(
    `Exposed now (${summary.exposed.length}): ${summary.exposed.map((e) => e.label).join(', ') || 'nothing'}`,
  );
  out.line(
    `Kept private (${summary.private.length}): ${summary.private.map((e) => e.label).join(', ') || 'nothing'}`,
  );
  out.line('A running node re-announces within seconds.');
  if (overridden)
    out.error(
      'note: ATMOSPHERE_EXPOSE__* or ATMOSPHERE_LIMITS__* variables are set; they override the file while they are',
    );
}

async function showExposure(ctx: CliContext, paths: HomePaths, json: boolean): Promise<void> {
  const { config, file, warnings } = loadConfig({ path: paths.config, env: ctx.env });
  if (!json) for (const w of warnings) ctx.output.error(`warning: ${w}`);
  const scan = existsSync(paths.database)
    ? await readStoredScan({ home: paths, logger: silentLogger(), clock: systemClock })
    : null;
  const report = exposureReport({
    config,
    scan,
    explicitLayers: [file.input, readEnvConfig(ctx.env).input],
    configPath: paths.config,
    matter: await matterListing(paths),
  });
  if (json) {
    ctx.output.json(report);
    return;
  }
  for (const line of formatExposureReport(report)) ctx.output.line(line);
}

// ---- the terminal ---------------------------------------------------------------------------------

const CSI = '\u001b[';

/**
 * Drives the checklist on this process's terminal: raw keys in (readline keypress events), the
 * screen redrawn through `ctx.output.write` on the alternate screen. The terminal is restored on
 * every way out: confirm, quit, Ctrl-C, end of input, SIGTERM/SIGHUP, an error, process exit.
 */
function runChecklistInTerminal(
  ctx: CliContext,
  initial: ChecklistState,
  screens: {
    readonly title: readonly string[];
    readonly review: (state: ChecklistState, width: number) => string[];
  },
): Promise<ChecklistState> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  let state = initial;
  const draw = (): void => {
    const width = Math.max(40, stdout.columns > 0 ? stdout.columns : 80);
    const height = Math.max(10, stdout.rows > 0 ? stdout.rows : 24);
    const lines = renderChecklist(state, {
      width,
      height,
      color: true,
      title: screens.title,
      review: state.screen === 'review' ? screens.review(state, width) : [],
    });
    ctx.output.write(`${CSI}H${lines.map((l) => `${l}${CSI}K`).join('\n')}${CSI}J`);
  };

  return new Promise<ChecklistState>((resolve, reject) => {
    const wasRaw = stdin.isRaw;
    let restored = false;
    const restore = (): void => {
      if (restored) return;
      restored = true;
      stdin.removeListener('keypress', onKey);
      stdin.removeListener('end', onEnd);
      stdout.removeListener('resize', onResize);
      process.removeListener('exit', restore);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGHUP', onSignal);
      try {
        stdin.setRawMode(wasRaw);
      } catch {
        // the terminal is already gone
      }
      stdin.pause();
      ctx.output.write(`${CSI}?25h${CSI}?1049l`);
    };
    const finish = (next: ChecklistState): void => {
      state = next;
      restore();
      resolve(next);
    };
    const fail = (err: unknown): void => {
      restore();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    function onKey(_text: string | undefined, key: { name?: string; ctrl?: boolean } | undefined): void {
      try {
        const next = pressKey(state, key ?? {});
        if (next.outcome !== 'editing') finish(next);
        else if (next !== state) {
          state = next;
          draw();
        }
      } catch (err) {
        fail(err);
      }
    }
    function onEnd(): void {
      finish({ ...state, outcome: 'aborted' });
    }
    function onSignal(): void {
      finish({ ...state, outcome: 'aborted' });
    }
    function onResize(): void {
      try {
        draw();
      } catch (err) {
        fail(err);
      }
    }
    try {
      emitKeypressEvents(stdin);
      stdin.setRawMode(true);
      stdin.on('keypress', onKey);
      stdin.once('end', onEnd);
      stdout.on('resize', onResize);
      process.once('exit', restore);
      process.once('SIGTERM', onSignal);
      process.once('SIGHUP', onSignal);
      ctx.output.write(`${CSI}?1049h${CSI}?25l`);
      stdin.resume();
      draw();
    } catch (err) {
      fail(err);
    }
  });
}
