import { describe, expect, it } from 'vitest';
import { fixedSigner, testCrypto } from '../../test/mesh-fixtures.js';
import { AtmosphereError, CredentialInvalidError, MembershipRevokedError } from './errors.js';
import { meshIdFromPublicKey } from './mesh-identity.js';
import type { MeshIssuer } from './membership.js';
import {
  credentialFromText,
  credentialToText,
  decodeCredential,
  issueCredential,
  verifyCredential,
} from './membership.js';

async function setup() {
  const meshKey = await fixedSigner(1);
  const adminNode = await fixedSigner(2);
  const memberNode = await fixedSigner(3);
  const outsider = await fixedSigner(9);
  const meshId = meshIdFromPublicKey(testCrypto, meshKey.publicKey);
  const founder: MeshIssuer = { signer: meshKey, authority: { kind: 'mesh-key' } };
  const adminCredential = await issueCredential(
    { meshId, memberPublicKey: adminNode.publicKey, role: 'admin', issuedAtMs: 1000, serial: 1 },
    founder,
  );
  const delegate: MeshIssuer = { signer: adminNode, authority: { kind: 'admin', adminCredential } };
  return { meshKey, adminNode, memberNode, outsider, meshId, founder, adminCredential, delegate };
}

describe('membership credentials', () => {
  it('binds member, mesh, role, scope and serial and verifies offline with the mesh key', async () => {
    const { meshKey, memberNode, meshId, founder } = await setup();
    const credential = await issueCredential(
      {
        meshId,
        memberPublicKey: memberNode.publicKey,
        role: 'member',
        scope: ['chat', 'vision.*'],
        issuedAtMs: 5,
        serial: 7,
      },
      founder,
    );
    const decoded = credentialFromText(credentialToText(credential));
    expect(decoded).toMatchObject({
      meshId,
      role: 'member',
      scope: ['chat', 'vision.*'],
      issuedAtMs: 5,
      serial: 7,
    });
    await expect(
      verifyCredential(decoded, {
        crypto: testCrypto,
        meshPublicKey: meshKey.publicKey,
        memberPublicKey: memberNode.publicKey,
      }),
    ).resolves.toBe(decoded);
  });

  it('accepts a credential issued by a delegated admin', async () => {
    const { meshKey, memberNode, meshId, delegate } = await setup();
    const credential = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'member', issuedAtMs: 5, serial: 1 },
      delegate,
    );
    expect(credential.authority.kind).toBe('admin');
    await expect(
      verifyCredential(credential, { crypto: testCrypto, meshPublicKey: meshKey.publicKey }),
    ).resolves.toBeDefined();
  });

  it('rejects a credential presented by a different node than the one it binds', async () => {
    const { meshKey, memberNode, outsider, meshId, founder } = await setup();
    const credential = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'member', issuedAtMs: 5, serial: 1 },
      founder,
    );
    await expect(
      verifyCredential(credential, {
        crypto: testCrypto,
        meshPublicKey: meshKey.publicKey,
        memberPublicKey: outsider.publicKey,
      }),
    ).rejects.toMatchObject({ code: 'credential_invalid', details: { reason: 'wrong_member' } });
  });

  it('rejects a credential signed by a key outside the mesh', async () => {
    const { meshKey, memberNode, outsider, meshId } = await setup();
    const forged = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'admin', issuedAtMs: 5, serial: 1 },
      { signer: outsider, authority: { kind: 'mesh-key' } },
    );
    await expect(
      verifyCredential(forged, { crypto: testCrypto, meshPublicKey: meshKey.publicKey }),
    ).rejects.toMatchObject({
      details: { reason: 'bad_signature' },
    });
  });

  it('rejects delegation through a member (non-admin) credential or a self-made admin credential', async () => {
    const { meshKey, memberNode, outsider, meshId, founder } = await setup();
    const memberCredential = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'member', issuedAtMs: 5, serial: 2 },
      founder,
    );
    // a member credential cannot be embedded as a delegation at all
    await expect(
      issueCredential(
        { meshId, memberPublicKey: outsider.publicKey, role: 'member', issuedAtMs: 5, serial: 3 },
        { signer: memberNode, authority: { kind: 'admin', adminCredential: memberCredential } },
      ),
    ).rejects.toBeInstanceOf(CredentialInvalidError);
    // an "admin credential" signed by the outsider itself does not verify
    const selfMade = await issueCredential(
      { meshId, memberPublicKey: outsider.publicKey, role: 'admin', issuedAtMs: 5, serial: 4 },
      { signer: outsider, authority: { kind: 'mesh-key' } },
    );
    const viaSelfMade = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'member', issuedAtMs: 5, serial: 5 },
      { signer: outsider, authority: { kind: 'admin', adminCredential: selfMade } },
    );
    await expect(
      verifyCredential(viaSelfMade, { crypto: testCrypto, meshPublicKey: meshKey.publicKey }),
    ).rejects.toMatchObject({ details: { reason: 'bad_delegation' } });
  });

  it('refuses revoked members and credentials from revoked admins', async () => {
    const { meshKey, adminNode, memberNode, meshId, delegate } = await setup();
    const credential = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'member', issuedAtMs: 5, serial: 1 },
      delegate,
    );
    const memberId = credential.memberId;
    await expect(
      verifyCredential(credential, {
        crypto: testCrypto,
        meshPublicKey: meshKey.publicKey,
        isRevoked: (id) => id === memberId,
      }),
    ).rejects.toBeInstanceOf(MembershipRevokedError);
    const adminId = delegate.authority.kind === 'admin' ? delegate.authority.adminCredential.memberId : '';
    expect(adminId).not.toBe('');
    await expect(
      verifyCredential(credential, {
        crypto: testCrypto,
        meshPublicKey: meshKey.publicKey,
        isRevoked: (id) => id === adminId,
      }),
    ).rejects.toMatchObject({ details: { reason: 'revoked_signer' } });
    expect(adminNode.publicKey.length).toBe(32);
  });

  it('rejects a credential for another mesh', async () => {
    const { memberNode, meshId, founder, outsider } = await setup();
    const credential = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'member', issuedAtMs: 5, serial: 1 },
      founder,
    );
    await expect(
      verifyCredential(credential, { crypto: testCrypto, meshPublicKey: outsider.publicKey }),
    ).rejects.toMatchObject({
      details: { reason: 'wrong_mesh' },
    });
  });

  it('survives every single-byte mutation and random input with a CredentialInvalidError, never a crash', async () => {
    const { meshKey, memberNode, meshId, delegate } = await setup();
    const credential = await issueCredential(
      { meshId, memberPublicKey: memberNode.publicKey, role: 'member', issuedAtMs: 5, serial: 1 },
      delegate,
    );
    let accepted = 0;
    for (let i = 0; i < credential.bytes.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const mutated = credential.bytes.slice();
        mutated[i] = (mutated[i] ?? 0) ^ flip;
        try {
          await verifyCredential(decodeCredential(mutated), {
            crypto: testCrypto,
            meshPublicKey: meshKey.publicKey,
          });
          accepted++;
        } catch (err) {
          expect(err).toBeInstanceOf(AtmosphereError);
        }
      }
    }
    expect(accepted).toBe(0);
    for (let n = 0; n < 2000; n++) {
      const random = testCrypto.randomBytes(n % 400);
      if (n % 3 === 0 && random.length > 1) random[0] = 0x02;
      expect(() => decodeCredential(random)).toThrow(CredentialInvalidError);
    }
  });
});
