/**
 * Splitting streamed HTTP bodies into messages: NDJSON (Ollama: one JSON object per line) and
 * Server-Sent Events (OpenAI and LlamaFarm: `data: ...` lines, events separated by a blank line).
 * Both cope with messages split across network chunks and with multi-byte characters split
 * between chunks.
 */

/** Yields each line of a byte stream (empty ones included), without its line ending. */
export async function* textLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of source) {
    buffered += decoder.decode(bytes, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      yield line;
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  if (buffered !== '') yield buffered.replace(/\r$/, '');
}

/** Thrown by `ndjson` for a line that is not JSON; the caller maps it to its own error. */
export class MalformedStreamError extends Error {
  readonly line: string;

  constructor(message: string, line: string) {
    super(message);
    this.name = 'MalformedStreamError';
    this.line = line;
  }
}

/** Yields each JSON value of a newline-delimited JSON stream; blank lines are skipped. */
export async function* ndjson(source: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  for await (const line of textLines(source)) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new MalformedStreamError('a streamed line is not JSON', line.slice(0, 200));
    }
    yield value;
  }
}

export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  readonly event: string;
  /** The `data:` lines joined with newlines. */
  readonly data: string;
  readonly id: string | null;
}

/** Yields the events of a `text/event-stream` body (comments and `retry:` are skipped). */
export async function* sseEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  let event = '';
  let id: string | null = null;
  let data: string[] = [];
  let hasData = false;
  const dispatch = (): SseEvent | null => {
    const out = hasData ? { event: event === '' ? 'message' : event, data: data.join('\n'), id } : null;
    event = '';
    data = [];
    hasData = false;
    return out;
  };
  // `textLines` drops nothing: an empty line is the event boundary.
  for await (const line of textLines(source)) {
    if (line === '') {
      const out = dispatch();
      if (out !== null) yield out;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      data.push(value);
      hasData = true;
    } else if (field === 'event') {
      event = value;
    } else if (field === 'id') {
      id = value;
    }
  }
  const last = dispatch();
  if (last !== null) yield last;
}
