/**
 * `atmosphere cost --watch` against a running node: it keeps reprinting until killed.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, ensureBuilt, runAtmosphere, START_ARGS, tempHome, waitFor } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

interface CostJson {
  factors: Record<string, unknown>;
  costs: Record<string, { total: number }>;
}

describe('atmosphere cost --watch', () => {
  const home = tempHome('atm-cost-watch-');
  const env = cleanEnv({
    ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
    ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
  });
  const atm = (...args: string[]) => runAtmosphere(['--home', home.dir, ...args], { env });

  beforeAll(async () => {
    const res = await atm(...START_ARGS, '--name', 'watched', '--json');
    expect(res.code, res.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await atm('stop', '--timeout', '5');
    home.cleanup();
  });

  it('reprints the cost view on every interval until it is stopped', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--home', home.dir, 'cost', '--watch', '--interval', '1', '--json'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const seenAt: number[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // refreshes are separated by an empty line when stdout is not a terminal
      const docs = await waitFor(
        `two refreshes on stdout (so far: ${JSON.stringify(stdout)} ${stderr})`,
        () => {
          const parts = stdout.split(/\n\s*\n/).filter((p) => p.trim() !== '');
          const parsed: CostJson[] = [];
          for (const part of parts) {
            try {
              parsed.push(JSON.parse(part) as CostJson);
            } catch {
              break; // the last document may still be arriving
            }
          }
          if (parsed.length > seenAt.length) seenAt.push(Date.now());
          return parsed.length >= 2 ? parsed : undefined;
        },
        20_000,
      );
      for (const doc of docs) {
        expect(doc.factors).toHaveProperty('cpuLoad');
        expect(typeof doc.costs['inference']?.total).toBe('number');
      }
      expect(seenAt[1]! - seenAt[0]!).toBeGreaterThanOrEqual(700);
      expect(child.exitCode).toBeNull(); // still watching
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
