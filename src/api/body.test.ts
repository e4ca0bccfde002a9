import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AtmosphereError } from '../core/index.js';
import { bodySizeLimit, parseJsonBody } from './body.js';

const Body = z.object({ name: z.string() }).optional();

/** A real @hono/node-server, so bodies arrive as Node requests (declared length or chunked). */
function makeServer() {
  const app = new Hono();
  app.use('*', bodySizeLimit(64));
  app.post('/echo', async (c) => c.json({ body: (await parseJsonBody(c, Body)) ?? null }));
  app.onError((err, c) =>
    c.json(
      { error: err.message },
      err instanceof AtmosphereError && err.code === 'request_body_too_large' ? 413 : 400,
    ),
  );
  return createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false });
}

let server: ReturnType<typeof makeServer>;
let port = 0;

beforeAll(async () => {
  server = makeServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** POSTs `parts` (one write each); `chunked` sends no Content-Length. */
function post(parts: string[], chunked: boolean): Promise<{ status: number; body: unknown }> {
  const total = Buffer.byteLength(parts.join(''));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/echo',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': total }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

describe('parseJsonBody over a Node server', () => {
  it('reads a body of declared length, even one sent in pieces', async () => {
    expect(await post(['{"na', 'me":"ä"}'], false)).toEqual({ status: 200, body: { body: { name: 'ä' } } });
  });

  it('reads a chunked body (buffered by the size limit first)', async () => {
    expect(await post(['{"name":', '"x"}'], true)).toEqual({ status: 200, body: { body: { name: 'x' } } });
  });

  it('treats an empty body as absent', async () => {
    expect(await post([], false)).toEqual({ status: 200, body: { body: null } });
  });

  it('refuses malformed JSON and values the schema refuses, naming the field', async () => {
    const bad = await post(['{"name":'], false);
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/not valid JSON/);
    const wrong = await post(['{"name":1}'], false);
    expect((wrong.body as { error: string }).error).toMatch(/field "name"/);
  });

  it('refuses bodies over the limit, declared or not', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(100) });
    expect((await post([big], false)).status).toBe(413);
    expect((await post([big.slice(0, 50), big.slice(50)], true)).status).toBe(413);
  });
});
