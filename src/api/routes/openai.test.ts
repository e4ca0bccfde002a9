import { describe, expect, it, vi } from 'vitest';
import {
  BEARER,
  FAKE_MESH_MODELS,
  STARTED_AT_MS,
  errorOf,
  recordingLogger,
  scriptedStream,
  setupApi,
  setupOpenAiApi,
  signIn,
} from '../../../test/api-fixtures.js';
import type { LoggedLine, StreamProbe } from '../../../test/api-fixtures.js';
import {
  BackendUnavailableError,
  CSRF_HEADER,
  ModelNotFoundError,
  NoCapabilityError,
  tokenUsage,
} from '../../core/index.js';
import type { ChatChunk, ChatRequest, EmbedRequest } from '../../core/index.js';
import type { OpenAiChatCompletionChunk } from '../index.js';

type App = ReturnType<typeof setupOpenAiApi>['app'];

const CREATED = Math.floor(STARTED_AT_MS / 1000);
const USER_HI = [{ role: 'user', content: 'hi' }];

function post(
  app: App,
  path: string,
  body: unknown,
  headers: Record<string, string> = BEARER,
  init: RequestInit = {},
) {
  return app.request(path, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
}

interface SseEvent {
  event: string | null;
  data: string;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice('event: '.length);
        else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
      }
      return { event, data: data.join('\n') };
    });
}

/** Reads from `reader` until `count` complete events have arrived (or the stream ends). */
async function readEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
  state: { text: string } = { text: '' },
): Promise<SseEvent[]> {
  const decoder = new TextDecoder();
  for (;;) {
    const complete = state.text.lastIndexOf('\n\n');
    const events = complete < 0 ? [] : parseSse(state.text.slice(0, complete + 2));
    if (events.length >= count) return events;
    const { done, value } = await reader.read();
    if (done) return events;
    state.text += decoder.decode(value, { stream: true });
  }
}

function chunks(events: SseEvent[]): OpenAiChatCompletionChunk[] {
  return events
    .filter((e) => e.event === null && e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data) as OpenAiChatCompletionChunk);
}

function receiptOf(res: Response) {
  return {
    node: res.headers.get('x-atmosphere-node'),
    capability: res.headers.get('x-atmosphere-capability'),
    routeId: res.headers.get('x-atmosphere-route-id'),
    attempts: res.headers.get('x-atmosphere-attempts'),
  };
}

describe('GET /v1/models', () => {
  it('lists auto first, then every model in the mesh with the node that serves it', async () => {
    const { app } = setupOpenAiApi();
    const res = await app.request('/v1/models', { headers: BEARER });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: unknown[] };
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(FAKE_MESH_MODELS.length + 1);
    expect(body.data[0]).toEqual({
      id: 'auto',
      object: 'model',
      created: 0,
      owned_by: 'atmosphere',
      atmosphere: { kind: 'auto', nodeId: null, nodeName: null, capabilityId: null, local: false },
    });
    expect(body.data[2]).toEqual({
      id: 'qwen2.5-coder:7b',
      object: 'model',
      created: 0,
      owned_by: 'gpu-box',
      atmosphere: {
        kind: 'chat',
        nodeId: '12D3KooWGpuBox',
        nodeName: 'gpu-box',
        capabilityId: 'ollama/qwen2.5-coder:7b',
        local: false,
      },
    });
    expect(body.data.map((m) => (m as { id: string }).id)).toEqual([
      'auto',
      'llama3.2:3b',
      'qwen2.5-coder:7b',
      'llama3.2:3b',
      'default/camelids',
      'nomic-embed-text',
    ]);
  });

  it('retrieves one model, preferring this node’s copy, with slashes in the id raw or encoded', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.meshModels = [...FAKE_MESH_MODELS].reverse();
    const llama = (await (await app.request('/v1/models/llama3.2:3b', { headers: BEARER })).json()) as {
      atmosphere: { nodeId: string; local: boolean };
    };
    expect(llama.atmosphere).toMatchObject({ nodeId: '12D3KooWTestNode', local: true });
    for (const path of ['/v1/models/default/camelids', '/v1/models/default%2Fcamelids']) {
      const res = await app.request(path, { headers: BEARER });
      expect(res.status, path).toBe(200);
      expect(await res.json()).toMatchObject({ id: 'default/camelids', owned_by: 'gpu-box' });
    }
    expect(await (await app.request('/v1/models/auto', { headers: BEARER })).json()).toMatchObject({
      id: 'auto',
    });
  });

  it('answers an unknown model with a 404 model_not_found envelope', async () => {
    const { app } = setupOpenAiApi();
    const res = await app.request('/v1/models/gpt-9', { headers: BEARER });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({
      message: 'no node in the mesh has the model "gpt-9"; GET /v1/models lists them',
      type: 'not_found_error',
      code: 'model_not_found',
      param: 'model',
    });
  });
});

