import { gossipsub } from '@libp2p/gossipsub';
import type { GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p, Stream } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import * as lp from 'it-length-prefixed';
import { createLibp2p } from 'libp2p';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialFromText, fromUtf8, utf8 } from '../src/core/index.js';
import {
  HANDSHAKE_PROTOCOL,
  JOIN_PROTOCOL,
  PrivateKeySigner,
  sealEnvelope,
  topicFor,
} from '../src/mesh/index.js';
import { fixedKey } from './mesh-fixtures.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
const raw: Libp2p[] = [];
afterEach(async () => {
  await mesh.stopAll();
  await Promise.all(raw.map(async (node) => await node.stop()));
  raw.length = 0;
});

async function exchange(stream: Stream, message: unknown): Promise<unknown> {
  stream.send(lp.encode.single(utf8(JSON.stringify(message))));
  for await (const frame of lp.decode(stream)) {
    return JSON.parse(fromUtf8(frame.subarray())) as unknown;
  }
  throw new Error('no reply');
}

describe('gossip from a misbehaving member', () => {
  it('drops stale, replayed, oversized, malformed, forged and foreign messages, counts them and keeps working', async () => {
    const a = await mesh.node(71);
    const b = await mesh.node(72);
    const { meshId } = await a.createMesh('Family');
    await b.join((await a.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(b).includes(a.nodeId), 'b to connect');

    // a real member, speaking the protocols by hand with a plain libp2p node
    const key = await fixedKey(73);
    const rogue: Libp2p<{ pubsub: GossipSub; identify: unknown }> = await createLibp2p({
      privateKey: key,
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
    raw.push(rogue);
    const invite = await a.createInvite({ meshId });
    const target = multiaddr(a.addresses()[0]);
    const joined = (await exchange(await rogue.dialProtocol(target, JOIN_PROTOCOL), {
      v: 1,
      token: invite.token,
    })) as {
      ok: boolean;
      credential: string;
    };
    expect(joined.ok).toBe(true);
    const hello = {
      v: 1,
      agent: 'rogue',
      name: 'rogue',
      addrs: [],
      credentials: [joined.credential],
      revocationDigests: {},
    };
    const reply = (await exchange(await rogue.dialProtocol(target, HANDSHAKE_PROTOCOL), hello)) as {
      ok: boolean;
    };
    expect(reply.ok).toBe(true);
    for (const kind of ['announce', 'heartbeat', 'revocation'] as const)
      rogue.services.pubsub.subscribe(topicFor(meshId, kind));
    await waitFor(
      () => rogue.services.pubsub.getSubscribers(topicFor(meshId, 'heartbeat')).length > 0,
      "a's subscriptions",
    );

    const signer = new PrivateKeySigner(key);
    const credential = credentialFromText(joined.credential).bytes;
    const heartbeat = utf8(JSON.stringify({ name: 'rogue', addrs: [], capabilityCount: 0, digest: null }));
    const topic = topicFor(meshId, 'heartbeat');
    const seal = async (
      overrides: Partial<Parameters<typeof sealEnvelope>[0]> = {},
      by = signer,
    ): Promise<Uint8Array> =>
      await sealEnvelope(
        {
          type: 'heartbeat',
          meshId,
          seq: 1,
          timestampMs: Date.now(),
          ttlMs: 10_000,
          credential,
          payload: heartbeat,
          ...overrides,
        },
        by,
      );
    const send = async (data: Uint8Array): Promise<void> => {
      await rogue.services.pubsub.publish(topic, data);
    };

    const valid = await seal({ seq: 1 });
    await send(valid);
    await waitFor(
      () => a.peers().some((p) => p.nodeId === rogue.peerId.toString() && p.lastSeenMs !== null),
      'a to accept the valid heartbeat',
    );
    const before = a.stats().dropped;

    await send(valid.slice()); // same envelope again, as a new gossipsub message
    await send(await seal({ seq: 0, timestampMs: Date.now() - 60_000 })); // older than its TTL
    await send(await seal({ seq: 2, timestampMs: Date.now() + 10 * 60_000 })); // from the future
    await send(new Uint8Array(8 * 1024).fill(7)); // larger than a heartbeat may be
    await send(utf8('{"not":"an envelope"}'));
    const forged = await seal({ seq: 3 });
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    await send(forged);
    await send(await seal({ seq: 4 }, new PrivateKeySigner(await fixedKey(74)))); // someone else's envelope
    await send(await seal({ seq: 5, payload: utf8('{"name":42}') })); // signed, but a bad payload

    const dropped = (reason: keyof typeof before): number => a.stats().dropped[reason] - before[reason];
    await waitFor(
      () =>
        dropped('replayed') >= 1 &&
        dropped('stale') >= 2 &&
        dropped('oversized') >= 1 &&
        dropped('malformed') >= 2 &&
        dropped('bad_signature') >= 1 &&
        dropped('origin_mismatch') >= 1,
      'every bad message to be dropped and counted',
    );
    // the node is unharmed: gossip between the honest members continues
    const accepted = a.stats().gossipAccepted;
    await waitFor(() => a.stats().gossipAccepted > accepted + 2, 'honest heartbeats to keep flowing');
    expect(a.status).toBe('started');
  });
});
