/**
 * The mesh WebSocket listener over TLS on 127.0.0.1: a `MeshService` with `wsTls` listens on
 * `/tls/ws` (WSS, what a browser on an https page can dial), its invites keep TCP first and carry
 * the WSS address, a plain node joins it over TCP and gossips, and a WebSocket client that trusts
 * the certificate opens the listener while one that does not is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { MeshAnnouncement } from '../src/core/index.js';
import { decodeInviteToken } from '../src/core/index.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';
import type { TestCertificate } from './tls-fixtures.js';
import { certDir, selfSignedCertificate } from './tls-fixtures.js';

const mesh = new TestMesh();
let dir: { dir: string; cleanup: () => void };
let cert: TestCertificate;

beforeAll(() => {
  dir = certDir();
  cert = selfSignedCertificate(dir.dir);
});
afterAll(() => dir.cleanup());
afterEach(async () => {
  await mesh.stopAll();
});

/** The port of the first address ending in `suffix` (e.g. `/tls/ws`). */
function portOf(addresses: readonly string[], suffix: string): number {
  const address = addresses.find((a) => a.replace(/\/p2p\/[^/]+$/, '').endsWith(suffix));
  const port = /\/tcp\/(\d+)\//.exec(address ?? '')?.[1];
  if (port === undefined) throw new Error(`no ${suffix} address in ${addresses.join(', ')}`);
  return Number(port);
}

/** Opens a WebSocket and resolves 'open' or the error that stopped it. */
function openWebSocket(url: string, options: { ca?: string } = {}): Promise<'open' | Error> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => {
      socket.terminate();
      resolve('open');
    });
    socket.once('error', (err) => resolve(err));
  });
}

describe('a mesh node with wsTls', () => {
  it('listens on /tls/ws instead of /ws, and its invites list TCP first and the WSS address', async () => {
    const a = await mesh.node(81, { wsTls: { key: cert.key, cert: cert.cert } });
    const addresses = a.addresses().map((x) => x.replace(/\/p2p\/[^/]+$/, ''));
    expect(addresses.some((x) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/.test(x))).toBe(true);
    expect(addresses.some((x) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/tls\/ws$/.test(x))).toBe(true);
    expect(addresses.some((x) => /\/tcp\/\d+\/ws$/.test(x))).toBe(false);

    const { meshId } = await a.createMesh('Secure');
    const invite = await a.createInvite({ meshId });
    const embedded = decodeInviteToken(invite.token).addresses;
    expect(embedded).toEqual(invite.addresses);
    expect(embedded[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/);
    expect(embedded.some((x) => x.endsWith('/tls/ws'))).toBe(true);
  });

  it('is joined over TCP by a node without TLS, and they gossip', async () => {
    const a = await mesh.node(82, { wsTls: { key: cert.key, cert: cert.cert } });
    const b = await mesh.node(83);
    const { meshId } = await a.createMesh('Secure');
    await expect(b.join((await a.createInvite({ meshId })).token)).resolves.toMatchObject({ meshId });
    await waitFor(() => connectedIds(a).includes(b.nodeId), 'a to see b');
    await waitFor(() => connectedIds(b).includes(a.nodeId), 'b to see a');

    const received: MeshAnnouncement[] = [];
    b.addEventListener('announcement', (event) => {
      received.push(event.detail);
    });
    const { digest } = await a.setAnnouncement({
      summary: { models: ['qwen3'] },
      document: { caps: ['chat'] },
      capabilityCount: 1,
    });
    await waitFor(() => received.some((r) => r.nodeId === a.nodeId), "b to receive a's announcement");
    await expect(b.fetchDocument(a.nodeId, digest)).resolves.toEqual({ caps: ['chat'] });
    // and back: a TLS node dials and hears the plain one as usual
    const fromB: MeshAnnouncement[] = [];
    a.addEventListener('announcement', (event) => {
      fromB.push(event.detail);
    });
    await b.setAnnouncement({ summary: { models: [] }, document: { caps: [] }, capabilityCount: 0 });
    await waitFor(() => fromB.some((r) => r.nodeId === b.nodeId), "a to receive b's announcement");
  });

  it('accepts a WSS connection from a client that trusts the certificate, and nothing else', async () => {
    const a = await mesh.node(84, { wsTls: { key: cert.key, cert: cert.cert } });
    const port = portOf(a.addresses(), '/tls/ws');
    expect(await openWebSocket(`wss://127.0.0.1:${port}`, { ca: cert.cert })).toBe('open');
    // a client that does not trust it, and a plain ws:// client, are turned away
    const untrusted = await openWebSocket(`wss://127.0.0.1:${port}`);
    expect(untrusted).toBeInstanceOf(Error);
    expect((untrusted as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await openWebSocket(`ws://127.0.0.1:${port}`)).toBeInstanceOf(Error);
  });

  it('listens on plain /ws without wsTls', async () => {
    const a = await mesh.node(85);
    const port = portOf(a.addresses(), '/ws');
    expect(a.addresses().some((x) => x.includes('/tls/ws'))).toBe(false);
    expect(await openWebSocket(`ws://127.0.0.1:${port}`)).toBe('open');
  });
});
