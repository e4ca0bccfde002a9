import { describe, expect, it } from 'vitest';
import { fixedSigner, testCrypto } from '../../test/mesh-fixtures.js';
import { RevocationInvalidError } from './errors.js';
import { meshIdFromPublicKey, nodeIdFromPublicKey } from './mesh-identity.js';
import type { MeshIssuer } from './membership.js';
import { issueCredential } from './membership.js';
import { RevocationSet, decodeRevocation, issueRevocation, verifyRevocation } from './revocation.js';

async function setup() {
  const meshKey = await fixedSigner(1);
  const adminNode = await fixedSigner(2);
  const victim = await fixedSigner(3);
  const other = await fixedSigner(5);
  const outsider = await fixedSigner(9);
  const meshId = meshIdFromPublicKey(testCrypto, meshKey.publicKey);
  const founder: MeshIssuer = { signer: meshKey, authority: { kind: 'mesh-key' } };
  const adminCredential = await issueCredential(
    { meshId, memberPublicKey: adminNode.publicKey, role: 'admin', issuedAtMs: 1, serial: 1 },
    founder,
  );
  const delegate: MeshIssuer = { signer: adminNode, authority: { kind: 'admin', adminCredential } };
  return { meshKey, adminNode, victim, other, outsider, meshId, founder, delegate };
}

describe('revocation entries', () => {
  it('are signed by the mesh authority and verify offline', async () => {
    const { meshKey, victim, meshId, founder, delegate } = await setup();
    for (const issuer of [founder, delegate]) {
      const entry = await issueRevocation(
        { meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 42, reason: 'lost phone' },
        issuer,
      );
      const decoded = decodeRevocation(entry.bytes);
      expect(decoded).toMatchObject({ meshId, revokedAtMs: 42, reason: 'lost phone' });
      expect(decoded.revokedId).toBe(nodeIdFromPublicKey(victim.publicKey));
      await expect(
        verifyRevocation(decoded, { crypto: testCrypto, meshPublicKey: meshKey.publicKey }),
      ).resolves.toBeDefined();
    }
  });

  it('rejects entries signed outside the mesh or by a revoked admin', async () => {
    const { meshKey, victim, outsider, meshId, delegate, adminNode } = await setup();
    const forged = await issueRevocation(
      { meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 1 },
      { signer: outsider, authority: { kind: 'mesh-key' } },
    );
    await expect(
      verifyRevocation(forged, { crypto: testCrypto, meshPublicKey: meshKey.publicKey }),
    ).rejects.toMatchObject({
      code: 'revocation_invalid',
      details: { reason: 'bad_signature' },
    });
    const byAdmin = await issueRevocation(
      { meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 1 },
      delegate,
    );
    const adminId = nodeIdFromPublicKey(adminNode.publicKey);
    await expect(
      verifyRevocation(byAdmin, {
        crypto: testCrypto,
        meshPublicKey: meshKey.publicKey,
        isRevoked: (id) => id === adminId,
      }),
    ).rejects.toMatchObject({ details: { reason: 'revoked_signer' } });
  });

  it('rejects malformed, mutated and oversized entries with a RevocationInvalidError', async () => {
    const { meshKey, victim, meshId, founder } = await setup();
    const entry = await issueRevocation(
      { meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 9, reason: 'x' },
      founder,
    );
    let accepted = 0;
    for (let i = 0; i < entry.bytes.length; i++) {
      const mutated = entry.bytes.slice();
      mutated[i] = (mutated[i] ?? 0) ^ 0x41;
      try {
        await verifyRevocation(decodeRevocation(mutated), {
          crypto: testCrypto,
          meshPublicKey: meshKey.publicKey,
        });
        accepted++;
      } catch (err) {
        expect(err).toBeInstanceOf(RevocationInvalidError);
      }
    }
    expect(accepted).toBe(0);
    for (let n = 0; n < 1000; n++)
      expect(() => decodeRevocation(testCrypto.randomBytes(n % 300))).toThrow(RevocationInvalidError);
    expect(() => decodeRevocation(new Uint8Array(5000))).toThrow(/too large/);
    await expect(
      issueRevocation(
        { meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 1, reason: 'r'.repeat(201) },
        founder,
      ),
    ).rejects.toBeInstanceOf(RevocationInvalidError);
  });
});

describe('RevocationSet', () => {
  it('merges by union and converges whatever the order, with equal digests', async () => {
    const { victim, other, meshId, founder, delegate } = await setup();
    const a = await issueRevocation({ meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 1 }, founder);
    const aByAdmin = await issueRevocation(
      { meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 2 },
      delegate,
    );
    const b = await issueRevocation({ meshId, revokedPublicKey: other.publicKey, revokedAtMs: 3 }, founder);
    const left = new RevocationSet(meshId, [a, b]);
    const right = new RevocationSet(meshId, [b]);
    expect(left.digest(testCrypto)).not.toBe(right.digest(testCrypto));
    expect(right.add(aByAdmin)).toBe(true);
    expect(right.add(a)).toBe(false);
    expect(left.digest(testCrypto)).toBe(right.digest(testCrypto));
    expect(left.version).toBe(2);
    expect(left.has(a.revokedId)).toBe(true);
    expect(left.entries().map((e) => e.revokedId)).toEqual([a.revokedId, b.revokedId].sort());
  });

  it('refuses entries of another mesh', async () => {
    const { victim, meshId, founder } = await setup();
    const entry = await issueRevocation(
      { meshId, revokedPublicKey: victim.publicKey, revokedAtMs: 1 },
      founder,
    );
    expect(() => new RevocationSet('mesh-aaaaaaaaaaaaaaaaaaaaaaaaaa').add(entry)).toThrow(
      RevocationInvalidError,
    );
  });
});
