import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OWNER_TOKEN, setupApi } from '../../test/api-fixtures.js';
import {
  AbortedError,
  InvalidRequestBodyError,
  MethodNotAllowedError,
  NodeNotRunningError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
} from '../core/index.js';
import { parseJsonBody } from '../api/index.js';
import { ApiClient } from './api-client.js';

const BASE_URL = 'http://127.0.0.1:7470';

/** A client whose requests go straight into the app, no sockets. */
function clientFor(token: string | undefined) {
  const { app } = setupApi();
  app.post('/api/echo', async (c) => c.json(await parseJsonBody(c, z.strictObject({ name: z.string() }))));
  const fetchIntoApp: typeof fetch = (input, init) =>
    Promise.resolve(app.request(input instanceof URL ? input.toString() : input, init));
  return new ApiClient({ baseUrl: `${BASE_URL}/`, token, fetch: fetchIntoApp });
}

describe('ApiClient', () => {
  it('reads health without a token and status with one', async () => {
    const client = clientFor(OWNER_TOKEN);
    expect(await client.health()).toEqual({
      status: 'ok',
      nodeId: '12D3KooWTestNode',
      version: '0.1.0',
      state: 'started',
    });
    const status = await client.status();
    expect(status.name).toBe('test-node');
  });

  it('creates a login token whose URL points at the node it asked', async () => {
    const login = await clientFor(OWNER_TOKEN).createLoginToken();
    expect(login.url).toBe(`${BASE_URL}/ui/login?token=${login.token}`);
  });

  it('turns a 401 into UnauthorizedError', async () => {
    await expect(clientFor('wrong-token').status()).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(clientFor(undefined).status()).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('turns 404 and 405 into NotFoundError and MethodNotAllowedError', async () => {
    const client = clientFor(OWNER_TOKEN);
    await expect(client.request('GET', '/api/nothing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.request('DELETE', '/health')).rejects.toBeInstanceOf(MethodNotAllowedError);
  });

  it('sends a JSON body and reports the field the server refused', async () => {
    const client = clientFor(OWNER_TOKEN);
    expect(await client.request('POST', '/api/echo', { body: { name: 'kitchen' } })).toEqual({
      name: 'kitchen',
    });
    const err = await client.request('POST', '/api/echo', { body: { name: 7 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestBodyError);
    expect((err as InvalidRequestBodyError).details.param).toBe('name');
  });

  it('reports a refused connection as NodeNotRunningError naming the URL', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7470'), { code: 'ECONNREFUSED' }),
    });
    const client = new ApiClient({ baseUrl: BASE_URL, fetch: () => Promise.reject(refused) });
    const err = await client.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeNotRunningError);
    expect((err as Error).message).toBe(`no node answering at ${BASE_URL} (connection refused)`);
  });

  it('reports other network failures as UnavailableError and an abort as AbortedError', async () => {
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const flaky = new ApiClient({ baseUrl: BASE_URL, fetch: () => Promise.reject(reset) });
    await expect(flaky.health()).rejects.toBeInstanceOf(UnavailableError);

    const controller = new AbortController();
    controller.abort();
    const client = new ApiClient({
      baseUrl: BASE_URL,
      fetch: (_input, init) =>
        Promise.reject(
          init?.signal?.aborted === true ? new DOMException('aborted', 'AbortError') : new Error('no signal'),
        ),
    });
    await expect(client.health({ signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
  });
});
