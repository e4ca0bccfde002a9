import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { clientSignal } from './client-signal.js';

const servers: ReturnType<typeof createAdaptorServer>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Serves `app` on 127.0.0.1 and returns its port. */
async function listen(app: Hono): Promise<number> {
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('clientSignal', () => {
  it('aborts when the client hangs up before the answer, and is the same signal every time', async () => {
    let seen: AbortSignal | undefined;
    let same = false;
    const aborted = new Promise<void>((resolve) => {
      const app = new Hono();
      app.get('/slow', async (c) => {
        seen = clientSignal(c);
        same = clientSignal(c) === seen;
        seen.addEventListener('abort', () => resolve(), { once: true });
        await new Promise((r) => setTimeout(r, 5_000));
        return c.text('late');
      });
      void listen(app).then((port) => {
        const req = request({ host: '127.0.0.1', port, path: '/slow' });
        req.on('error', () => undefined);
        req.end();
        setTimeout(() => req.destroy(), 50);
      });
    });
    await aborted;
    expect(seen?.aborted).toBe(true);
    expect(same).toBe(true);
  });

  it('stays quiet for a request that is answered in full', async () => {
    let seen: AbortSignal | undefined;
    const app = new Hono();
    app.get('/quick', (c) => {
      seen = clientSignal(c);
      return c.text('ok');
    });
    const port = await listen(app);
    const res = await fetch(`http://127.0.0.1:${port}/quick`);
    expect(await res.text()).toBe('ok');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen?.aborted).toBe(false);
  });

  it("falls back to the request's own signal outside a Node server", async () => {
    const app = new Hono();
    app.get('/x', (c) => c.text(String(clientSignal(c) === c.req.raw.signal)));
    expect(await (await app.request('/x')).text()).toBe('true');
  });
});
