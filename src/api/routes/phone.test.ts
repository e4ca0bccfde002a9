import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setupApi } from '../../../test/api-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'atm-phone-dist-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>phone</title>');
writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
writeFileSync(join(dir, 'manifest.webmanifest'), '{"start_url":"/phone/"}');
writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the /phone/ mount', () => {
  it('serves the phone app to anyone, without the owner token, under its own CSP', async () => {
    const { app } = setupApi({ phoneDir: dir });
    const res = await app.request('/phone/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>phone</title>');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('serves the manifest, the service worker and hashed assets with the right types and caching', async () => {
    const { app } = setupApi({ phoneDir: dir });
    const manifest = await app.request('/phone/manifest.webmanifest');
    expect(manifest.headers.get('content-type')).toContain('application/manifest+json');
    const sw = await app.request('/phone/sw.js');
    expect(sw.headers.get('content-type')).toContain('text/javascript');
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    const asset = await app.request('/phone/assets/index-abc.js');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('answers client-side routes with index.html and refuses missing files and escapes', async () => {
    const { app } = setupApi({ phoneDir: dir });
    expect((await app.request('/phone/chat')).status).toBe(200);
    expect((await app.request('/phone/missing.js')).status).toBe(404);
    expect((await app.request('/phone/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await app.request('/phone/.hidden')).status).toBe(404);
    const redirect = await app.request('/phone');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/phone/');
  });

  it('says honestly when this build has no phone app', async () => {
    const { app } = setupApi({ phoneDir: null });
    const res = await app.request('/phone/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('does not include the built phone app');
  });
});
