/**
 * Routing evaluation: a labeled intents file (JSON lines: `intent`, `expect` — a capability id or
 * null —, `tool`) routed through a router, scored as shared/routing/README.md says: top-1 accuracy
 * over every line (a null item is right when nothing is chosen), plus accuracy on labeled items, the
 * rejection rate on null items, false rejections, and tool accuracy where the capability was right.
 */
import { InvalidInputError } from '../core/index.js';
import type { RouteDecision, SemanticRouter } from './router.js';

export interface EvalItem {
  readonly intent: string;
  readonly expect: string | null;
  readonly tool: string | null;
  readonly note?: string;
  /** 1-based line in the file. */
  readonly line: number;
}

export interface EvalDecision {
  readonly line: number;
  readonly intent: string;
  readonly expect: string | null;
  readonly expectTool: string | null;
  readonly chosen: string | null;
  readonly chosenTool: string | null;
  readonly score: number | null;
  /** The best candidate even when nothing was chosen. */
  readonly best: string | null;
  readonly bestScore: number | null;
  readonly correct: boolean;
  readonly toolCorrect: boolean | null;
  readonly note?: string;
}

export interface Rate {
  readonly correct: number;
  readonly total: number;
  /** correct / total, or null when total is 0. */
  readonly rate: number | null;
}

export interface EvalReport {
  /** Top-1 accuracy over every item. */
  readonly accuracy: Rate;
  /** Items with an expected capability that was chosen. */
  readonly labeled: Rate;
  /** `expect: null` items for which nothing was chosen (the rejection rate). */
  readonly nulls: Rate;
  /** Labeled items for which nothing was chosen. */
  readonly falseRejections: Rate;
  /** Items whose capability was right and whose tool or trigger was too. */
  readonly tools: Rate;
  readonly decisions: readonly EvalDecision[];
}

function rate(correct: number, total: number): Rate {
  return { correct, total, rate: total === 0 ? null : correct / total };
}

/** Parses a JSON-lines intents file; blank lines are skipped. */
export function parseIntents(text: string, source = 'intents'): EvalItem[] {
  const items: EvalItem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new InvalidInputError(`${source}:${i + 1}: not valid JSON`);
    }
    const o = v as { intent?: unknown; expect?: unknown; tool?: unknown; note?: unknown };
    if (typeof o?.intent !== 'string' || !o.intent.trim())
      throw new InvalidInputError(`${source}:${i + 1}: "intent" must be a non-empty string`);
    if (o.expect !== null && typeof o.expect !== 'string')
      throw new InvalidInputError(`${source}:${i + 1}: "expect" must be a capability id or null`);
    if (o.tool !== undefined && o.tool !== null && typeof o.tool !== 'string')
      throw new InvalidInputError(`${source}:${i + 1}: "tool" must be a string or null`);
    items.push({
      intent: o.intent,
      expect: o.expect,
      tool: typeof o.tool === 'string' ? o.tool : null,
      ...(typeof o.note === 'string' ? { note: o.note } : {}),
      line: i + 1,
    });
  });
  return items;
}

/** Scores one routing decision against its label. */
export function judge(item: EvalItem, decision: RouteDecision): EvalDecision {
  const chosen = decision.decision;
  const best = decision.candidates[0] ?? null;
  const correct = item.expect === null ? chosen === null : chosen?.capabilityId === item.expect;
  const toolCorrect =
    item.expect !== null && correct && item.tool !== null ? chosen?.tool === item.tool : null;
  return {
    line: item.line,
    intent: item.intent,
    expect: item.expect,
    expectTool: item.tool,
    chosen: chosen?.capabilityId ?? null,
    chosenTool: chosen?.tool ?? null,
    score: chosen?.semanticScore ?? null,
    best: best?.capabilityId ?? null,
    bestScore: best?.semanticScore ?? null,
    correct,
    toolCorrect,
    ...(item.note !== undefined ? { note: item.note } : {}),
  };
}

/** Summarizes judged decisions. */
export function summarize(decisions: readonly EvalDecision[]): EvalReport {
  const labeled = decisions.filter((d) => d.expect !== null);
  const nulls = decisions.filter((d) => d.expect === null);
  const toolItems = decisions.filter((d) => d.toolCorrect !== null);
  return {
    accuracy: rate(decisions.filter((d) => d.correct).length, decisions.length),
    labeled: rate(labeled.filter((d) => d.correct).length, labeled.length),
    nulls: rate(nulls.filter((d) => d.correct).length, nulls.length),
    falseRejections: rate(labeled.filter((d) => d.chosen === null).length, labeled.length),
    tools: rate(toolItems.filter((d) => d.toolCorrect === true).length, toolItems.length),
    decisions,
  };
}

/** Routes every item and scores the decisions. */
export async function evaluateRouting(
  router: SemanticRouter,
  items: readonly EvalItem[],
  options: { signal?: AbortSignal } = {},
): Promise<EvalReport> {
  const decisions: EvalDecision[] = [];
  for (const item of items) decisions.push(judge(item, await router.route(item.intent, options)));
  return summarize(decisions);
}
