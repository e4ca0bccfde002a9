import { Hono } from 'hono';
import { z } from 'zod';
import type { ScanReport } from '../../core/index.js';
import { AbortedError, ScanNotFoundError } from '../../core/index.js';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';
import { sseBody, sseData, sseErrorEvent } from '../openai/sse-stream.js';

/** What the API needs from the node's scan service. */
export interface ScanControl {
  latest(): ScanReport | null;
  readonly scanning: boolean;
  scan(options: {
    withTests?: boolean;
    signal?: AbortSignal;
    onProgress?: (message: string) => void;
  }): Promise<ScanReport>;
}

const scanBody = z.strictObject({ test: z.boolean().optional() }).optional();

/**
 * The capability scan: `GET /api/scan` is the latest stored report (404 `scan_not_found` before the
 * first scan); `POST /api/scan {"test": true?}` rescans and answers with the new report — or, when the
 * client accepts `text/event-stream`, streams `progress` events and ends with a `report` event.
 */
export function scanRoutes(deps: { scanner: ScanControl }): ApiRoutes {
  const { scanner } = deps;
  const routes = new Hono<ApiEnv>();

  routes.get('/api/scan', (c) => {
    const report = scanner.latest();
    if (report === null) {
      throw new ScanNotFoundError('no scan yet: run `atmosphere scan` or POST /api/scan');
    }
    return c.json({ scanning: scanner.scanning, report });
  });

  routes.post('/api/scan', async (c) => {
    const body = (await parseJsonBody(c, scanBody)) ?? {};
    const withTests = body.test === true;
    if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
      const report = await scanner.scan({ withTests, signal: c.req.raw.signal });
      return c.json({ report });
    }
    const disconnected = new AbortController();
    const signal = AbortSignal.any([c.req.raw.signal, disconnected.signal]);
    const queue: string[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    const push = (frame: string): void => {
      queue.push(frame);
      wake?.();
    };
    scanner
      .scan({ withTests, signal, onProgress: (message) => push(`event: progress\n${sseData({ message })}`) })
      .then(
        (report) => push(`event: report\n${sseData({ report })}`),
        (err: unknown) => push(sseErrorEvent(err)),
      )
      .finally(() => {
        finished = true;
        wake?.();
      });
    async function* frames(): AsyncGenerator<string> {
      yield ': scanning\n\n';
      for (;;) {
        const frame = queue.shift();
        if (frame !== undefined) {
          yield frame;
          continue;
        }
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    }
    const stream = sseBody(frames(), {
      onCancel: () => disconnected.abort(new AbortedError('the client closed the scan stream')),
      onError: () => undefined,
    });
    return c.body(stream, 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    });
  });

  return routes;
}
