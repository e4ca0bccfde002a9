import { describe, expect, it } from 'vitest';
import { MalformedStreamError, ndjson, sseEvents, textLines } from './stream-parsers.js';

/** The parts as a byte stream that delivers them one network read at a time. */
async function* bytes(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve();
    yield typeof part === 'string' ? new TextEncoder().encode(part) : part;
  }
}

async function all<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('textLines', () => {
  it('joins lines split across chunks and strips CR LF endings', async () => {
    expect(await all(textLines(bytes('one\r\ntw', 'o\n', '\nthree')))).toEqual(['one', 'two', '', 'three']);
  });

  it('keeps a multi-byte character split between two chunks intact', async () => {
    const encoded = new TextEncoder().encode('naïve 🦙\n');
    expect(await all(textLines(bytes(encoded.slice(0, 3), encoded.slice(3, 8), encoded.slice(8))))).toEqual([
      'naïve 🦙',
    ]);
  });
});

describe('ndjson', () => {
  it('yields one value per line and skips blank lines', async () => {
    expect(await all(ndjson(bytes('{"a":1}\n\n{"b"', ':2}\n')))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('rejects a line that is not JSON', async () => {
    await expect(all(ndjson(bytes('{"a":1}\nnot json\n')))).rejects.toBeInstanceOf(MalformedStreamError);
  });
});

describe('sseEvents', () => {
  it('parses events split across chunks, ignoring comments and retry fields', async () => {
    const events = await all(
      sseEvents(
        bytes(
          ': keep-alive\n\nretry: 100\ndata: {"x"',
          ':1}\n\nevent: ping\nid: 7\ndata: a\ndata: b\n\n',
          'data: [DONE]\n\n',
        ),
      ),
    );
    expect(events).toEqual([
      { event: 'message', data: '{"x":1}', id: null },
      { event: 'ping', data: 'a\nb', id: '7' },
      // The last event id carries over, as the SSE spec says.
      { event: 'message', data: '[DONE]', id: '7' },
    ]);
  });

  it('delivers a last event that lacks its closing blank line', async () => {
    expect(await all(sseEvents(bytes('data:no-space')))).toEqual([
      { event: 'message', data: 'no-space', id: null },
    ]);
  });
});
