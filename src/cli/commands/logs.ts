import type { Command } from 'commander';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditDecision, AuditEntry } from '../../core/index.js';
import { AtmosphereError, InvalidInputError, silentLogger } from '../../core/index.js';
import { NodeNotRunningError } from '../../core/errors.js';
import type { HomePaths, LogRecord } from '../../client/index.js';
import {
  ApiClient,
  formatLogRecord,
  LOG_LEVELS,
  levelRank,
  parseLogLine,
  readOwnerToken,
  runningNode,
} from '../../client/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { formatTable } from '../output.js';

interface LogsOptions {
  follow?: boolean;
  lines: string;
  level?: string;
  json?: boolean;
  requests?: boolean;
  since?: string;
  decision?: string;
  requester?: string;
  target?: string;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function registerLogsCommand(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("show the node's log (JSON lines in <home>/logs/node.log)")
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <n>', 'how many of the latest lines to show', '50')
    .option('--level <level>', `only this level and above (${LOG_LEVELS.join('|')})`)
    .option('--json', 'print the raw JSON lines (with --requests: one JSON object per entry and line)')
    .option('--requests', 'show the audit log instead: who asked this node for what, and what was decided')
    .option('--since <when>', 'with --requests: from this long ago (30m, 24h, 7d) or this ISO 8601 time')
    .option('--decision <decision>', 'with --requests: only allowed or refused requests')
    .option('--requester <nodeId>', 'with --requests: only requests from this node id')
    .option('--target <glob>', 'with --requests: only this capability id or glob (ollama/*)')
    .addHelpText(
      'after',
      `
With --requests, the latest entries are printed oldest first (the newest last, as with -f), as a
table of time (UTC), requester, capability, tool, decision, rule, duration and bytes in/out; with
--json as JSON Lines, one object per entry with the fields of GET /api/audit. The entries come from
the running node's API, or straight from the database (read-only) when no node runs.
`,
    )
    .action(async (opts: LogsOptions, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      if (opts.requests === true) {
        await showRequests(ctx, paths, opts);
        return;
      }
      const auditOnly = (['since', 'decision', 'requester', 'target'] as const).filter(
        (key) => opts[key] !== undefined,
      );
      if (auditOnly.length > 0) {
        throw new InvalidInputError(
          `--${auditOnly[0] ?? 'since'} filters the audit log: add --requests (atmosphere logs --requests --${auditOnly[0] ?? 'since'} ...)`,
        );
      }
      const count = Number(opts.lines);
      if (!Number.isInteger(count) || count < 0) {
        throw new InvalidInputError(`--lines expects a whole number, got "${opts.lines}"`);
      }
      if (opts.level !== undefined && !(LOG_LEVELS as readonly string[]).includes(opts.level)) {
        throw new InvalidInputError(`--level expects one of ${LOG_LEVELS.join(', ')}, got "${opts.level}"`);
      }
      const minRank = opts.level === undefined ? 0 : levelRank(opts.level);
      const accept = (line: string): LogRecord | null => {
        const rec = parseLogLine(line);
        return rec && levelRank(rec.level) >= minRank ? rec : null;
      };
      const print = (line: string, rec: LogRecord): void => {
        ctx.output.line(opts.json === true ? line : formatLogRecord(rec));
      };

      const lines = readLines(paths.logFile);
      const matching: [string, LogRecord][] = [];
      for (const line of lines) {
        const rec = accept(line);
        if (rec) matching.push([line, rec]);
      }
      if (lines.length === 0 && opts.follow !== true) {
        ctx.output.error(`no log yet at ${paths.logFile} (has the node been started with this home?)`);
        return;
      }
      for (const [line, rec] of count === 0 ? [] : matching.slice(-count)) print(line, rec);
      if (opts.follow === true) await follow(paths.logFile, accept, print);
    });
}

/** Polls the log file for appended lines, reopening it when it is rotated or truncated. */
async function follow(
  path: string,
  accept: (line: string) => LogRecord | null,
  print: (line: string, rec: LogRecord) => void,
): Promise<never> {
  let position = fileSize(path);
  let inode = fileInode(path);
  let partial = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const size = fileSize(path);
    const ino = fileInode(path);
    if (ino !== inode || size < position) {
      position = 0;
      inode = ino;
      partial = '';
    }
    if (size <= position) continue;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - position);
      readSync(fd, buf, 0, buf.length, position);
      position = size;
      const text = partial + buf.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        const rec = accept(line);
        if (rec) print(line, rec);
      }
    } finally {
      closeSync(fd);
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function fileInode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return -1;
  }
}

