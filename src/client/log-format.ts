/** Reading and printing the daemon's JSON log lines (shared by the foreground node and `atmosphere logs`). */

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export interface LogRecord {
  readonly level: LogLevelName;
  readonly time: number;
  readonly ns?: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const RESERVED = new Set(['level', 'time', 'ns', 'msg', 'pid', 'hostname', 'v']);

export function levelRank(level: string): number {
  const i = (LOG_LEVELS as readonly string[]).indexOf(level);
  return i === -1 ? 0 : i;
}

/** Parses one JSON log line; returns null for lines that are not log records (never throws). */
export function parseLogLine(line: string): LogRecord | null {
  if (line.trim() === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const obj = raw as Record<string, unknown>;
  const level = typeof obj.level === 'string' && levelRank(obj.level) >= 0 ? obj.level : 'info';
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!RESERVED.has(k)) fields[k] = v;
  return {
    level: (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevelName) : 'info',
    time: typeof obj.time === 'number' ? obj.time : 0,
    ...(typeof obj.ns === 'string' ? { ns: obj.ns } : {}),
    msg: typeof obj.msg === 'string' ? obj.msg : '',
    fields,
  };
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  if (v !== null && typeof v === 'object' && 'message' in v && 'type' in v) {
    return JSON.stringify((v as { message: unknown }).message);
  }
  return JSON.stringify(v);
}

/** `2026-11-24 06:01:02.123 INFO  atmosphere:api  listening url=http://127.0.0.1:7470` */
export function formatLogRecord(rec: LogRecord): string {
  const d = new Date(rec.time);
  const ts = Number.isNaN(d.getTime()) ? '-' : d.toISOString().replace('T', ' ').replace('Z', '');
  const extras = Object.entries(rec.fields)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
  return `${ts} ${rec.level.toUpperCase().padEnd(5)} ${rec.ns ?? '-'}  ${rec.msg}${extras ? `  ${extras}` : ''}`;
}
