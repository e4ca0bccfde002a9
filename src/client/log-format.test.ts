import { describe, expect, it } from 'vitest';
import { formatLogRecord, levelRank, parseLogLine } from './log-format.js';

describe('log lines', () => {
  it('parses a pino JSON line into level, time, namespace, message and fields', () => {
    const rec = parseLogLine(
      '{"level":"warn","time":1764000000000,"pid":1,"ns":"atmosphere:api","msg":"slow","ms":12}',
    );
    expect(rec).toEqual({
      level: 'warn',
      time: 1764000000000,
      ns: 'atmosphere:api',
      msg: 'slow',
      fields: { ms: 12 },
    });
  });

  it('returns null for lines that are not JSON objects instead of throwing', () => {
    for (const line of ['', 'plain text', '[1,2]', '42', '{"level":', 'null']) {
      expect(parseLogLine(line)).toBeNull();
    }
  });

  it('formats a record for people with its extra fields', () => {
    const text = formatLogRecord({
      level: 'info',
      time: Date.UTC(2026, 10, 24, 6, 1, 2, 123),
      ns: 'atmosphere:node',
      msg: 'node started',
      fields: { url: 'http://127.0.0.1:7470', note: 'two words' },
    });
    expect(text).toBe(
      '2026-11-24 06:01:02.123 INFO  atmosphere:node  node started  url=http://127.0.0.1:7470 note="two words"',
    );
  });

  it('orders levels from trace to fatal', () => {
    expect(levelRank('trace')).toBeLessThan(levelRank('info'));
    expect(levelRank('error')).toBeLessThan(levelRank('fatal'));
  });
});
