import { gossipsub } from '@libp2p/gossipsub';
import type { GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import * as lp from 'it-length-prefixed';
import { createLibp2p } from 'libp2p';
import { afterEach, describe, expect, it } from 'vitest';
import { INVOKE_PROTOCOL, topicFor } from '../src/mesh/index.js';
import { fixedKey } from './mesh-fixtures.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
const strangers: Libp2p[] = [];
afterEach(async () => {
  await mesh.stopAll();
  await Promise.all(strangers.map(async (s) => await s.stop()));
  strangers.length = 0;
});

/** A plain libp2p node that speaks gossipsub but holds no credential: an outsider who found us. */
async function stranger(): Promise<Libp2p<{ pubsub: GossipSub; identify: unknown }>> {
  const node = await createLibp2p({
    privateKey: await fixedKey(99),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        scoreParams: { IPColocationFactorWeight: 0 },
      }),
    },
  });
  strangers.push(node);
  return node;
}

describe('the membership gate', () => {
  it('keeps gossip away from a connected non-member and drops what it publishes', async () => {
    const a = await mesh.node(31, { handshakeTimeoutMs: 3_000 });
    const b = await mesh.node(32);
    const { meshId } = await a.createMesh('Private');
    await b.join((await a.createInvite({ meshId })).token);
    await waitFor(() => a.stats().gossipAccepted > 0, 'gossip to flow between the members');

    const outsider = await stranger();
    const received: string[] = [];
    outsider.services.pubsub.addEventListener('message', (event) => {
      received.push(event.detail.topic);
    });
    for (const kind of ['announce', 'heartbeat', 'revocation'] as const)
      outsider.services.pubsub.subscribe(topicFor(meshId, kind));
    await outsider.dial(multiaddr(a.addresses()[0]));

    const acceptedBefore = a.stats().gossipAccepted;
    await b.setAnnouncement({ summary: { secret: true }, document: { secret: true }, capabilityCount: 1 });
    for (let i = 0; i < 15; i++) {
      await outsider.services.pubsub.publish(
        topicFor(meshId, 'heartbeat'),
        new TextEncoder().encode(`spam ${i}`),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // meanwhile a kept accepting b's heartbeats (every 200 ms) and its announcement ...
    expect(a.stats().gossipAccepted).toBeGreaterThan(acceptedBefore + 3);
    // ... while the outsider, connected and subscribed, received nothing and its messages were dropped
    expect(outsider.getConnections().length).toBe(1);
    expect(received).toEqual([]);
    expect(a.stats().dropped.unverified_peer).toBeGreaterThan(0);
    // and once its handshake window passes, the silent outsider is hung up
    await waitFor(() => outsider.getConnections().length === 0, 'a to hang up on the outsider', 5_000);
    expect(a.stats().dropped.handshake_timeout).toBeGreaterThan(0);
    expect(received).toEqual([]);
  });

  it('refuses an invoke stream from a non-member without answering', async () => {
    const a = await mesh.node(33, { handshakeTimeoutMs: 500 });
    await a.createMesh('Private');
    let called = false;
    a.handleInvoke(async function* () {
      called = true;
      await Promise.resolve();
      yield 'secret';
    });
    const outsider = await stranger();
    const stream = await outsider.dialProtocol(multiaddr(a.addresses()[0]), INVOKE_PROTOCOL);
    stream.send(
      lp.encode.single(new TextEncoder().encode(JSON.stringify({ v: 1, capability: 'x', input: null }))),
    );
    const chunks: unknown[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk);
    } catch {
      // a reset is one acceptable way for the refusal to arrive
    }
    expect(chunks).toEqual([]);
    expect(called).toBe(false);
    expect(a.stats().dropped.stream_refused).toBe(1);
  });

  it('refuses a member of another mesh and says why in peers()', async () => {
    const a = await mesh.node(34);
    await a.createMesh('One');
    const b = await mesh.node(35, { bootstrap: [a.addresses()[0]!] }, undefined, false);
    await b.createMesh('Two');
    await b.start();
    await waitFor(
      () => b.peers().some((p) => p.nodeId === a.nodeId && p.reason === 'not_member'),
      'b to record the refusal',
    );
    await waitFor(
      () => a.peers().some((p) => p.nodeId === b.nodeId && p.reason === 'not_member'),
      'a to record the refusal',
    );
    expect(connectedIds(a)).toEqual([]);
    expect(connectedIds(b)).toEqual([]);
    expect(a.stats().dropped.handshake_failed + b.stats().dropped.handshake_failed).toBeGreaterThan(0);
    expect(a.peers().find((p) => p.nodeId === b.nodeId)?.detail).toMatch(/no valid credential/);
  });

  it('reports a peer that does not speak the handshake as incompatible_version', async () => {
    const outsider = await stranger();
    const a = await mesh.node(37, { bootstrap: [outsider.getMultiaddrs()[0]!.toString()] }, undefined, false);
    await a.createMesh('Mine');
    await a.start();
    await waitFor(
      () =>
        a.peers().some((p) => p.nodeId === outsider.peerId.toString() && p.reason === 'incompatible_version'),
      'a to record why the outsider was refused',
    );
    expect(connectedIds(a)).toEqual([]);
  });
});
