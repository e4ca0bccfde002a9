/**
 * The mesh engine as the phone app runs it (src/mesh/browser.ts: WebCrypto, a dial-only libp2p node
 * with WebSocket + circuit relay), here in Node against real nodes on 127.0.0.1: it joins through a
 * node's WebSocket address, is reached by another member through that node's relay, and is cut off
 * when an admin revokes it. The same code runs in Chromium in test/phone-e2e.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/index.js';
import {
  MemoryMeshState,
  MeshService,
  browserMeshPlatform,
  generateWebCryptoEd25519Key,
} from '../src/mesh/browser.js';
import { FAST, TestMesh, connectedIds, waitFor } from './mesh-helpers.js';
import { systemClock } from './mesh-fixtures.js';

const mesh = new TestMesh();
const phones: MeshService[] = [];
afterEach(async () => {
  await Promise.all(phones.map(async (p) => await p.stop()));
  phones.length = 0;
  await mesh.stopAll();
});

async function phone(): Promise<MeshService> {
  const service = new MeshService(
    {
      ...browserMeshPlatform(),
      privateKey: await generateWebCryptoEd25519Key(),
      logger: silentLogger(),
      clock: systemClock,
      state: new MemoryMeshState(),
    },
    { ...FAST, name: 'pixel', tcpPort: null, wsPort: null, mdns: false, useRelays: true },
  );
  phones.push(service);
  await service.start();
  return service;
}

describe('the browser mesh platform', () => {
  it('joins over WebSocket, is reached through the relay, and is cut off by revocation', async () => {
    const home = await mesh.node(91, { relay: true });
    const { meshId } = await home.createMesh('Home');
    const desk = await mesh.node(92);
    await desk.join((await home.createInvite({ meshId })).token);

    const invite = await home.createInvite({ meshId });
    // a browser can only dial the WebSocket addresses of the invite
    expect(invite.addresses.some((a) => a.endsWith('/ws'))).toBe(true);
    const p = await phone();
    await expect(p.join(invite.token)).resolves.toMatchObject({ meshId });
    await waitFor(() => p.addresses().some((a) => a.includes('/p2p-circuit')), 'a relayed address', 10_000);

    p.handleInvoke(async function* (request, context) {
      await Promise.resolve();
      yield { served: request.capability, for: context.nodeId };
    });
    await p.setAnnouncement({
      summary: { name: 'pixel' },
      document: { capabilities: [] },
      capabilityCount: 1,
    });
    await waitFor(
      () => desk.announcements().some((a) => a.nodeId === p.nodeId),
      "the phone's announcement at the desk",
      10_000,
    );
    const out: unknown[] = [];
    for await (const frame of desk.invoke(p.nodeId, { capability: 'phone/location', input: null }))
      out.push(frame.data);
    expect(out).toEqual([{ served: 'phone/location', for: desk.nodeId }]);

    await home.revoke(p.nodeId, { meshId, reason: 'lost phone' });
    await waitFor(
      () => !connectedIds(home).includes(p.nodeId) && !connectedIds(desk).includes(p.nodeId),
      'the phone to be cut off',
      5_000,
    );
    await waitFor(() => p.peers().every((peer) => !peer.connected), 'the phone to see itself cut off', 5_000);
  });
});
