/**
 * The hand-written service worker (public/sw.js) run in a fake worker scope: what it caches, how
 * it answers offline, and that it leaves everything outside /phone/ alone.
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

const ORIGIN = 'https://node.example:7070';
const SOURCE = readFileSync(new URL('../public/sw.js', import.meta.url), 'utf8');

type Listener = (event: Record<string, unknown>) => void;

class FakeCache {
  readonly entries = new Map<string, Response>();
  private readonly fetch: (request: Request) => Promise<Response>;

  constructor(
    fetch: (request: Request) => Promise<Response> = () => Promise.reject(new TypeError('offline')),
  ) {
    this.fetch = fetch;
  }

  async add(request: Request): Promise<void> {
    const response = await this.fetch(request);
    if (!response.ok) throw new TypeError(`bad response ${response.status}`);
    await this.put(request, response);
  }

  private key(request: Request | string, ignoreSearch = false): string {
    const url = new URL(typeof request === 'string' ? request : request.url, ORIGIN);
    return ignoreSearch ? url.origin + url.pathname : url.href;
  }

  put(request: Request | string, response: Response): Promise<void> {
    this.entries.set(this.key(request), response);
    return Promise.resolve();
  }

  match(request: Request | string, options: { ignoreSearch?: boolean } = {}): Promise<Response | undefined> {
    const wanted = this.key(request, options.ignoreSearch);
    for (const [key, response] of this.entries) {
      const candidate = options.ignoreSearch ? this.key(key, true) : key;
      if (candidate === wanted) return Promise.resolve(response.clone());
    }
    return Promise.resolve(undefined);
  }

  keys(): Promise<Request[]> {
    return Promise.resolve([...this.entries.keys()].map((url) => new Request(url)));
  }

  delete(request: Request | string): Promise<boolean> {
    return Promise.resolve(this.entries.delete(this.key(request)));
  }
}

/** Loads sw.js with fake caches, fetch and clients; `online` decides whether fetch answers. */
function worker() {
  const listeners = new Map<string, Listener>();
  const stores = new Map<string, FakeCache>();
  const fetched: string[] = [];
  const state = { online: true, claimed: false, skipped: false };
  const caches = {
    open: (name: string) => {
      if (!stores.has(name)) stores.set(name, new FakeCache(fetch));
      return Promise.resolve(stores.get(name)!);
    },
    keys: () => Promise.resolve([...stores.keys()]),
    delete: (name: string) => Promise.resolve(stores.delete(name)),
  };
  const fetch = (request: Request | string): Promise<Response> => {
    const url = new URL(typeof request === 'string' ? request : request.url, ORIGIN).href;
    fetched.push(url);
    if (!state.online) return Promise.reject(new TypeError('Failed to fetch'));
    return Promise.resolve(new Response(`network ${url}`, { status: 200 }));
  };
  const self = {
    location: new URL(`${ORIGIN}/phone/sw.js`),
    addEventListener: (type: string, listener: Listener) => listeners.set(type, listener),
    skipWaiting: () => {
      state.skipped = true;
      return Promise.resolve();
    },
    clients: {
      claim: () => {
        state.claimed = true;
        return Promise.resolve();
      },
    },
  };
  const RelativeRequest = class extends Request {
    constructor(input: string, init?: RequestInit) {
      super(new URL(input, ORIGIN), init);
    }
  };
  runInNewContext(SOURCE, { self, caches, fetch, Request: RelativeRequest, Response, URL, Promise });

  /** Dispatches a fetch; resolves to the worker's answer, or null when it let the browser handle it. */
  const request = async (path: string, init: { method?: string; mode?: RequestMode } = {}) => {
    const req = new Request(path.startsWith('http') ? path : `${ORIGIN}${path}`, {
      method: init.method ?? 'GET',
    });
    Object.defineProperty(req, 'mode', { value: init.mode ?? 'cors' });
    let answer: Promise<Response> | null = null;
    listeners.get('fetch')!({ request: req, respondWith: (p: Promise<Response>) => (answer = p) });
    return answer === null ? null : await (answer as Promise<Response>).then((r) => r.text());
  };
  const lifecycle = async (type: 'install' | 'activate') => {
    let done: Promise<unknown> = Promise.resolve();
    listeners.get(type)!({ waitUntil: (p: Promise<unknown>) => (done = p) });
    await done;
  };
  return { request, lifecycle, stores, fetched, state };
}

describe('service worker', () => {
  it('caches the app shell on install and takes over at once', async () => {
    const sw = worker();
    await sw.lifecycle('install');
    expect([...sw.stores.keys()]).toEqual(['atmosphere-phone-v1']);
    expect([...sw.stores.get('atmosphere-phone-v1')!.entries.keys()]).toEqual([
      `${ORIGIN}/phone/`,
      `${ORIGIN}/phone/manifest.webmanifest`,
      `${ORIGIN}/phone/icons/icon-192.png`,
      `${ORIGIN}/phone/icons/icon-512.png`,
      `${ORIGIN}/phone/icons/apple-touch-icon.png`,
    ]);
    expect(sw.state.skipped).toBe(true);
  });

  it('installs even when the shell cannot be fetched', async () => {
    const sw = worker();
    sw.state.online = false;
    await sw.lifecycle('install');
    expect(sw.state.skipped).toBe(true);
  });

  it('deletes its own old caches on activate and nobody else’s', async () => {
    const sw = worker();
    sw.stores.set('atmosphere-phone-v0', new FakeCache());
    sw.stores.set('someone-else', new FakeCache());
    await sw.lifecycle('install');
    await sw.lifecycle('activate');
    expect([...sw.stores.keys()].sort()).toEqual(['atmosphere-phone-v1', 'someone-else']);
    expect(sw.state.claimed).toBe(true);
  });

  it('serves pages network-first and from the cache when offline', async () => {
    const sw = worker();
    expect(await sw.request('/phone/?from=qr', { mode: 'navigate' })).toBe(
      `network ${ORIGIN}/phone/?from=qr`,
    );
    sw.state.online = false;
    expect(await sw.request('/phone/', { mode: 'navigate' })).toBe(`network ${ORIGIN}/phone/?from=qr`);
    expect(await sw.request('/phone/index.html')).toBe(`network ${ORIGIN}/phone/?from=qr`);
  });

  it('serves hashed assets cache-first', async () => {
    const sw = worker();
    expect(await sw.request('/phone/assets/index-abc123.js')).toBe(
      `network ${ORIGIN}/phone/assets/index-abc123.js`,
    );
    sw.fetched.length = 0;
    expect(await sw.request('/phone/assets/index-abc123.js')).toBe(
      `network ${ORIGIN}/phone/assets/index-abc123.js`,
    );
    expect(sw.fetched).toEqual([]);
  });

  it('leaves everything outside /phone/ to the network and caches none of it', async () => {
    const sw = worker();
    for (const path of [
      '/api/status',
      '/ui/',
      '/v1/chat/completions',
      '/phone',
      '/phoneish/x',
      'https://other.example/phone/',
    ]) {
      expect(await sw.request(path)).toBeNull();
    }
    expect(await sw.request('/phone/assets/x.js', { method: 'POST' })).toBeNull();
    expect(await sw.request('/phone/sw.js')).toBeNull();
    expect(sw.fetched).toEqual([]);
    expect(sw.stores.size).toBe(0);
  });

  it('fails a page offline that it never saw', async () => {
    const sw = worker();
    sw.state.online = false;
    await expect(sw.request('/phone/', { mode: 'navigate' })).rejects.toThrow('Failed to fetch');
  });
});