describe('authentication on /v1/*', () => {
  it('refuses requests without the owner token when require_auth is on (the default)', async () => {
    const { app, gateway } = setupOpenAiApi();
    const list = await app.request('/v1/models');
    expect(list.status).toBe(401);
    expect(await errorOf(list)).toMatchObject({ type: 'authentication_error', code: 'unauthorized' });
    const wrong = await post(
      app,
      '/v1/chat/completions',
      { model: 'auto', messages: USER_HI },
      {
        Authorization: 'Bearer not-the-token',
      },
    );
    expect(wrong.status).toBe(401);
    expect(gateway.calls).toHaveLength(0);
  });

  it('accepts a web panel session, which needs the CSRF header to post', async () => {
    const { app } = setupOpenAiApi();
    const { cookie, csrfToken } = await signIn(app);
    expect((await app.request('/v1/models', { headers: { Cookie: cookie } })).status).toBe(200);
    const body = { messages: USER_HI };
    expect((await post(app, '/v1/chat/completions', body, { Cookie: cookie })).status).toBe(401);
    const ok = await post(app, '/v1/chat/completions', body, { Cookie: cookie, [CSRF_HEADER]: csrfToken });
    expect(ok.status).toBe(200);
  });

  it('serves /v1/* without a token when require_auth is off, but keeps /api/routes owner-only', async () => {
    const { app } = setupOpenAiApi({ requireAuthForV1: false });
    expect((await app.request('/v1/models')).status).toBe(200);
    const res = await post(app, '/v1/chat/completions', { model: 'auto', messages: USER_HI }, {});
    expect(res.status).toBe(200);
    const routeId = res.headers.get('x-atmosphere-route-id');
    expect((await app.request(`/api/routes/${routeId}`)).status).toBe(401);
    expect((await app.request(`/api/routes/${routeId}`, { headers: BEARER })).status).toBe(200);
  });

  it('follows access.require_auth as it changes while the node runs', async () => {
    let requireAuth = false;
    const { app } = setupOpenAiApi({ requireAuthForV1: () => requireAuth });
    expect((await app.request('/v1/models')).status).toBe(200);
    requireAuth = true; // the owner turns it on in config.yaml
    expect((await app.request('/v1/models')).status).toBe(401);
    expect((await app.request('/v1/models', { headers: BEARER })).status).toBe(200);
    requireAuth = false;
    expect((await app.request('/v1/models')).status).toBe(200);
  });

  it('has no /v1/* routes on a node built without a gateway', async () => {
    const { app } = setupApi();
    const res = await app.request('/v1/models', { headers: BEARER });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers a chat.completion with the model that answered, usage and the route receipt', async () => {
    const { app, gateway } = setupOpenAiApi();
    const res = await post(app, '/v1/chat/completions', { model: 'auto', messages: USER_HI });
    expect(res.status).toBe(200);
    expect(receiptOf(res)).toEqual({
      node: '12D3KooWTestNode',
      capability: 'ollama/llama3.2:3b',
      routeId: 'rt_1',
      attempts: '1',
    });
    expect(await res.json()).toEqual({
      id: expect.stringMatching(/^chatcmpl-[0-9a-f]{32}$/) as unknown,
      object: 'chat.completion',
      created: CREATED,
      model: 'llama3.2:3b',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'echo: hi', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(gateway.calls[0]?.options.requester).toBe('local');
  });

  it('maps OpenAI’s snake_case request to the gateway’s ChatRequest and ignores fields it does not use', async () => {
    const { app, gateway } = setupOpenAiApi();
    const res = await post(app, '/v1/chat/completions', {
      model: 'qwen2.5-coder:7b',
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'weather in' },
            { type: 'text', text: 'Paris?' },
          ],
          name: 'ann',
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      max_completion_tokens: 64,
      stop: 'END',
      seed: 7,
      n: 1,
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'weather now',
            parameters: { type: 'object' },
            strict: true,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      user: 'someone',
      presence_penalty: 0.5,
      logprobs: false,
      metadata: { a: 'b' },
    });
    expect(res.status).toBe(200);
    const expected: ChatRequest = {
      model: 'qwen2.5-coder:7b',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather in\nParis?', name: 'ann' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'tool', content: '18°C', toolCallId: 'call_1' },
      ],
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 64,
      stop: ['END'],
      seed: 7,
      tools: [{ name: 'weather', description: 'weather now', parameters: { type: 'object' } }],
      toolChoice: { name: 'weather' },
    };
    expect(gateway.calls[0]?.request).toEqual(expected);
    expect(receiptOf(res).node).toBe('12D3KooWGpuBox');
  });

  it('returns tool calls with null content and finish_reason tool_calls', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.chatReply = (request) => ({
      model: request.model,
      content: '',
      reasoning: 'the user wants the weather',
      toolCalls: [{ id: 'call_w', name: 'weather', arguments: '{"city":"Oslo"}' }],
      finishReason: 'tool_calls',
      usage: null,
    });
    const res = await post(app, '/v1/chat/completions', {
      model: 'auto',
      messages: USER_HI,
      tools: [{ type: 'function', function: { name: 'weather' } }],
      tool_choice: 'required',
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            { id: 'call_w', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          ],
          reasoning_content: 'the user wants the weather',
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ]);
    expect(body).not.toHaveProperty('usage');
    expect(gateway.calls[0]?.request).toMatchObject({ toolChoice: 'required', tools: [{ name: 'weather' }] });
  });

  it('counts every node tried in X-Atmosphere-Attempts and explains the route at /api/routes/{id}', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.failedAttempts = [
      {
        nodeId: '12D3KooWGone',
        capabilityId: 'ollama/llama3.2:3b',
        error: { code: 'peer_unreachable', message: 'gone' },
      },
    ];
    const res = await post(app, '/v1/chat/completions', { model: 'auto', messages: USER_HI });
    expect(receiptOf(res).attempts).toBe('2');
    const explained = await app.request('/api/routes/rt_1', { headers: BEARER });
    expect(explained.status).toBe(200);
    expect(await explained.json()).toEqual({
      receipt: {
        routeId: 'rt_1',
        nodeId: '12D3KooWTestNode',
        nodeName: 'test-node',
        capabilityId: 'ollama/llama3.2:3b',
        model: 'llama3.2:3b',
        mode: 'auto',
        attempts: [
          {
            nodeId: '12D3KooWGone',
            capabilityId: 'ollama/llama3.2:3b',
            error: { code: 'peer_unreachable', message: 'gone' },
          },
          { nodeId: '12D3KooWTestNode', capabilityId: 'ollama/llama3.2:3b', error: null },
        ],
      },
      atMs: STARTED_AT_MS,
      intent: 'hi',
      decision: {
        candidates: FAKE_MESH_MODELS.filter((m) => m.kind !== 'embed').map((m) => ({
          nodeId: m.nodeId,
          capabilityId: m.capabilityId,
        })),
      },
    });
  });

  it('answers an unknown or expired route id with a 404 route_not_found envelope', async () => {
    const { app } = setupOpenAiApi();
    const res = await app.request('/api/routes/rt_404', { headers: BEARER });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'route_not_found', type: 'not_found_error' });
  });

  it('maps routing failures: an unknown model is 404 model_not_found, no capable node is 503 no_capability', async () => {
    const { app, gateway } = setupOpenAiApi();
    const missing = await post(app, '/v1/chat/completions', { model: 'gpt-9', messages: USER_HI });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ code: 'model_not_found', type: 'not_found_error' });

    gateway.meshModels = [];
    const none = await post(app, '/v1/chat/completions', { model: 'auto', messages: USER_HI });
    expect(none.status).toBe(503);
    expect(await errorOf(none)).toMatchObject({ code: 'no_capability', type: 'unavailable_error' });

    gateway.failNext = new ModelNotFoundError('ollama does not have the model "x"');
    expect((await post(app, '/v1/chat/completions', { messages: USER_HI })).status).toBe(404);
    gateway.failNext = new NoCapabilityError('every node with the model is unreachable');
    expect((await post(app, '/v1/chat/completions', { messages: USER_HI, stream: true })).status).toBe(503);
    expect(missing.headers.get('x-atmosphere-route-id')).toBeNull();
  });

  it('refuses images, n > 1, structured output and legacy functions with 400 unsupported_parameter', async () => {
    const { app, gateway } = setupOpenAiApi();
    const image = await post(app, '/v1/chat/completions', {
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    });
    expect(image.status).toBe(400);
    const imageError = await errorOf(image);
    expect(imageError).toMatchObject({
      code: 'unsupported_parameter',
      type: 'invalid_request_error',
      param: 'messages[0].content[1]',
    });
    expect(imageError.message).toContain('images');
    expect(imageError.message).toContain('not supported yet');

    const cases: [Record<string, unknown>, string][] = [
      [{ n: 2 }, 'n'],
      [{ response_format: { type: 'json_schema', json_schema: {} } }, 'response_format'],
      [{ functions: [{ name: 'f' }] }, 'functions'],
      [
        {
          tools: [{ type: 'function', function: { name: 'a' } }],
          tool_choice: { type: 'function', function: { name: 'b' } },
        },
        'tool_choice',
      ],
    ];
    for (const [extra, param] of cases) {
      const res = await post(app, '/v1/chat/completions', { model: 'auto', messages: USER_HI, ...extra });
      expect(res.status, param).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 'unsupported_parameter', param });
    }
    expect(gateway.calls).toHaveLength(0);
  });

  it('refuses malformed bodies with 400 invalid_request_body naming the field', async () => {
    const { app, gateway } = setupOpenAiApi();
    const cases: [unknown, string][] = [
      [{ model: 'auto' }, 'messages'],
      [{ messages: [] }, 'messages'],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
      [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
      [{ messages: USER_HI, temperature: 3 }, 'temperature'],
      [{ messages: USER_HI, max_tokens: 0 }, 'max_tokens'],
      [{ messages: USER_HI, stop: 5 }, 'stop'],
      [{ messages: USER_HI, tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0].type'],
      [{ messages: USER_HI, stream: 'yes' }, 'stream'],
    ];
    for (const [body, param] of cases) {
      const res = await post(app, '/v1/chat/completions', body);
      expect(res.status, param).toBe(400);
      expect(await errorOf(res), param).toMatchObject({ code: 'invalid_request_body', param });
    }
    const notJson = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { ...BEARER, 'Content-Type': 'application/json' },
      body: '{"messages": [',
    });
    expect(notJson.status).toBe(400);
    expect(gateway.calls).toHaveLength(0);
  });

  it('passes the request’s signal to the gateway, so a client that leaves aborts the work', async () => {
    const { app, gateway } = setupOpenAiApi();
    const client = new AbortController();
    await post(app, '/v1/chat/completions', { messages: USER_HI }, BEARER, { signal: client.signal });
    const signal = gateway.calls[0]?.options.signal;
    expect(signal?.aborted).toBe(false);
    client.abort();
    expect(signal?.aborted).toBe(true);
  });
});

