import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupApi, signIn } from './api-fixtures.js';

let root: string;
let uiDir: string;

const INDEX_HTML =
  '<!doctype html><html><head><script type="module" src="/ui/assets/app-1a2b.js"></script></head><body><div id="root"></div></body></html>';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'atmosphere-ui-'));
  uiDir = join(root, 'dist');
  mkdirSync(join(uiDir, 'assets'), { recursive: true });
  writeFileSync(join(uiDir, 'index.html'), INDEX_HTML);
  writeFileSync(join(uiDir, 'assets', 'app-1a2b.js'), 'console.log("panel");');
  writeFileSync(join(uiDir, 'assets', 'style-3c4d.css'), 'body{margin:0}');
  writeFileSync(join(uiDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(uiDir, '.env'), 'SECRET=1');
  writeFileSync(join(root, 'secret.txt'), 'outside the UI folder');
  symlinkSync(join(root, 'secret.txt'), join(uiDir, 'linked.txt'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function signedIn() {
  const { app } = setupApi({ uiDir });
  const { cookie } = await signIn(app);
  const get = (path: string) => app.request(path, { headers: { Cookie: cookie } });
  return { app, get };
}

describe('the /ui mount with a built panel', () => {
  it('sends a browser without a session to the sign-in page, which explains `atmosphere ui`', async () => {
    const { app } = setupApi({ uiDir });
    for (const path of ['/ui/', '/ui/assets/app-1a2b.js', '/ui/settings']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location')).toBe('/ui/login');
    }
    const page = await app.request('/ui/login');
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('<code>atmosphere ui</code>');
  });

  it('serves index.html and assets with their content types to a signed-in browser', async () => {
    const { get } = await signedIn();
    const index = await get('/ui/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toBe(INDEX_HTML);

    const js = await get('/ui/assets/app-1a2b.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log("panel");');

    expect((await get('/ui/assets/style-3c4d.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await get('/ui/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers client-side routes with index.html and a missing file with 404', async () => {
    const { get } = await signedIn();
    const route = await get('/ui/peers/12D3KooWabc');
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(INDEX_HTML);
    const missing = await get('/ui/assets/missing.js');
    expect(missing.status).toBe(404);
  });

  it('never serves files outside the panel folder or hidden files', async () => {
    const { get } = await signedIn();
    for (const path of [
      '/ui/../secret.txt',
      '/ui/%2e%2e/secret.txt',
      '/ui/assets/..%2f..%2fsecret.txt',
      '/ui/..%5c..%5csecret.txt',
      '/ui/linked.txt',
      '/ui/.env',
      '/ui/%2eenv',
      '/ui/assets%00.js',
    ]) {
      const res = await get(path);
      const text = await res.text();
      expect(text, path).not.toContain('outside the UI folder');
      expect(text, path).not.toContain('SECRET');
      expect(res.status, path).toBe(404);
    }
  });

  it('answers HEAD for a file without a body', async () => {
    const { app } = await signedIn();
    const { cookie } = await signIn(app);
    const res = await app.request('/ui/assets/app-1a2b.js', { method: 'HEAD', headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe('');
  });
});