// ---- the audit log: `atmosphere logs --requests` -------------------------------------------------

/** The most entries one read asks for (the API's and the store's limit). */
const MAX_AUDIT_ENTRIES = 10_000;
/**
 * How often `--requests -f` reads the database for new entries when no node runs (a running node
 * pushes them: `GET /api/audit?follow=1`), and how long it waits before streaming again after a
 * stream ended.
 */
const FOLLOW_POLL_MS = 1_000;
const DECISIONS: readonly AuditDecision[] = ['allowed', 'refused'];

/** An audit entry as `GET /api/audit` answers it (the stored entry and its ISO time). */
interface AuditEntryView extends AuditEntry {
  readonly time: string;
}

interface AuditFilters {
  readonly sinceMs?: number;
  readonly requester?: string;
  readonly target?: string;
  readonly decision?: AuditDecision;
}

interface AuditRead extends AuditFilters {
  readonly limit: number;
  readonly afterId?: number;
}

/** Where the entries come from: the running node's API, or the home's database read-only. */
interface AuditSource {
  readonly kind: 'api' | 'database';
  list(read: AuditRead, options: { signal?: AbortSignal }): Promise<AuditEntryView[]>;
  /** Entries after `read.afterId` and then each new one as the node writes it (API only). */
  follow?(
    read: AuditFilters & { afterId: number },
    options: { signal?: AbortSignal },
  ): AsyncIterable<AuditEntryView>;
  close(): void;
}

function auditParams(read: AuditFilters & { afterId?: number }): URLSearchParams {
  const params = new URLSearchParams();
  if (read.sinceMs !== undefined) params.set('since', String(read.sinceMs));
  if (read.requester !== undefined) params.set('requester', read.requester);
  if (read.target !== undefined) params.set('target', read.target);
  if (read.decision !== undefined) params.set('decision', read.decision);
  if (read.afterId !== undefined) params.set('afterId', String(read.afterId));
  return params;
}

const systemClock = { now: () => Date.now() };

function apiSource(client: ApiClient): AuditSource {
  return {
    kind: 'api',
    async list(read, options) {
      const params = auditParams(read);
      params.set('limit', String(read.limit));
      const body = await client.request<{ entries: AuditEntryView[] }>(
        'GET',
        `/api/audit?${params.toString()}`,
        options,
      );
      return body.entries;
    },
    async *follow(read, options) {
      const params = auditParams(read);
      params.set('follow', '1');
      for await (const event of client.events('GET', `/api/audit?${params.toString()}`, options)) {
        yield event.data as AuditEntryView;
      }
    },
    close: () => {},
  };
}

/** The home's database opened read-only, or null when there is none yet. */
async function databaseSource(paths: HomePaths): Promise<AuditSource | null> {
  const { openStoredAuditLog } = await import('../../node/index.js');
  const stored = await openStoredAuditLog({ home: paths, logger: silentLogger(), clock: systemClock });
  if (stored === null) return null;
  return {
    kind: 'database',
    list(read) {
      const { target, ...rest } = read;
      const entries = stored.query({
        ...rest,
        ...(target === undefined ? {} : /[*?]/.test(target) ? { targetGlob: target } : { target }),
      });
      return Promise.resolve(
        entries.map(({ id, ...fields }) => ({ id, time: new Date(fields.timeMs).toISOString(), ...fields })),
      );
    },
    close: () => stored.close(),
  };
}

/**
 * Reads through the running node's API when there is one and falls back to the database when
 * there is none, or when the node stops while entries are being followed.
 */
class AuditReader {
  private source: AuditSource | null = null;
  private readonly paths: HomePaths;

