import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPE, issueCredential, nodeIdFromPublicKey } from '../src/core/index.js';
import {
  HEARTBEAT_FULL_RATE_MEMBERS,
  MemoryMeshState,
  PrivateKeySigner,
  decodeEd25519PrivateKey,
} from '../src/mesh/index.js';
import { fixedSigner } from './mesh-fixtures.js';
import { FAST, TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
afterEach(async () => {
  await mesh.stopAll();
});

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

describe('heartbeats in a large mesh', () => {
  it('slow down in proportion to the members a node knows beyond HEARTBEAT_FULL_RATE_MEMBERS', async () => {
    const state = new MemoryMeshState();
    const big = await mesh.node(161, {}, state);
    const small = await mesh.node(162);
    const { meshId } = await big.createMesh('Large');
    // `big` has heard of twice as many members as heartbeat at the full rate (they are offline)
    const meshKey = state.getMeshPrivateKey(meshId);
    if (meshKey === undefined) throw new Error('the founder has no mesh key');
    const issuer = {
      signer: new PrivateKeySigner(decodeEd25519PrivateKey(meshKey)),
      authority: { kind: 'mesh-key' as const },
    };
    for (let i = 0; i < 2 * HEARTBEAT_FULL_RATE_MEMBERS - 1; i++) {
      const member = await fixedSigner(170 + i);
      const credential = await issueCredential(
        {
          meshId,
          memberPublicKey: member.publicKey,
          role: 'member',
          scope: DEFAULT_SCOPE,
          issuedAtMs: Date.now(),
          serial: state.nextCredentialSerial(meshId),
        },
        issuer,
      );
      state.putMember({
        meshId,
        nodeId: nodeIdFromPublicKey(member.publicKey),
        credential: credential.bytes,
        role: 'member',
        name: `offline-${i}`,
        lastSeenMs: Date.now(),
      });
    }
    await big.stop();
    await big.start(); // loads the members it knows of
    await small.join((await big.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(small).includes(big.nodeId), 'the pair to connect');
    await sleep(1_000);

    // each node hears only the other's heartbeats: `small` (2 members) at FAST's 200 ms,
    // `big` (2 × HEARTBEAT_FULL_RATE_MEMBERS) at about twice that
    const fromSmall0 = big.stats().gossipAccepted;
    const fromBig0 = small.stats().gossipAccepted;
    await sleep(4_000);
    const fromSmall = big.stats().gossipAccepted - fromSmall0;
    const fromBig = small.stats().gossipAccepted - fromBig0;
    expect(fromSmall).toBeGreaterThanOrEqual((4_000 / (FAST.heartbeatIntervalMs ?? 0)) * 0.7);
    expect(fromBig).toBeGreaterThanOrEqual(fromSmall * 0.35);
    expect(fromBig).toBeLessThanOrEqual(fromSmall * 0.7);
  });
});
