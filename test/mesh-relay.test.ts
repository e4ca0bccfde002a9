import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { afterEach, describe, expect, it } from 'vitest';
import type { Libp2p } from '@libp2p/interface';
import { fixedKey } from './mesh-fixtures.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
const raw: Libp2p[] = [];
afterEach(async () => {
  await mesh.stopAll();
  await Promise.all(raw.map(async (node) => await node.stop()));
  raw.length = 0;
});

/** A member with no listener at all: like a node behind NAT, reachable only through a relay. */
const BEHIND_NAT = { useRelays: true, tcpPort: null, wsPort: null } as const;

describe('circuit relay between members', () => {
  it('reaches a member behind NAT through a relay member, for gossip, invites and invoke', async () => {
    const relay = await mesh.node(81, { relay: true });
    const { meshId } = await relay.createMesh('Relayed');
    const hidden = await mesh.node(82, BEHIND_NAT);
    await hidden.join((await relay.createInvite({ meshId, role: 'admin' })).token);
    await waitFor(() => hidden.addresses().some((a) => a.includes('/p2p-circuit')), 'a relayed address');
    expect(hidden.addresses().every((a) => a.includes('/p2p-circuit'))).toBe(true);

    const b = await mesh.node(83);
    await b.join((await relay.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(b).includes(hidden.nodeId), 'b to reach the hidden member');
    // b can only dial the hidden member through the relay; the hidden member may also dial b
    // directly (going out from behind NAT works), whichever is first. c's join below can only go
    // through the relay: the hidden member's invite carries nothing but relayed addresses.
    expect(['relayed', 'lan']).toContain(b.peers().find((p) => p.nodeId === hidden.nodeId)?.transport);

    hidden.handleInvoke(async function* () {
      await Promise.resolve();
      yield 'through the relay';
    });
    const out: unknown[] = [];
    for await (const frame of b.invoke(hidden.nodeId, { capability: 'x', input: null })) out.push(frame.data);
    expect(out).toEqual(['through the relay']);

    // the hidden admin can even invite: its token carries its relayed address
    const invite = await hidden.createInvite({ meshId });
    expect(invite.addresses.length).toBeGreaterThan(0);
    expect(invite.addresses.every((a) => a.includes('/p2p-circuit'))).toBe(true);
    const c = await mesh.node(84);
    await expect(c.join(invite.token)).resolves.toMatchObject({ meshId, issuerId: hidden.nodeId });
    expect(
      c
        .peers()
        .find((p) => p.nodeId === hidden.nodeId)
        ?.addresses.every((a) => a.includes('/p2p-circuit')),
    ).toBe(true);
  });

  it('relays connections only to members', async () => {
    const relay = await mesh.node(85, { relay: true, handshakeTimeoutMs: 5_000 });
    await relay.createMesh('Relayed');
    const make = async (n: number, listen: string[]): Promise<Libp2p> => {
      const node = await createLibp2p({
        privateKey: await fixedKey(n),
        addresses: { listen },
        transports: [tcp(), circuitRelayTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify() },
      });
      raw.push(node);
      return node;
    };
    // an outsider gets a reservation on the relay ...
    const outsider = await make(97, ['/p2p-circuit']);
    await outsider.dial(multiaddr(relay.addresses()[0]));
    await waitFor(
      () => outsider.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')),
      'a reservation',
    );
    // ... but nobody can reach it through the relay: the relay serves members only
    const caller = await make(96, []);
    const relayed = outsider.getMultiaddrs().find((a) => a.toString().includes('/p2p-circuit'))!;
    await expect(caller.dial(relayed, { signal: AbortSignal.timeout(4_000) })).rejects.toThrow(
      /PERMISSION_DENIED/,
    );
  });
});
