/**
 * `atmosphere logs --requests` with the built CLI: straight from the database when no node runs,
 * through the API when one does, with filters, JSON Lines and `-f`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAuditEntry } from '../src/core/index.js';
import { ManualClock, silentLogger } from '../src/core/index.js';
import { openSqliteStore } from '../src/store/index.js';
import type { SqliteStore } from '../src/store/index.js';
import { CLI, START_ARGS, cleanEnv, ensureBuilt, runAtmosphere, tempHome, waitFor } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

const PEER_A = '12D3KooWAbCdEfGhIjKlMnOpQrStUvWxYz0123456789aBcDeFgH';
const PEER_B = '12D3KooWZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zYxWvUt';
const MINUTE_MS = 60_000;

interface EntryLine {
  id: number;
  time: string;
  timeMs: number;
  requester: string;
  target: string;
  tool: string | null;
  decision: string;
  rule: string | null;
  durationMs: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  detail: string | null;
}

function entry(overrides: Partial<NewAuditEntry>): NewAuditEntry {
  return {
    timeMs: Date.now(),
    requester: PEER_A,
    target: 'ollama/llama3.2:3b',
    tool: 'chat',
    decision: 'allowed',
    rule: null,
    durationMs: 1_250,
    bytesIn: 512,
    bytesOut: 4_096,
    detail: null,
    ...overrides,
  };
}

function openStore(dir: string): SqliteStore {
  return openSqliteStore(
    { logger: silentLogger(), clock: new ManualClock(Date.now()) },
    { path: join(dir, 'atmosphere.db') },
  );
}

/** Fills the audit log: two hours ago, 30 and 10 minutes ago (refused), and now. */
function fill(dir: string): void {
  const store = openStore(dir);
  const now = Date.now();
  store.audit.append(entry({ timeMs: now - 120 * MINUTE_MS, target: 'ollama/qwen2.5:7b' }));
  store.audit.append(
    entry({
      timeMs: now - 30 * MINUTE_MS,
      requester: PEER_B,
      target: 'camera/front',
      tool: 'take_photo',
      decision: 'refused',
      rule: 'expose',
      durationMs: 2,
      bytesIn: null,
      bytesOut: null,
      detail: 'camera/front is not exposed to the mesh by its owner',
    }),
  );
  store.audit.append(
    entry({
      timeMs: now - 10 * MINUTE_MS,
      decision: 'refused',
      rule: 'limits.max_concurrent',
      durationMs: 0,
    }),
  );
  store.audit.append(entry({ timeMs: now, requester: PEER_B, bytesOut: 3 * 1024 * 1024 }));
  store.close();
}

const jsonLines = (stdout: string): EntryLine[] =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EntryLine);

/** Runs `atmosphere --home DIR logs --requests -f ...ARGS` and collects its stdout as it comes. */
function follow(dir: string, args: readonly string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, [CLI, '--home', dir, 'logs', '--requests', '-f', ...args], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stdout += `[stderr] ${chunk.toString('utf8')}`));
  return { child, out: () => stdout };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('atmosphere logs --requests without a running node', () => {
  let home: ReturnType<typeof tempHome>;
  const atm = (...args: string[]) => runAtmosphere(['--home', home.dir, ...args]);
  const followers: ChildProcess[] = [];

  beforeAll(() => {
    home = tempHome('atm-audit-cli-');
    fill(home.dir);
  });
  afterAll(() => {
    for (const child of followers) if (child.exitCode === null) child.kill('SIGKILL');
    home?.cleanup();
  });

  it('prints the latest entries as a table, oldest first, straight from the database', async () => {
    const res = await atm('logs', '--requests');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TIME\s+REQUESTER\s+CAPABILITY\s+TOOL\s+DECISION\s+RULE\s+DURATION\s+BYTES IN\/OUT$/,
    );
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain('ollama/qwen2.5:7b');
    expect(lines[2]).toMatch(/12D3KooW…YxWvUt\s+camera\/front\s+take_photo\s+refused\s+expose\s+2 ms\s+-\/-/);
    expect(lines[3]).toMatch(
      /12D3KooW…cDeFgH\s+ollama\/llama3\.2:3b\s+chat\s+refused\s+limits\.max_concurrent/,
    );
    expect(lines[4]).toMatch(/allowed\s+-\s+1\.3 s\s+512 B\/3\.0 MiB$/);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\s/);
  });

  it('prints JSON Lines with every field and the ISO time', async () => {
    const res = await atm('logs', '--requests', '--json');
    expect(res.code).toBe(0);
    const entries = jsonLines(res.stdout);
    expect(entries.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    const refused = entries[1]!;
    expect(refused).toMatchObject({
      requester: PEER_B,
      target: 'camera/front',
      tool: 'take_photo',
      decision: 'refused',
      rule: 'expose',
      durationMs: 2,
      bytesIn: null,
      bytesOut: null,
      detail: 'camera/front is not exposed to the mesh by its owner',
    });
    expect(refused.time).toBe(new Date(refused.timeMs).toISOString());
  });

  it('filters by decision, requester, target glob, age and count', async () => {
    const ids = async (...args: string[]): Promise<number[]> => {
      const res = await atm('logs', '--requests', '--json', ...args);
      expect(res.code, res.stderr).toBe(0);
      return jsonLines(res.stdout).map((e) => e.id);
    };
    expect(await ids('--decision', 'refused')).toEqual([2, 3]);
    expect(await ids('--requester', PEER_B)).toEqual([2, 4]);
    expect(await ids('--target', 'ollama/*')).toEqual([1, 3, 4]);
    expect(await ids('--target', 'camera/front', '--decision', 'allowed')).toEqual([]);
    expect(await ids('--since', '1h')).toEqual([2, 3, 4]);
    expect(await ids('--since', '15m')).toEqual([3, 4]);
    expect(await ids('--since', new Date(Date.now() - 45 * MINUTE_MS).toISOString())).toEqual([2, 3, 4]);
    expect(await ids('-n', '2')).toEqual([3, 4]);
  });

  it('says so when nothing matches', async () => {
    const res = await atm('logs', '--requests', '--requester', '12D3KooWNobody');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('No audit entries match these filters.');
  });

  it('refuses bad flags with a usage error that names them', async () => {
    const decision = await atm('logs', '--requests', '--decision', 'maybe');
    expect(decision.code).toBe(2);
    expect(decision.stderr).toContain('--decision expects allowed or refused');
    const since = await atm('logs', '--requests', '--since', 'last week');
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since expects a duration');
    const withoutRequests = await atm('logs', '--decision', 'refused');
    expect(withoutRequests.code).toBe(2);
    expect(withoutRequests.stderr).toContain('add --requests');
  });

  it('explains that there is no audit log yet in a fresh home, and creates no database', async () => {
    const fresh = tempHome('atm-audit-fresh-');
    try {
      const res = await runAtmosphere(['--home', fresh.dir, 'logs', '--requests']);
      expect(res.code).toBe(0);
      expect(res.stderr).toContain('no audit log yet');
      expect(existsSync(join(fresh.dir, 'atmosphere.db'))).toBe(false);
    } finally {
      fresh.cleanup();
    }
  });

  it('follows new entries written to the database until Ctrl-C', async () => {
    const { child, out } = follow(home.dir, ['--json', '-n', '1', '--target', 'camera/*']);
    followers.push(child);
    await waitFor('the latest camera entry', () => (jsonLines(out()).length === 1 ? true : undefined));
    expect(jsonLines(out())[0]!.id).toBe(2);

    const store = openStore(home.dir);
    // a long request: written when it ended, with the time it started, before the newest entry
    store.audit.append(
      entry({ timeMs: Date.now() - 300 * MINUTE_MS, target: 'camera/back', decision: 'refused' }),
    );
    store.audit.append(entry({ target: 'ollama/llama3.2:3b' })); // does not match the filter
    store.audit.append(entry({ target: 'camera/front', decision: 'allowed' }));
    store.close();
    await waitFor('the new camera entries', () => (jsonLines(out()).length === 3 ? true : undefined), 10_000);
    expect(jsonLines(out()).map((e) => e.target)).toEqual(['camera/front', 'camera/back', 'camera/front']);

    child.kill('SIGINT');
    expect(await exitOf(child)).toBe(0);
    expect(out()).not.toContain('[stderr]');
  });
});