describe('POST /v1/chat/completions with stream: true', () => {
  it('streams chat.completion.chunk events with the receipt headers, ending in [DONE]', async () => {
    const { app } = setupOpenAiApi();
    const res = await post(app, '/v1/chat/completions', { model: 'auto', messages: USER_HI, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(receiptOf(res)).toEqual({
      node: '12D3KooWTestNode',
      capability: 'ollama/llama3.2:3b',
      routeId: 'rt_1',
      attempts: '1',
    });
    const text = await res.text();
    const events = parseSse(text);
    expect(events.at(-1)).toEqual({ event: null, data: '[DONE]' });
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const all = chunks(events);
    const id = all[0]?.id;
    expect(id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    const base = { id, object: 'chat.completion.chunk', created: CREATED, model: 'llama3.2:3b' };
    const choice = (delta: unknown, finish: string | null) => [
      { index: 0, delta, logprobs: null, finish_reason: finish },
    ];
    expect(all).toEqual([
      { ...base, choices: choice({ role: 'assistant', content: '' }, null) },
      { ...base, choices: choice({ content: 'Hel' }, null) },
      { ...base, choices: choice({ content: 'lo' }, null) },
      { ...base, choices: choice({}, 'stop') },
    ]);
  });

  it('adds usage: null to every chunk and a last usage chunk when stream_options.include_usage is set', async () => {
    const { app } = setupOpenAiApi();
    const res = await post(app, '/v1/chat/completions', {
      messages: USER_HI,
      stream: true,
      stream_options: { include_usage: true },
    });
    const all = chunks(parseSse(await res.text()));
    expect(all).toHaveLength(5);
    expect(all.slice(0, 4).every((c) => c.usage === null)).toBe(true);
    expect(all[4]).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
  });

  it('streams tool calls: the first delta of each call has id, type and name, later ones only arguments', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.streamReply = (_request, signal) =>
      scriptedStream(
        [
          { content: '', reasoning: 'need weather' },
          { content: '', toolCalls: [{ index: 0, id: 'call_a', name: 'weather', arguments: '' }] },
          { content: '', toolCalls: [{ index: 0, arguments: '{"city":' }] },
          {
            content: '',
            toolCalls: [
              { index: 0, arguments: '"Oslo"}' },
              { index: 1, name: 'time' },
            ],
          },
          { content: '', finishReason: 'tool_calls', usage: tokenUsage(9, 4) },
        ],
        { signal },
      );
    const res = await post(app, '/v1/chat/completions', {
      messages: USER_HI,
      stream: true,
      tools: [
        { type: 'function', function: { name: 'weather' } },
        { type: 'function', function: { name: 'time' } },
      ],
    });
    const deltas = chunks(parseSse(await res.text())).map((c) => [
      c.choices[0]?.delta,
      c.choices[0]?.finish_reason,
    ]);
    expect(deltas).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ reasoning_content: 'need weather' }, null],
      [
        {
          tool_calls: [
            { index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } },
          ],
        },
        null,
      ],
      [{ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, null],
      [
        {
          tool_calls: [
            { index: 0, function: { arguments: '"Oslo"}' } },
            { index: 1, id: 'call_1', type: 'function', function: { name: 'time', arguments: '' } },
          ],
        },
        null,
      ],
      [{}, 'tool_calls'],
    ]);
  });

  it('writes the first chunks before the model has produced the rest', async () => {
    const { app, gateway } = setupOpenAiApi();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const probe: StreamProbe = { yielded: 0, closed: false, aborted: false };
    gateway.streamReply = (_request, signal) =>
      scriptedStream([{ content: 'one' }, { content: 'two' }, { content: '', finishReason: 'stop' }], {
        signal,
        gates: new Map([[1, gate]]),
        probe,
      });
    const res = await post(app, '/v1/chat/completions', { messages: USER_HI, stream: true });
    const reader = res.body!.getReader();
    const state = { text: '' };
    const early = chunks(await readEvents(reader, 2, state));
    expect(early.map((c) => c.choices[0]?.delta.content)).toEqual(['', 'one']);
    expect(probe.yielded).toBe(1);
    release();
    const all = await readEvents(reader, 5, state);
    expect(probe.yielded).toBe(3);
    expect(chunks(all).map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['', 'one', 'two', null]);
    expect(all.at(-1)?.data).toBe('[DONE]');
  });

  it('aborts the upstream and stops iterating when the client cancels the stream', async () => {
    const { app, gateway } = setupOpenAiApi();
    const probe: StreamProbe = { yielded: 0, closed: false, aborted: false };
    const never = new Promise<void>(() => {});
    gateway.streamReply = (_request, signal) =>
      scriptedStream(
        [{ content: 'a' }, { content: 'b' }, { content: 'c' }, { content: '', finishReason: 'stop' }],
        { signal, gates: new Map([[2, never]]), probe },
      );
    const res = await post(app, '/v1/chat/completions', { messages: USER_HI, stream: true });
    const reader = res.body!.getReader();
    await readEvents(reader, 3);
    expect(probe.closed).toBe(false);
    await reader.cancel();
    await vi.waitFor(() => expect(probe.closed).toBe(true));
    expect(probe.aborted).toBe(true);
    expect(probe.yielded).toBe(2);
    expect(gateway.calls[0]?.options.signal?.aborted).toBe(true);
  });

  it('aborts the upstream when the request’s signal aborts mid-stream (the HTTP server’s disconnect)', async () => {
    const { app, gateway } = setupOpenAiApi();
    const probe: StreamProbe = { yielded: 0, closed: false, aborted: false };
    gateway.streamReply = (_request, signal) =>
      scriptedStream([{ content: 'a' }, { content: '', finishReason: 'stop' }], {
        signal,
        gates: new Map([[1, new Promise<void>(() => {})]]),
        probe,
      });
    const client = new AbortController();
    const res = await post(app, '/v1/chat/completions', { messages: USER_HI, stream: true }, BEARER, {
      signal: client.signal,
    });
    const reader = res.body!.getReader();
    await readEvents(reader, 2);
    const pending = readEvents(reader, 3);
    client.abort();
    await vi.waitFor(() => expect(probe.closed).toBe(true));
    expect(probe.aborted).toBe(true);
    await pending;
  });

  it('ends a stream that fails after two chunks with an error event in OpenAI’s envelope and no [DONE]', async () => {
    const lines: LoggedLine[] = [];
    const { app, gateway } = setupOpenAiApi({}, { logger: recordingLogger(lines) });
    gateway.streamReply = (_request, signal) =>
      scriptedStream([{ content: 'a' }, { content: 'b' }, { content: 'c' }], {
        signal,
        failAfter: 2,
        failWith: new BackendUnavailableError('ollama stopped answering at http://127.0.0.1:11434'),
      });
    const res = await post(app, '/v1/chat/completions', { messages: USER_HI, stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = parseSse(text);
    expect(chunks(events).map((c) => c.choices[0]?.delta.content)).toEqual(['', 'a', 'b']);
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: JSON.stringify({
        error: {
          message: 'ollama stopped answering at http://127.0.0.1:11434',
          type: 'unavailable_error',
          code: 'backend_unavailable',
          param: null,
        },
      }),
    });
    expect(text).not.toContain('[DONE]');
    expect(lines.some((l) => l.level === 'warn' && l.fields.routeId === 'rt_1')).toBe(true);
  });

  it('reports a stream that ends without a finish reason as interrupted', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.streamReply = (_request, signal) => scriptedStream([{ content: 'half' }], { signal });
    const events = parseSse(
      await (await post(app, '/v1/chat/completions', { messages: USER_HI, stream: true })).text(),
    );
    expect(events.at(-1)?.event).toBe('error');
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ error: { code: 'backend_stream_interrupted' } });
  });

  it('answers a failure before the first chunk with an ordinary JSON error and status', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.streamReply = (_request, signal) =>
      scriptedStream([{ content: 'never' }] satisfies ChatChunk[], {
        signal,
        failAfter: 0,
        failWith: new BackendUnavailableError('connection refused at http://127.0.0.1:11434'),
      });
    const res = await post(app, '/v1/chat/completions', { messages: USER_HI, stream: true });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await errorOf(res)).toMatchObject({ code: 'backend_unavailable' });
  });
});

