/**
 * NODE_COST_UPDATE over real gossip between in-process nodes on loopback: a member's signed update
 * reaches the others as a `cost` event; updates that lie about their origin, carry out-of-range
 * factors or are not JSON are dropped and counted, and the node keeps working.
 */
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
import type { CostUpdatePayload, MeshCostUpdate } from '../src/mesh/index.js';
import {
  HANDSHAKE_PROTOCOL,
  JOIN_PROTOCOL,
  NODE_COST_UPDATE,
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
  for await (const frame of lp.decode(stream)) return JSON.parse(fromUtf8(frame.subarray())) as unknown;
  throw new Error('no reply');
}

function update(
  nodeId: string,
  overrides: Partial<CostUpdatePayload['cost_factors']> = {},
): CostUpdatePayload {
  return {
    type: NODE_COST_UPDATE,
    v: 1,
    node_id: nodeId,
    name: 'laptop',
    timestamp: Date.now(),
    ttl: 60,
    cost_factors: {
      on_battery: true,
      battery_percent: 15,
      cpu_load: 0.3,
      gpu_load: null,
      memory_pressure: 0.2,
      bandwidth_mbps: 1000,
      latency_ms: 1,
      is_metered: false,
      overall_cost: 16,
      ...overrides,
    },
    costs: {
      inference: { total: 16, critical: true, terms: { battery: 2, critical_battery: 5, cpu_load: 1.6 } },
    },
    pinned: ['battery_percent'],
  };
}

describe('NODE_COST_UPDATE gossip', () => {
  it("delivers a member's signed cost update and drops forged or malformed ones", async () => {
    const a = await mesh.node(81);
    const b = await mesh.node(82);
    const { meshId } = await a.createMesh('Family');
    await b.join((await a.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(b).includes(a.nodeId), 'b to connect');
    const received: MeshCostUpdate[] = [];
    a.addEventListener('cost', (e) => received.push(e.detail));

    // the honest path: B's update reaches A, signed by B
    await expect(b.publishCost(update(a.nodeId))).rejects.toThrow(/this node id/);
    await waitFor(
      () => {
        void b.publishCost(update(b.nodeId)).catch(() => undefined);
        return received.length > 0;
      },
      "B's update to reach A",
      10_000,
    );
    expect(received[0]).toMatchObject({
      originId: b.nodeId,
      meshId,
      node_id: b.nodeId,
      cost_factors: { battery_percent: 15, overall_cost: 16 },
      costs: { inference: { total: 16, critical: true } },
    });

    // a member that speaks the protocols by hand
    const key = await fixedKey(83);
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
    const target = multiaddr(a.addresses()[0]);
    const joined = (await exchange(await rogue.dialProtocol(target, JOIN_PROTOCOL), {
      v: 1,
      token: (await a.createInvite({ meshId })).token,
    })) as { ok: boolean; credential: string };
    expect(joined.ok).toBe(true);
    const reply = (await exchange(await rogue.dialProtocol(target, HANDSHAKE_PROTOCOL), {
      v: 1,
      agent: 'rogue',
      name: 'rogue',
      addrs: [],
      credentials: [joined.credential],
      revocationDigests: {},
    })) as { ok: boolean };
    expect(reply.ok).toBe(true);
    const topic = topicFor(meshId, 'cost');
    rogue.services.pubsub.subscribe(topic);
    await waitFor(() => rogue.services.pubsub.getSubscribers(topic).length > 0, "a's cost subscription");

    const signer = new PrivateKeySigner(key);
    const credential = credentialFromText(joined.credential).bytes;
    let seq = 1;
    const send = async (payload: unknown): Promise<void> => {
      const data = await sealEnvelope(
        {
          type: 'cost',
          meshId,
          seq: seq++,
          timestampMs: Date.now(),
          ttlMs: 60_000,
          credential,
          payload: typeof payload === 'string' ? utf8(payload) : utf8(JSON.stringify(payload)),
        },
        signer,
      );
      await rogue.services.pubsub.publish(topic, data);
    };
    const before = a.stats().dropped.malformed;
    const count = received.length;
    await send(update(b.nodeId)); // claims to be B
    await send(update(rogue.peerId.toString(), { cpu_load: 7 })); // load out of range
    await send('{"type":"NODE_COST_UPDATE"'); // not JSON
    await waitFor(
      () => a.stats().dropped.malformed - before >= 3,
      'the bad updates to be dropped and counted',
    );

    await send(update(rogue.peerId.toString()));
    await waitFor(
      () => received.some((r) => r.originId === rogue.peerId.toString()),
      "the rogue's valid update",
    );
    expect(received.slice(count).map((r) => r.originId)).toEqual([rogue.peerId.toString()]);
    expect(a.status).toBe('started');
  });
});
