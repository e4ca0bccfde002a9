/**
 * How `OllamaBackend` reads `/api/chat` streams byte by byte: a server that writes its NDJSON in
 * awkward pieces (a line split across writes, a character split between its bytes, CRLF endings,
 * blank lines, fields Atmosphere does not know), and pieces the schema refuses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatChunk } from '../src/core/index.js';
import { silentLogger } from '../src/core/index.js';
import { OllamaBackend } from '../src/integrations/index.js';

const components = { clock: { now: () => Date.now() }, logger: silentLogger() };
const servers: ReturnType<typeof createServer>[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** A server that answers `/api/chat` with these byte pieces, a few milliseconds apart. */
async function scripted(pieces: readonly (string | Uint8Array)[]): Promise<OllamaBackend> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      void (async () => {
        for (const piece of pieces) {
          res.write(piece);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        res.end();
      })();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return new OllamaBackend(components, { url: `http://127.0.0.1:${port}` });
}

async function chat(backend: OllamaBackend): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const chunk of backend.chatStream({
    model: 'llama3.2:3b',
    messages: [{ role: 'user', content: 'hi' }],
  }))
    out.push(chunk);
  return out;
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

describe('OllamaBackend reading a chat stream', () => {
  it('puts lines and characters split across network pieces back together', async () => {
    const euro = new TextEncoder().encode('{"message":{"content":"5 €"},"done":false}\n');
    const split = euro.indexOf(0xe2) + 1; // inside the three bytes of "€"
    const backend = await scripted([
      '{"model":"llama3.2:3b","created_at":"2025-01-01T00:00:00Z","mess',
      'age":{"role":"assistant","content":"Hel"},"done":false}\r\n',
      '\n',
      euro.subarray(0, split),
      euro.subarray(split),
      line({ message: { content: '', thinking: 'hmm' }, done: false }),
      line({ message: null, done: false }),
      line({ done: true, done_reason: 'stop', prompt_eval_count: 4, eval_count: 2, total_duration: 9 }),
    ]);
    expect(await chat(backend)).toEqual([
      { content: 'Hel' },
      { content: '5 €' },
      { content: '', reasoning: 'hmm' },
      {
        content: '',
        finishReason: 'stop',
        usage: { promptTokens: 4, completionTokens: 2, totalTokens: 6 },
      },
    ]);
  });

  it('reads a last line that has no newline', async () => {
    const backend = await scripted([
      line({ message: { content: 'a' }, done: false }),
      JSON.stringify({ message: { content: 'b' }, done: true, done_reason: 'length' }),
    ]);
    expect(await chat(backend)).toEqual([{ content: 'a' }, { content: 'b', finishReason: 'length' }]);
  });

  it('takes tool calls through the full schema', async () => {
    const backend = await scripted([
      line({
        message: {
          content: '',
          tool_calls: [{ function: { name: 'lights_off', arguments: { room: 'hall' } } }],
        },
        done: false,
      }),
      line({ done: true, done_reason: 'stop' }),
    ]);
    expect(await chat(backend)).toEqual([
      {
        content: '',
        toolCalls: [{ index: 0, id: 'call_0', name: 'lights_off', arguments: '{"room":"hall"}' }],
      },
      { content: '', finishReason: 'tool_calls' },
    ]);
  });

  it('fails with a BackendError for a line that is not JSON, quoting the line', async () => {
    const backend = await scripted([line({ message: { content: 'a' }, done: false }), 'not json at all\n']);
    await expect(chat(backend)).rejects.toMatchObject({
      code: 'backend_error',
      message: 'ollama streamed a line that is not JSON',
      details: { reason: 'malformed_response', line: 'not json at all' },
    });
  });

  it('fails with a BackendError for a piece of the wrong shape, naming the field', async () => {
    const backend = await scripted([line({ message: { content: 5 }, done: false })]);
    await expect(chat(backend)).rejects.toMatchObject({
      code: 'backend_error',
      message: expect.stringContaining('message.content'),
    });
  });

  it("reports Ollama's error line as a BackendError with its message", async () => {
    const backend = await scripted([
      line({ message: { content: 'a' }, done: false }),
      line({ error: 'model runner crashed' }),
    ]);
    await expect(chat(backend)).rejects.toMatchObject({
      code: 'backend_error',
      message: 'ollama: model runner crashed',
    });
  });

  it('fails with BackendStreamInterruptedError when the stream ends without the done piece', async () => {
    const backend = await scripted([line({ message: { content: 'a' }, done: false })]);
    await expect(chat(backend)).rejects.toMatchObject({ code: 'backend_stream_interrupted' });
  });
});
