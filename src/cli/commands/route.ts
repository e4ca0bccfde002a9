import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidInputError } from '../../core/index.js';
import type { EvalReport, Rate, RouteDecision } from '../../router/index.js';
import {
  evaluateRouting,
  parseCatalog,
  parseIntents,
  SemanticRouter,
  WordVectorEmbedder,
} from '../../router/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { connectToNode } from './shared.js';
import { formatTable } from '../output.js';

interface RouteOptions {
  catalog?: string;
  eval?: string;
  top: string;
  threshold?: string;
  json?: boolean;
}

/**
 * Said when candidates were ranked without any known cost. An offline catalog (`--catalog`) has no
 * cost model, so every cost counts as 0; on a running node a candidate's cost is unknown until its
 * node has gossiped one, and counts as a normal node's, 1 (docs/COST.md).
 */
export const COST_NOTE_CATALOG = 'an offline catalog has no cost model: every cost counts as 0';
export const COST_NOTE_LIVE =
  "no candidate's cost is known yet (each node gossips its own): an unknown cost counts as a normal node's, 1";

/** The note for `d`, or null when some candidate's cost is known (or there are no candidates). */
function costNote(d: RouteDecision, source: 'catalog' | 'live'): string | null {
  if (d.candidates.length === 0 || d.candidates.some((c) => c.costKnown)) return null;
  return source === 'catalog' ? COST_NOTE_CATALOG : COST_NOTE_LIVE;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function loadRouter(catalogPath: string, threshold: number | undefined): Promise<SemanticRouter> {
  let json: unknown;
  try {
    json = JSON.parse(await readText(catalogPath, 'catalog'));
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`${catalogPath}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const router = new SemanticRouter(
    { embedder: new WordVectorEmbedder() },
    threshold === undefined ? {} : { threshold },
  );
  await router.add(parseCatalog(json, { source: catalogPath }));
  return router;
}

function percent(r: Rate): string {
  return r.rate === null ? 'n/a' : `${(r.rate * 100).toFixed(1)}% (${r.correct}/${r.total})`;
}

/** `--json` shape of one routing decision. */
export function routeJson(d: RouteDecision, source: 'catalog' | 'live'): unknown {
  const note = costNote(d, source);
  return {
    intent: d.intent,
    form: d.form,
    decision: d.decision && {
      capability: d.decision.capabilityId,
      tool: d.decision.tool,
      toolKind: d.decision.toolKind,
      nodeId: d.decision.nodeId,
      score: d.decision.score,
    },
    candidates: d.candidates.map((c) => ({
      capability: c.capabilityId,
      nodeId: c.nodeId,
      type: c.type,
      tool: c.tool?.name ?? null,
      toolKind: c.tool?.kind ?? null,
      semanticScore: c.semanticScore,
      threshold: c.threshold,
      cost: c.cost,
      costKnown: c.costKnown,
      score: c.score,
      eligible: c.eligible,
      reasons: c.reasons,
    })),
    embedder: d.embedderId,
    ...(note === null ? {} : { note }),
  };
}

function printDecision(ctx: CliContext, d: RouteDecision, source: 'catalog' | 'live'): void {
  const out = ctx.output;
  if (d.candidates.length === 0) {
    out.line(
      source === 'catalog'
        ? '→ no capability: the catalog has none'
        : "→ no capability: none is known in this node's meshes yet (`atmosphere scan` and `atmosphere approve` add this node's own)",
    );
    return;
  }
  out.line(
    d.decision
      ? `→ ${d.decision.capabilityId}${d.decision.tool ? ` · ${d.decision.tool}` : ''} on ${d.decision.nodeId} (score ${d.decision.score})`
      : '→ no capability: nothing cleared its threshold',
  );
  out.line(
    formatTable(
      ['capability', 'tool', 'node', 'semantic', 'cost', 'score', ''],
      d.candidates.map((c) => [
        c.capabilityId,
        c.tool ? `${c.tool.name}${c.tool.kind === 'trigger' ? ' (trigger)' : ''}` : '-',
        c.nodeId,
        c.semanticScore.toFixed(3),
        c.costKnown ? c.cost.toFixed(2) : `${c.cost.toFixed(2)} (unknown)`,
        c.score.toFixed(3),
        c.eligible ? 'eligible' : 'not eligible',
      ]),
    ),
  );
  out.line('why:');
  for (const c of d.candidates) out.line(`  ${c.capabilityId}: ${c.reasons.join('; ')}`);
  const note = costNote(d, source);
  if (note !== null) out.line(`(${note})`);
}

function printReport(ctx: CliContext, report: EvalReport): void {
  const out = ctx.output;
  out.line(
    formatTable(
      ['line', 'ok', 'intent', 'expected', 'chosen', 'score', 'tool'],
      report.decisions.map((d) => [
        String(d.line),
        d.correct ? 'ok' : 'MISS',
        d.intent.length > 48 ? `${d.intent.slice(0, 47)}…` : d.intent,
        d.expect ?? '(none)',
        d.chosen ?? `(none; best ${d.best ?? '-'} ${d.bestScore ?? ''})`,
        d.score === null ? '' : d.score.toFixed(3),
        d.toolCorrect === null
          ? ''
          : d.toolCorrect
            ? `${d.chosenTool} ok`
            : `${d.chosenTool ?? '-'} ≠ ${d.expectTool}`,
      ]),
    ),
  );
  out.line('');
  out.line(`top-1 accuracy:            ${percent(report.accuracy)}`);
  out.line(`labeled items right:       ${percent(report.labeled)}`);
  out.line(`"no capability" items right: ${percent(report.nulls)}`);
  out.line(`false rejections:          ${percent(report.falseRejections)}`);
  out.line(`tool right (when capability right): ${percent(report.tools)}`);
}

export function registerRouteCommand(program: Command, ctx: CliContext): void {
  program
    .command('route')
    .description('route an intent to a capability in the mesh and explain why (dry run)')
    .argument('[intent]', 'what you want done, e.g. "turn off the kitchen light"')
    .option(
      '--catalog <file>',
      "route over this JSON array of capabilities instead of the running node's mesh",
    )
    .option(
      '--eval <file>',
      'JSON-lines intents with expected capabilities: report accuracy and every decision',
    )
    .option('--top <k>', 'how many candidates to show', '5')
    .option('--threshold <score>', 'semantic score a capability must reach (default 0.4)')
    .option('--json', 'print JSON')
    .action(async (intent: string | undefined, opts: RouteOptions, cmd: Command) => {
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 1)
        throw new InvalidInputError(`--top expects a whole number ≥ 1, got "${opts.top}"`);
      const threshold = opts.threshold === undefined ? undefined : Number(opts.threshold);
      if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
        throw new InvalidInputError(`--threshold expects a number from 0 to 1, got "${opts.threshold}"`);
      }
      if (opts.eval === undefined && (intent === undefined || !intent.trim())) {
        throw new InvalidInputError('give an intent to route, or --eval FILE');
      }
      if (opts.eval !== undefined && intent !== undefined) {
        throw new InvalidInputError('give either an intent or --eval FILE, not both');
      }
      if (!opts.catalog) {
        if (opts.eval !== undefined) {
          throw new InvalidInputError(
            '--eval needs --catalog FILE: an evaluation routes over a fixed catalog',
          );
        }
        if (threshold !== undefined) {
          throw new InvalidInputError(
            '--threshold applies to --catalog routing; the node uses its own thresholds',
          );
        }
        // Live: the running node routes over every capability it knows in its meshes.
        const client = connectToNode(homeFor(ctx, cmd));
        const decision = await client.request<RouteDecision>('POST', '/api/route', {
          body: { intent: intent as string, top },
        });
        if (opts.json === true) ctx.output.json(routeJson(decision, 'live'));
        else printDecision(ctx, decision, 'live');
        return;
      }
      const router = await loadRouter(opts.catalog, threshold);
      if (opts.eval !== undefined) {
        const items = parseIntents(await readText(opts.eval, 'intents file'), opts.eval);
        const report = await evaluateRouting(router, items);
        if (opts.json === true)
          ctx.output.json({
            ...report,
            catalog: opts.catalog,
            intents: opts.eval,
            embedder: router.embedderId,
          });
        else printReport(ctx, report);
        return;
      }
      const decision = await router.route(intent as string, { top });
      if (opts.json === true) ctx.output.json(routeJson(decision, 'catalog'));
      else printDecision(ctx, decision, 'catalog');
    });
}
