import { describe, expect, it } from 'vitest';
import { fixedSigner, testCrypto } from '../../test/mesh-fixtures.js';
import { MalformedMessageError, issueCredential, meshIdFromPublicKey, utf8 } from '../core/index.js';
import { MAX_ENVELOPE_BYTES, openEnvelope, sealEnvelope, verifyEnvelopeSignature } from './envelope.js';

async function setup() {
  const meshKey = await fixedSigner(1);
  const node = await fixedSigner(3);
  const meshId = meshIdFromPublicKey(testCrypto, meshKey.publicKey);
  const credential = await issueCredential(
    { meshId, memberPublicKey: node.publicKey, role: 'member', issuedAtMs: 1, serial: 1 },
    { signer: meshKey, authority: { kind: 'mesh-key' } },
  );
  const bytes = await sealEnvelope(
    {
      type: 'announce',
      meshId,
      seq: 7,
      timestampMs: 1_000,
      ttlMs: 30_000,
      credential: credential.bytes,
      payload: utf8('{"a":1}'),
    },
    node,
  );
  return { node, meshId, credential, bytes };
}

describe('gossip envelopes', () => {
  it('round-trip their fields and verify the origin signature', async () => {
    const { node, meshId, credential, bytes } = await setup();
    const envelope = openEnvelope(bytes);
    expect(envelope).toMatchObject({ type: 'announce', meshId, seq: 7, timestampMs: 1_000, ttlMs: 30_000 });
    expect(envelope.originPublicKey).toEqual(node.publicKey);
    expect(envelope.credential.bytes).toEqual(credential.bytes);
    await expect(verifyEnvelopeSignature(envelope, testCrypto)).resolves.toBe(true);
  });

  it('fail the signature check after any edit, and never crash on mutated or random bytes', async () => {
    const { bytes } = await setup();
    let verified = 0;
    for (let i = 0; i < bytes.length; i++) {
      const mutated = bytes.slice();
      mutated[i] = (mutated[i] ?? 0) ^ 0x20;
      try {
        if (await verifyEnvelopeSignature(openEnvelope(mutated), testCrypto)) verified++;
      } catch (err) {
        expect(err).toBeInstanceOf(MalformedMessageError);
      }
    }
    expect(verified).toBe(0);
    for (let n = 0; n < 2000; n++) {
      const random = testCrypto.randomBytes(n % 600);
      if (random.length > 3 && n % 2 === 0) random.set([0x10, 0x01, 1 + (n % 3)]);
      expect(() => openEnvelope(random)).toThrow(MalformedMessageError);
    }
  });

  it('refuse a payload larger than its type allows', async () => {
    const { node, meshId, credential } = await setup();
    const big = await sealEnvelope(
      {
        type: 'heartbeat',
        meshId,
        seq: 1,
        timestampMs: 1,
        ttlMs: 1,
        credential: credential.bytes,
        payload: new Uint8Array(MAX_ENVELOPE_BYTES.heartbeat + 1),
      },
      node,
    );
    expect(() => openEnvelope(big)).toThrow(/at most/);
  });
});