describe('POST /v1/embeddings', () => {
  it('embeds a list of strings with an embed model for auto, as floats with usage and the receipt', async () => {
    const { app, gateway } = setupOpenAiApi();
    const res = await post(app, '/v1/embeddings', {
      model: 'auto',
      input: ['ab', 'cde'],
      encoding_format: 'float',
    });
    expect(res.status).toBe(200);
    expect(receiptOf(res)).toEqual({
      node: '12D3KooWTestNode',
      capability: 'ollama/nomic-embed-text',
      routeId: 'rt_1',
      attempts: '1',
    });
    expect(await res.json()).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [2, 0, 0.5] },
        { object: 'embedding', index: 1, embedding: [3, 1, 0.5] },
      ],
      model: 'nomic-embed-text',
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    const expected: EmbedRequest = { model: 'auto', input: ['ab', 'cde'] };
    expect(gateway.calls[0]?.request).toEqual(expected);
  });

  it('embeds a single string and encodes vectors as little-endian float32 base64 on request', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.embedReply = (request) => ({
      model: request.model,
      embeddings: [[1.5, -2, 0.25]],
      promptTokens: null,
    });
    const res = await post(app, '/v1/embeddings', {
      model: 'nomic-embed-text',
      input: 'hello',
      encoding_format: 'base64',
    });
    const body = (await res.json()) as { data: { embedding: string }[]; usage: unknown };
    const bytes = Buffer.from(body.data[0]!.embedding, 'base64');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect([0, 4, 8].map((offset) => view.getFloat32(offset, true))).toEqual([1.5, -2, 0.25]);
    expect(body.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
    expect(gateway.calls[0]?.request).toEqual({ model: 'nomic-embed-text', input: ['hello'] });
  });

  it('refuses empty input, token arrays and a dimensions value the model does not make', async () => {
    const { app } = setupOpenAiApi();
    const empty = await post(app, '/v1/embeddings', { input: [] });
    expect(empty.status).toBe(400);
    expect(await errorOf(empty)).toMatchObject({ code: 'invalid_request_body', param: 'input' });
    const tokens = await post(app, '/v1/embeddings', { input: [[1, 2, 3]] });
    expect(tokens.status).toBe(400);
    expect(await errorOf(tokens)).toMatchObject({ code: 'unsupported_parameter', param: 'input' });
    const dims = await post(app, '/v1/embeddings', { input: 'x', dimensions: 256 });
    expect(dims.status).toBe(400);
    expect(await errorOf(dims)).toMatchObject({ code: 'unsupported_parameter', param: 'dimensions' });
    expect((await post(app, '/v1/embeddings', { input: 'x', dimensions: 3 })).status).toBe(200);
  });

  it('answers a mesh without an embedding model with 503 no_capability', async () => {
    const { app, gateway } = setupOpenAiApi();
    gateway.meshModels = FAKE_MESH_MODELS.filter((m) => m.kind !== 'embed');
    const res = await post(app, '/v1/embeddings', { input: 'x' });
    expect(res.status).toBe(503);
    expect(await errorOf(res)).toMatchObject({ code: 'no_capability' });
  });
});