  constructor(paths: HomePaths) {
    this.paths = paths;
  }

  /** False when no node runs and the home has no database: there is nothing to read. */
  async open(): Promise<boolean> {
    const running = runningNode(this.paths.root);
    const token = readOwnerToken(this.paths.root);
    this.source =
      running?.state && token
        ? apiSource(new ApiClient({ baseUrl: running.state.apiUrl, token, ca: running.state.apiCa }))
        : await databaseSource(this.paths);
    return this.source !== null;
  }

  /** True when the entries can be pushed by a running node instead of polled. */
  get canFollow(): boolean {
    return this.source?.follow !== undefined;
  }

  /** New entries pushed by the running node (see `AuditSource.follow`); nothing without one. */
  async *follow(
    read: AuditFilters & { afterId: number },
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<AuditEntryView> {
    const source = this.source;
    if (source?.follow === undefined) return;
    yield* source.follow(read, options);
  }

  async list(read: AuditRead, options: { signal?: AbortSignal } = {}): Promise<AuditEntryView[]> {
    const source = this.source;
    if (source === null) return [];
    try {
      return await source.list(read, options);
    } catch (err) {
      if (!(err instanceof NodeNotRunningError) || source.kind !== 'api') throw err;
      const fallback = await databaseSource(this.paths);
      if (fallback === null) throw err;
      this.source = fallback;
      return fallback.list(read, options);
    }
  }

  close(): void {
    this.source?.close();
    this.source = null;
  }
}

function parseSince(text: string, nowMs: number): number {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return ms;
  } else {
    const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(trimmed);
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[(m?.[2] ?? '').toLowerCase()];
    if (m && unit !== undefined) return nowMs - Math.round(Number(m[1]) * unit * 1000);
  }
  throw new InvalidInputError(
    `--since expects a duration (30m, 24h, 7d) or an ISO 8601 time (2025-01-31T10:00:00Z), got "${text}"`,
  );
}

function auditFilters(opts: LogsOptions, nowMs: number): AuditFilters {
  if (opts.decision !== undefined && !(DECISIONS as readonly string[]).includes(opts.decision)) {
    throw new InvalidInputError(`--decision expects allowed or refused, got "${opts.decision}"`);
  }
  for (const key of ['requester', 'target'] as const) {
    if (opts[key]?.trim() === '') throw new InvalidInputError(`--${key} must not be empty`);
  }
  return {
    ...(opts.since === undefined ? {} : { sinceMs: parseSince(opts.since, nowMs) }),
    ...(opts.requester === undefined ? {} : { requester: opts.requester.trim() }),
    ...(opts.target === undefined ? {} : { target: opts.target.trim() }),
    ...(opts.decision === undefined ? {} : { decision: opts.decision as AuditDecision }),
  };
}

const shortId = (id: string): string => (id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id);

