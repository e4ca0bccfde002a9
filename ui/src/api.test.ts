// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { ApiError, PanelApi, readSse } from './api.js';
import { FakeNode, apiError, sse } from './testing.js';

describe('the panel API client', () => {
  it('sends the session CSRF token on state-changing requests and not on reads', async () => {
    const node = new FakeNode({ 'GET /api/status': { name: 'a' }, 'PUT /api/limits': { limits: {} } });
    const api = new PanelApi({ fetch: node.fetch });
    await api.get('/api/status');
    await api.json('PUT', '/api/limits', { body: { max_concurrent: 2 } });
    expect(node.sent('GET', '/api/status')[0]?.headers['x-atmosphere-csrf']).toBeUndefined();
    const put = node.sent('PUT', '/api/limits')[0];
    expect(put?.headers['x-atmosphere-csrf']).toBe('csrf-1');
    expect(put?.body).toEqual({ max_concurrent: 2 });
  });

  it('turns the error envelope into an ApiError with its code and param', async () => {
    const node = new FakeNode({
      'POST /api/join': () => apiError(400, 'invite_expired', 'the invite expired', 'token'),
    });
    const api = new PanelApi({ fetch: node.fetch });
    const err = await api.json('POST', '/api/join', { body: { token: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 400,
      code: 'invite_expired',
      param: 'token',
      message: 'the invite expired',
    });
  });

  it('reads server-sent events split across chunks, with event names and multi-line data', async () => {
    const response = sse([
      'event: progress\ndata: {"message":',
      '"one"}\n\n: comment\n\ndata: a\ndata: b\n\n',
      'data: [DONE]\n\n',
    ]);
    const events = [];
    for await (const e of readSse(response.body!)) events.push(e);
    expect(events).toEqual([
      { event: 'progress', data: '{"message":"one"}' },
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  it('reads the id of a frame that has one', async () => {
    const response = sse(['id: 41\ndata: {"id":41}\n\n', 'data: plain\n\n']);
    const events = [];
    for await (const e of readSse(response.body!)) events.push(e);
    expect(events).toEqual([
      { event: 'message', data: '{"id":41}', id: '41' },
      { event: 'message', data: 'plain' },
    ]);
  });
});
