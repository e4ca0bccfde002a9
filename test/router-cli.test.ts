/** `atmosphere route`, run in-process through its commander registration with a captured output. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerRouteCommand } from '../src/cli/commands/route.js';
import type { CliContext } from '../src/cli/context.js';
import { reportError } from '../src/cli/exit-codes.js';
import type { Output } from '../src/cli/output.js';

const CATALOG = resolve(import.meta.dirname, '..', '..', 'shared', 'routing', 'catalog.json');
const dir = mkdtempSync(join(tmpdir(), 'atm-route-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: unknown[];
}

async function route(...args: string[]): Promise<Run> {
  const run: Run = { code: 0, stdout: '', stderr: '', json: [] };
  const output: Output = {
    line: (t = '') => void (run.stdout += `${t}\n`),
    error: (t) => void (run.stderr += `${t}\n`),
    json: (v) => void run.json.push(v),
    write: (t) => void (run.stdout += t),
    stdoutIsTTY: false,
    stdinIsTTY: false,
  };
  const ctx: CliContext = {
    output,
    // a home with no running node, never the user's own
    env: { ATMOSPHERE_HOME: dir },
    buildInfo: { version: 'test', commit: 'test' },
    entryScript: '',
    exit: { code: 0 },
  };
  const program = new Command('atmosphere')
    .exitOverride()
    .configureOutput({ writeOut: (t) => output.write(t), writeErr: (t) => output.error(t) });
  registerRouteCommand(program, ctx);
  try {
    await program.parseAsync(['node', 'atmosphere', 'route', ...args]);
    run.code = ctx.exit.code;
  } catch (err) {
    run.code =
      err instanceof CommanderError
        ? err.exitCode
        : reportError(output, err, { json: args.includes('--json') });
  }
  return run;
}

describe('atmosphere route', () => {
  it('prints the decision, candidates with scores and reasons, and says a catalog has no costs', async () => {
    const r = await route('turn off the kitchen lights', '--catalog', CATALOG, '--top', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/→ matter\/kitchen-light · turn_off/);
    expect(r.stdout).toMatch(/^capability +tool +node +semantic +cost +score/m);
    expect(r.stdout.match(/^ {2}\S+: .*semantic [\d.]+ (clears|below) threshold/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/an offline catalog has no cost model: every cost counts as 0/);
  });

  it('gives JSON with intent, decision and candidates', async () => {
    const r = await route(
      'what is on my calendar this weekend',
      '--catalog',
      CATALOG,
      '--top',
      '3',
      '--json',
    );
    const out = r.json[0] as {
      intent: string;
      decision: { capability: string; tool: string; nodeId: string; score: number } | null;
      candidates: {
        capability: string;
        semanticScore: number;
        cost: number;
        score: number;
        reasons: string[];
      }[];
    };
    expect(out.intent).toBe('what is on my calendar this weekend');
    expect(out.decision).toMatchObject({ capability: 'caldav/family-calendar', nodeId: 'catalog' });
    expect(out.candidates).toHaveLength(3);
    expect(out.candidates[0]).toMatchObject({ cost: 0 });
    expect(out.candidates[0]?.reasons.length).toBeGreaterThan(0);
  });

  it('says "no capability" in JSON as a null decision', async () => {
    const r = await route('water the plants', '--catalog', CATALOG, '--json');
    expect((r.json[0] as { decision: unknown }).decision).toBeNull();
  });

  it('routes through the running node without --catalog, and says when none runs', async () => {
    const r = await route('turn off the lights');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not running/);
    const e = await route('--eval', 'intents.jsonl');
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/--eval needs --catalog/);
  });

  it('reports a catalog that is not valid', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ id: 'x', type: 'Not A Type' }]));
    const r = await route('anything', '--catalog', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/entry 0/);
  });

  it('evaluates an intents file: accuracy, null items and every decision', async () => {
    const intents = join(dir, 'intents.jsonl');
    writeFileSync(
      intents,
      [
        { intent: 'lock the front door', expect: 'matter/front-door-lock', tool: 'lock' },
        {
          intent: 'what is the weather on mars like for a picnic tomorrow, book it',
          expect: null,
          tool: null,
        },
        { intent: 'switch off the desk lamp', expect: 'hue/office-lamp', tool: 'turn_off' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const text = await route('--eval', intents, '--catalog', CATALOG);
    expect(text.stdout).toMatch(/top-1 accuracy: +\d+\.\d% \(\d\/3\)/);
    const json = await route('--eval', intents, '--catalog', CATALOG, '--json');
    const report = json.json[0] as {
      accuracy: { total: number };
      nulls: { total: number };
      decisions: unknown[];
    };
    expect(report.accuracy.total).toBe(3);
    expect(report.nulls.total).toBe(1);
    expect(report.decisions).toHaveLength(3);
  });
});