function formatBytes(n: number | null): string {
  if (n === null) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const AUDIT_HEADER = [
  'TIME',
  'REQUESTER',
  'CAPABILITY',
  'TOOL',
  'DECISION',
  'RULE',
  'DURATION',
  'BYTES IN/OUT',
] as const;
/** Column widths for rows printed one by one while following (the last column is not padded). */
const FOLLOW_WIDTHS = [20, 15, 30, 12, 8, 14, 9] as const;

function auditCells(e: AuditEntryView): string[] {
  return [
    new Date(e.timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    shortId(e.requester),
    e.target,
    e.tool ?? '-',
    e.decision,
    e.rule ?? '-',
    formatDuration(e.durationMs),
    `${formatBytes(e.bytesIn)}/${formatBytes(e.bytesOut)}`,
  ];
}

function fixedRow(cells: readonly string[]): string {
  return cells
    .map((cell, i) => (i < FOLLOW_WIDTHS.length ? cell.padEnd(FOLLOW_WIDTHS[i] ?? 0) : cell))
    .join('  ')
    .trimEnd();
}

/** `atmosphere logs --requests`: the latest audit entries, then (`-f`) new ones as they arrive. */
async function showRequests(ctx: CliContext, paths: HomePaths, opts: LogsOptions): Promise<void> {
  if (opts.level !== undefined) {
    throw new InvalidInputError('--level applies to the node log, not to --requests');
  }
  const count = Number(opts.lines);
  if (!Number.isInteger(count) || count < 0 || count > MAX_AUDIT_ENTRIES) {
    throw new InvalidInputError(`--lines expects a whole number 0-${MAX_AUDIT_ENTRIES}, got "${opts.lines}"`);
  }
  const filters = auditFilters(opts, systemClock.now());
  const json = opts.json === true;
  const follow = opts.follow === true;
  const reader = new AuditReader(paths);
  if (!(await reader.open())) {
    ctx.output.error(`no audit log yet at ${paths.database} (has a node been started with this home?)`);
    return;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  if (follow) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    // Follow by id, not time: an entry is written when its request ends, with the time it started,
    // so a long request can be appended after shorter ones that started later. The last id before
    // anything is printed: the newest entry, then whatever was appended after it.
    let lastId = 0;
    if (follow) {
      const newest = await reader.list({ limit: 1 });
      lastId = newest[0]?.id ?? 0;
      const appendedLater = await reader.list({ afterId: lastId, limit: MAX_AUDIT_ENTRIES });
      lastId = Math.max(lastId, ...appendedLater.map((e) => e.id));
    }
    const latest = count === 0 ? [] : await reader.list({ ...filters, limit: count });
    const oldestFirst = [...latest].reverse();
    if (json) {
      for (const e of oldestFirst) ctx.output.line(JSON.stringify(e));
    } else if (follow) {
      ctx.output.line(fixedRow(AUDIT_HEADER));
      for (const e of oldestFirst) ctx.output.line(fixedRow(auditCells(e)));
    } else if (oldestFirst.length > 0 || count === 0) {
      if (oldestFirst.length > 0) ctx.output.line(formatTable(AUDIT_HEADER, oldestFirst.map(auditCells)));
    } else {
      const filtered = Object.keys(filters).length > 0;
      ctx.output.line(
        filtered
          ? 'No audit entries match these filters.'
          : 'No requests recorded yet: every request from the mesh is recorded here (local ones too with access.log_all_requests: true).',
      );
    }
    if (!follow) return;
    // entries appended while the latest were read may be among them: not printed twice
    const shown = new Set(latest.filter((e) => e.id > lastId).map((e) => e.id));
    const print = (e: AuditEntryView): void => {
      if (!shown.delete(e.id)) ctx.output.line(json ? JSON.stringify(e) : fixedRow(auditCells(e)));
      lastId = Math.max(lastId, e.id);
    };
    // A running node pushes each entry as it is written. When its stream ends (the node stopped,
    // the connection broke) the database or the API is read once, then streaming starts again; a
    // node that cannot stream its audit log (older versions answer 400) is polled instead.
    let stream = true;
    while (!stop.signal.aborted) {
      if (stream && reader.canFollow) {
        try {
          for await (const e of reader.follow({ ...filters, afterId: lastId }, { signal: stop.signal })) {
            print(e);
          }
        } catch (err) {
          if (stop.signal.aborted) break;
          // the node answered with an error (it cannot stream its audit log): poll it instead;
          // a lost connection is read once below (from the database if the node is gone), then retried
          if (err instanceof AtmosphereError && typeof err.details.httpStatus === 'number') stream = false;
        }
      }
      try {
        await sleep(FOLLOW_POLL_MS, undefined, { signal: stop.signal });
      } catch {
        break; // Ctrl-C
      }
      let fresh: AuditEntryView[];
      try {
        fresh = await reader.list(
          { ...filters, afterId: lastId, limit: MAX_AUDIT_ENTRIES },
          { signal: stop.signal },
        );
      } catch (err) {
        if (stop.signal.aborted) break;
        throw err;
      }
      if (fresh.length === MAX_AUDIT_ENTRIES) {
        ctx.output.error(
          `more than ${MAX_AUDIT_ENTRIES} entries arrived within a second; older ones among them are not shown`,
        );
      }
      for (const e of [...fresh].reverse()) print(e);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reader.close();
  }
}
