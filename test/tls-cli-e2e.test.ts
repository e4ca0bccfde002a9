/**
 * The built CLI against a node configured for TLS through `ATMOSPHERE_TLS__*` (relative paths, so
 * they resolve against the Atmosphere home): it starts with an https API, `status` and `invite`
 * work over it, the phone link is https, `/phone/` is served over HTTPS with the certificate, the
 * mesh WebSocket port speaks WSS and is in the invite; and a half-configured `tls` section stops
 * the start with an error naming the missing key.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeInviteToken } from '../src/core/index.js';
import { START_ARGS, cleanEnv, ensureBuilt, runAtmosphere, tempHome } from './helpers/cli.js';
import type { TestCertificate } from './tls-fixtures.js';
import { certDir, selfSignedCertificate } from './tls-fixtures.js';

beforeAll(() => ensureBuilt(), 180_000);

/** GET over node:https trusting `ca`. */
function getWithCa(
  url: string,
  ca: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe('a node serving HTTPS and WSS, through the CLI', () => {
  const home = tempHome('atm-tls-');
  let certs: { dir: string; cleanup: () => void };
  let cert: TestCertificate;
  const env = (): NodeJS.ProcessEnv =>
    cleanEnv({
      ATMOSPHERE_TLS__CERT_FILE: 'tls/cert.pem',
      ATMOSPHERE_TLS__KEY_FILE: 'tls/key.pem',
      ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
      ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
    });
  const atm = (...args: string[]) =>
    runAtmosphere(['--home', home.dir, ...args], { env: env(), timeoutMs: 90_000 });
  let apiUrl = '';

  beforeAll(async () => {
    certs = certDir();
    cert = selfSignedCertificate(certs.dir);
    mkdirSync(join(home.dir, 'tls'), { recursive: true });
    copyFileSync(cert.certFile, join(home.dir, 'tls', 'cert.pem'));
    copyFileSync(cert.keyFile, join(home.dir, 'tls', 'key.pem'));
    const started = await atm(...START_ARGS, '--json');
    expect(started.code, started.stderr).toBe(0);
    apiUrl = (JSON.parse(started.stdout) as { apiUrl: string }).apiUrl;
  }, 120_000);

  afterAll(async () => {
    await atm('stop', '--timeout', '5');
    home.cleanup();
    certs?.cleanup();
  });

  it('starts with an https API URL and answers `status` over it', async () => {
    expect(apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await atm('status', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, apiUrl });
    // the certificate the CLI may pin is published beside the runtime state
    expect(readFileSync(join(home.dir, 'run', 'api-cert.pem'), 'utf8')).toBe(cert.cert);
  });

  it('gives an https phone link and an invite with the WSS address, TCP first', async () => {
    expect((await atm('mesh', 'create', 'family')).code).toBe(0);
    const invite = await atm('invite', '--phone', '--json');
    expect(invite.code, invite.stderr).toBe(0);
    const { phoneLinks, token, addresses } = JSON.parse(invite.stdout) as {
      phoneLinks: string[];
      token: string;
      addresses: string[];
    };
    expect(phoneLinks[0]).toMatch(new RegExp(`^${apiUrl.replace(/\./g, '\\.')}/phone/#join=atm1\\.`));
    expect(phoneLinks[0]?.endsWith(token)).toBe(true);
    expect(decodeInviteToken(token).addresses).toEqual(addresses);
    expect(addresses[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/);
    const wss = addresses.find((a) => a.endsWith('/tls/ws'));
    expect(wss).toBeDefined();

    // the mesh WebSocket port speaks WSS with the same certificate
    const port = /\/tcp\/(\d+)\/tls\/ws$/.exec(wss ?? '')?.[1];
    const opened = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`wss://127.0.0.1:${port}`, { ca: cert.cert });
      socket.once('open', () => {
        socket.terminate();
        resolve('open');
      });
      socket.once('error', (err) => resolve(err.message));
    });
    expect(opened).toBe('open');
  });

  it('serves the phone app over HTTPS with the certificate, with HSTS', async () => {
    const res = await getWithCa(`${apiUrl}/phone/`, cert.cert);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+$/);
    expect(res.headers['content-security-policy']).toContain('wss:');
  });

  it('removes the published certificate when it stops', async () => {
    const stopped = await atm('stop', '--timeout', '5');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(existsSync(join(home.dir, 'run', 'api-cert.pem'))).toBe(false);
  });
});

describe('a half-configured tls section', () => {
  it('stops `atmosphere start` with an error naming the missing key', async () => {
    const home = tempHome('atm-tls-bad-');
    const certs = certDir();
    try {
      const cert = selfSignedCertificate(certs.dir);
      const started = await runAtmosphere(['--home', home.dir, ...START_ARGS], {
        env: cleanEnv({ ATMOSPHERE_TLS__CERT_FILE: cert.certFile }),
        timeoutMs: 90_000,
      });
      expect(started.code).not.toBe(0);
      expect(started.stderr).toContain('tls.key_file: not set, but tls.cert_file is');
      // `config validate` says so before any start
      const validated = await runAtmosphere(['--home', home.dir, 'config', 'validate', '--json'], {
        env: cleanEnv({ ATMOSPHERE_TLS__CERT_FILE: cert.certFile }),
      });
      expect(validated.code).toBe(78);
      expect(JSON.parse(validated.stdout)).toMatchObject({
        valid: false,
        issues: [{ key: 'tls.key_file', message: expect.stringContaining('not set') as string }],
      });

      const missing = await runAtmosphere(['--home', home.dir, ...START_ARGS], {
        env: cleanEnv({ ATMOSPHERE_TLS__CERT_FILE: 'nope.pem', ATMOSPHERE_TLS__KEY_FILE: cert.keyFile }),
        timeoutMs: 90_000,
      });
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain(
        `tls.cert_file: cannot read ${join(home.dir, 'nope.pem')}: no such file`,
      );
    } finally {
      await runAtmosphere(['--home', home.dir, 'stop', '--timeout', '5']);
      certs.cleanup();
      home.cleanup();
    }
  }, 120_000);
});
