/**
 * The API over HTTPS on 127.0.0.1 with certificates made by openssl: `startHttpServer` with `tls`,
 * its headers, and the CLI's client, which trusts the node's own certificate (pinned, a leaf of a
 * private CA included) and, for a loopback URL without one, does not check.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHttpServer } from '../src/api/index.js';
import { startHttpServer } from '../src/api/index.js';
import { STRICT_TRANSPORT_SECURITY } from '../src/api/middleware/security-headers.js';
import { ApiClient } from '../src/client/index.js';
import { tlsOptions } from '../src/client/http-transport.js';
import { UnavailableError } from '../src/core/index.js';
import { OWNER_TOKEN, setupApi } from './api-fixtures.js';
import type { TestCertificate } from './tls-fixtures.js';
import { caIssuedCertificate, certDir, selfSignedCertificate } from './tls-fixtures.js';

const servers: RunningHttpServer[] = [];
let dir: { dir: string; cleanup: () => void };
/** Names 127.0.0.1: verifiable by any client that trusts it. */
let forLoopback: TestCertificate;
/** Names only a DNS name, as a certificate meant for phones on the LAN often does. */
let forDnsName: TestCertificate;
let stranger: TestCertificate;
let issued: { ca: TestCertificate; leaf: TestCertificate };

beforeAll(() => {
  dir = certDir();
  forLoopback = selfSignedCertificate(dir.dir, { name: 'loopback' });
  forDnsName = selfSignedCertificate(dir.dir, { name: 'dns', subjectAltName: 'DNS:atm.home.test' });
  stranger = selfSignedCertificate(dir.dir, { name: 'stranger' });
  issued = caIssuedCertificate(dir.dir, { subjectAltName: 'DNS:atm.home.test' });
});
afterAll(() => dir.cleanup());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ deadlineMs: 100 })));
});

async function serve(cert?: TestCertificate): Promise<RunningHttpServer> {
  const { api } = setupApi();
  const server = await startHttpServer(api, {
    host: '127.0.0.1',
    port: 0,
    ...(cert ? { tls: { cert: cert.cert, key: cert.key } } : {}),
  });
  servers.push(server);
  return server;
}

/** GET over node:https trusting `ca`; resolves with the status, headers and body. */
function getWithCa(
  url: string,
  ca: string | undefined,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ...(ca === undefined ? {} : { ca }), agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

/** The certificate a TLS server presents, without checking it. */
function presentedCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('startHttpServer with tls', () => {
  it('serves HTTPS with the certificate on the same host and port, and reports an https URL', async () => {
    const server = await serve(forLoopback);
    expect(server.secure).toBe(true);
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const res = await getWithCa(`${server.url}/health`, forLoopback.cert);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', nodeId: '12D3KooWTestNode' });
    // the usual security headers, and HSTS because this is HTTPS
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
    expect(STRICT_TRANSPORT_SECURITY).toMatch(/^max-age=\d+$/);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    const server = await serve(forLoopback);
    await expect(getWithCa(`${server.url}/health`, undefined)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    await expect(getWithCa(`${server.url}/health`, stranger.cert)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('sends no Strict-Transport-Security over plain HTTP', async () => {
    const server = await serve();
    expect(server.secure).toBe(false);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.has('strict-transport-security')).toBe(false);
  });
});

describe('the CLI client against an HTTPS API', () => {
  it("trusts the node's own certificate though it names a DNS name, not the 127.0.0.1 it dials", async () => {
    const server = await serve(forDnsName);
    // a plain client checks the name and refuses
    await expect(getWithCa(`${server.url}/health`, forDnsName.cert)).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    const client = new ApiClient({ baseUrl: server.url, token: OWNER_TOKEN, ca: forDnsName.cert });
    expect((await client.status()).nodeId).toBe('12D3KooWTestNode');
  });

  it('trusts a leaf issued by a private CA when given the leaf alone (mkcert)', async () => {
    const server = await serve(issued.leaf);
    const client = new ApiClient({ baseUrl: server.url, token: OWNER_TOKEN, ca: issued.leaf.cert });
    expect((await client.health()).status).toBe('ok');
    const viaCa = new ApiClient({ baseUrl: server.url, token: OWNER_TOKEN, ca: issued.ca.cert });
    expect((await viaCa.health()).status).toBe('ok');
  });

  it('refuses a server whose certificate is not the pinned one', async () => {
    const server = await serve(forLoopback);
    const err = await new ApiClient({ baseUrl: server.url, token: OWNER_TOKEN, ca: stranger.cert })
      .status()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/cannot reach the node at https:\/\/127\.0\.0\.1:\d+/);
  });

  it('reaches a loopback HTTPS node without a certificate to pin (the owner token still applies)', async () => {
    const server = await serve(forDnsName);
    expect((await new ApiClient({ baseUrl: server.url, token: OWNER_TOKEN }).status()).nodeId).toBe(
      '12D3KooWTestNode',
    );
    await expect(new ApiClient({ baseUrl: server.url, token: 'wrong' }).status()).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('checks everything for a non-loopback URL: public roots without a pin, names unless pinned', async () => {
    expect(tlsOptions(new URL('https://192.168.1.20:7470'), undefined)).toEqual({});
    expect(tlsOptions(new URL('https://127.0.0.1:7470'), undefined)).toEqual({ rejectUnauthorized: false });
    expect(tlsOptions(new URL('https://[::1]:7470'), undefined)).toEqual({ rejectUnauthorized: false });

    const server = await serve(forDnsName);
    const presented = await presentedCertificate(server.port);
    const pinned = tlsOptions(new URL('https://192.168.1.20:7470'), forDnsName.cert);
    expect(pinned).toMatchObject({ ca: forDnsName.cert, allowPartialTrustChain: true });
    // exactly the pinned certificate: the name it gives does not matter
    expect(pinned.checkServerIdentity?.('192.168.1.20', presented)).toBeUndefined();
    // pinned through its CA only: the name must match
    const viaCa = tlsOptions(new URL('https://192.168.1.20:7470'), stranger.cert);
    expect(viaCa.checkServerIdentity?.('192.168.1.20', presented)).toBeInstanceOf(Error);
    expect(viaCa.checkServerIdentity?.('atm.home.test', presented)).toBeUndefined();
  });
});