describe('atmosphere logs --requests with a running node', () => {
  let home: ReturnType<typeof tempHome>;
  const atm = (...args: string[]) => runAtmosphere(['--home', home.dir, ...args]);
  const followers: ChildProcess[] = [];
  let pid = 0;

  beforeAll(async () => {
    home = tempHome('atm-audit-node-');
    const before = openStore(home.dir);
    before.audit.append(entry({ timeMs: Date.now() - 40 * 24 * 60 * MINUTE_MS, target: 'expired/old' }));
    before.close();
    const started = await atm(...START_ARGS, '--json');
    expect(started.code, started.stderr).toBe(0);
    pid = (JSON.parse(started.stdout) as { pid: number }).pid;
    fill(home.dir); // a second connection writes while the node has the database open
  }, 60_000);

  afterAll(async () => {
    if (home === undefined) return;
    for (const child of followers) if (child.exitCode === null) child.kill('SIGKILL');
    await atm('stop', '--timeout', '5');
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    home.cleanup();
  });

  it('removed the entries older than the default 30-day retention when it started', async () => {
    const res = await atm('logs', '--requests', '--json', '--target', 'expired/*');
    expect(res.code, res.stderr).toBe(0);
    expect(jsonLines(res.stdout)).toEqual([]);
    const log = readFileSync(join(home.dir, 'logs', 'node.log'), 'utf8');
    expect(log).toContain('removed 1 audit entries older than 30 days');
  });

  it('reads the entries through the API with the owner token', async () => {
    const res = await atm('logs', '--requests', '--json', '--decision', 'refused');
    expect(res.code, res.stderr).toBe(0);
    expect(jsonLines(res.stdout).map((e) => e.target)).toEqual(['camera/front', 'ollama/llama3.2:3b']);

    // Proof that the answer came from the API: with a wrong owner token the node refuses it.
    const tokenPath = join(home.dir, 'run', 'owner.token');
    const token = readFileSync(tokenPath, 'utf8');
    writeFileSync(tokenPath, 'not-the-owner-token\n', { mode: 0o600 });
    try {
      const refused = await atm('logs', '--requests');
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain('[unauthorized]');
    } finally {
      writeFileSync(tokenPath, token, { mode: 0o600 });
    }
  });

  it('follows new entries the node writes, pushed through the API, until Ctrl-C', async () => {
    const { child, out } = follow(home.dir, ['-n', '0', '--target', 'ui.*']);
    followers.push(child);
    await waitFor('the table header', () => (out().includes('BYTES IN/OUT') ? true : undefined));
    // the node writes an audit entry of its own: issuing a web panel sign-in link
    const issued = await atm('ui', '--json', '--no-open');
    expect(issued.code, issued.stderr).toBe(0);
    await waitFor('the followed entry', () => (out().includes('ui.login-token') ? true : undefined), 10_000);
    expect(out()).toMatch(/local\s+ui\.login-token\s+-\s+allowed\s+owner/);
    expect(
      out()
        .split('\n')
        .filter((l) => l.includes('ui.login-token')).length,
    ).toBe(1);
    child.kill('SIGINT');
    expect(await exitOf(child)).toBe(0);
  });
});
