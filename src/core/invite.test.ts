import { describe, expect, it } from 'vitest';
import { fixedSigner, testCrypto } from '../../test/mesh-fixtures.js';
import { ManualClock } from './clock.js';
import {
  AtmosphereError,
  InviteExpiredError,
  InviteMalformedError,
  InviteMeshMismatchError,
  InviteTamperedError,
} from './errors.js';
import type { InviteFields } from './invite.js';
import {
  INVITE_PREFIX,
  createInviteToken,
  decodeInviteToken,
  inviteNonceHex,
  verifyInviteToken,
} from './invite.js';
import { meshIdFromPublicKey } from './mesh-identity.js';
import type { MeshIssuer } from './membership.js';
import { issueCredential } from './membership.js';
import { fromBase64Url, toBase64Url } from './wire.js';

const NOW = 1_760_000_000_000;
const HOUR = 3_600_000;

async function setup() {
  const meshKey = await fixedSigner(1);
  const founderNode = await fixedSigner(2);
  const adminNode = await fixedSigner(4);
  const outsider = await fixedSigner(9);
  const meshId = meshIdFromPublicKey(testCrypto, meshKey.publicKey);
  const founder: MeshIssuer = { signer: meshKey, authority: { kind: 'mesh-key' } };
  const adminCredential = await issueCredential(
    { meshId, memberPublicKey: adminNode.publicKey, role: 'admin', issuedAtMs: NOW - HOUR, serial: 2 },
    founder,
  );
  const delegate: MeshIssuer = { signer: adminNode, authority: { kind: 'admin', adminCredential } };
  const fields: InviteFields = {
    meshPublicKey: meshKey.publicKey,
    meshName: 'Family',
    issuerPublicKey: founderNode.publicKey,
    role: 'member',
    scope: ['*'],
    issuedAtMs: NOW,
    expiresAtMs: NOW + 24 * HOUR,
    maxUses: 1,
    nonce: new Uint8Array(16).fill(7),
    addresses: ['/ip4/192.168.1.20/tcp/7471', '/ip4/192.168.1.20/tcp/7472/ws'],
  };
  return { meshKey, founderNode, adminNode, outsider, meshId, founder, delegate, fields };
}

const clock = new ManualClock(NOW + 1000);

describe('invite tokens', () => {
  it('round-trips every field through the atm1. text form and verifies offline', async () => {
    const { meshId, founder, fields, founderNode } = await setup();
    const invite = await createInviteToken(fields, founder, { crypto: testCrypto });
    expect(invite.text.startsWith(INVITE_PREFIX)).toBe(true);
    const verified = await verifyInviteToken(invite.text, { crypto: testCrypto, clock });
    expect(verified).toMatchObject({
      meshId,
      meshName: 'Family',
      role: 'member',
      scope: ['*'],
      maxUses: 1,
      issuedAtMs: NOW,
      expiresAtMs: NOW + 24 * HOUR,
      addresses: fields.addresses,
    });
    expect(verified.issuerPublicKey).toEqual(founderNode.publicKey);
    expect(inviteNonceHex(verified)).toBe('07'.repeat(16));
  });

  it('fits a QR code: under 600 characters with two addresses, even when signed by a delegated admin', async () => {
    const { founder, delegate, fields, adminNode } = await setup();
    const direct = await createInviteToken(fields, founder, { crypto: testCrypto });
    const delegated = await createInviteToken({ ...fields, issuerPublicKey: adminNode.publicKey }, delegate, {
      crypto: testCrypto,
    });
    expect(direct.text.length).toBeLessThan(400);
    expect(delegated.text.length).toBeLessThan(600);
    await expect(verifyInviteToken(delegated.text, { crypto: testCrypto, clock })).resolves.toBeDefined();
  });

  it('is deterministic: the same fields and key give the same token', async () => {
    const { founder, fields } = await setup();
    const a = await createInviteToken(fields, founder, { crypto: testCrypto });
    const b = await createInviteToken(fields, founder, { crypto: testCrypto });
    expect(a.text).toBe(b.text);
  });

  it('accepts the atmosphere://join/ link form and surrounding whitespace', async () => {
    const { founder, fields } = await setup();
    const invite = await createInviteToken(fields, founder, { crypto: testCrypto });
    expect(decodeInviteToken(`  atmosphere://join/${invite.text}\n`).text).toBe(invite.text);
  });

  it('reports an edited field as tampered', async () => {
    const { founder, fields } = await setup();
    const invite = await createInviteToken(fields, founder, { crypto: testCrypto });
    const longer = await createInviteToken({ ...fields, expiresAtMs: NOW + 48 * HOUR }, founder, {
      crypto: testCrypto,
    });
    // splice the longer expiry's bytes into the original, keeping the original signature
    const bytes = invite.bytes.slice();
    const forged = longer.bytes.slice(0, longer.bytes.length - 64);
    const spliced = new Uint8Array(forged.length + 64);
    spliced.set(forged);
    spliced.set(bytes.subarray(bytes.length - 64), forged.length);
    await expect(
      verifyInviteToken(INVITE_PREFIX + toBase64Url(spliced), { crypto: testCrypto, clock }),
    ).rejects.toBeInstanceOf(InviteTamperedError);
  });

  it('rejects an invite signed by a key outside the mesh', async () => {
    const { outsider, fields } = await setup();
    const forged = await createInviteToken(
      fields,
      { signer: outsider, authority: { kind: 'mesh-key' } },
      { crypto: testCrypto },
    );
    await expect(verifyInviteToken(forged.text, { crypto: testCrypto, clock })).rejects.toMatchObject({
      code: 'invite_tampered',
    });
  });

  it('rejects a delegated invite whose admin credential belongs to another node than the issuer', async () => {
    const { delegate, fields } = await setup();
    const invite = await createInviteToken(fields, delegate, { crypto: testCrypto });
    await expect(verifyInviteToken(invite.text, { crypto: testCrypto, clock })).rejects.toMatchObject({
      code: 'invite_tampered',
      details: { reason: 'issuer_not_admin' },
    });
  });

  it('rejects an invite from an admin this member knows is revoked', async () => {
    const { delegate, fields, adminNode } = await setup();
    const invite = await createInviteToken({ ...fields, issuerPublicKey: adminNode.publicKey }, delegate, {
      crypto: testCrypto,
    });
    await expect(
      verifyInviteToken(invite.text, {
        crypto: testCrypto,
        clock,
        isRevoked: (id) => id === invite.issuerId,
      }),
    ).rejects.toMatchObject({ code: 'invite_tampered', details: { reason: 'revoked_signer' } });
  });

  it('rejects an expired invite using the injected clock', async () => {
    const { founder, fields } = await setup();
    const invite = await createInviteToken(fields, founder, { crypto: testCrypto });
    const later = new ManualClock(NOW + 24 * HOUR);
    await expect(verifyInviteToken(invite.text, { crypto: testCrypto, clock: later })).rejects.toBeInstanceOf(
      InviteExpiredError,
    );
    later.set(NOW + 24 * HOUR - 1);
    await expect(verifyInviteToken(invite.text, { crypto: testCrypto, clock: later })).resolves.toBeDefined();
  });

  it('rejects an invite for another mesh than expected', async () => {
    const { founder, fields } = await setup();
    const invite = await createInviteToken(fields, founder, { crypto: testCrypto });
    await expect(
      verifyInviteToken(invite.text, {
        crypto: testCrypto,
        clock,
        expectedMeshId: 'mesh-aaaaaaaaaaaaaaaaaaaaaaaaaa',
      }),
    ).rejects.toBeInstanceOf(InviteMeshMismatchError);
  });

  it('rejects an invite whose mesh id is not derived from its mesh key', async () => {
    const { founder, fields, outsider } = await setup();
    const invite = await createInviteToken(fields, founder, { crypto: testCrypto });
    const bytes = invite.bytes.slice();
    // the mesh key follows the tag, version and the length-prefixed mesh id
    const keyOffset = 2 + 1 + invite.meshId.length;
    bytes.set(outsider.publicKey, keyOffset);
    await expect(
      verifyInviteToken(INVITE_PREFIX + toBase64Url(bytes), { crypto: testCrypto, clock }),
    ).rejects.toBeInstanceOf(InviteMeshMismatchError);
  });

  it('refuses invalid fields at creation', async () => {
    const { founder, fields } = await setup();
    const bad: Partial<InviteFields>[] = [
      { meshName: '' },
      { meshName: 'x'.repeat(65) },
      { meshName: 'bad\nname' },
      { expiresAtMs: NOW },
      { expiresAtMs: NOW + 31 * 24 * HOUR },
      { maxUses: 0 },
      { maxUses: 1001 },
      { scope: [] },
      { scope: ['has space'] },
      { nonce: new Uint8Array(8) },
      { addresses: ['not-a-multiaddr'] },
      { addresses: Array.from({ length: 9 }, () => '/ip4/1.2.3.4/tcp/1') },
    ];
    for (const patch of bad) {
      await expect(
        createInviteToken({ ...fields, ...patch }, founder, { crypto: testCrypto }),
      ).rejects.toBeInstanceOf(InviteMalformedError);
    }
  });

  it('names a future token version instead of calling it garbage', () => {
    expect(() => decodeInviteToken('atm2.AAAA')).toThrow(/unsupported invite version 2/);
    expect(() => decodeInviteToken('hello')).toThrow(InviteMalformedError);
    expect(() => decodeInviteToken('atm1.')).toThrow(InviteMalformedError);
    expect(() => decodeInviteToken(`atm1.${'A'.repeat(5000)}`)).toThrow(/too long/);
  });

  describe('fuzzing', () => {
    it('rejects thousands of random strings and byte strings with an InviteMalformedError', () => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ é☁\u0000';
      for (let n = 0; n < 3000; n++) {
        const bytes = testCrypto.randomBytes(n % 500);
        if (n % 2 === 0 && bytes.length > 2) {
          bytes[0] = 0x01; // invite tag
          bytes[1] = 0x01; // version 1
        }
        expect(() => decodeInviteToken(INVITE_PREFIX + toBase64Url(bytes))).toThrow(InviteMalformedError);
        let text = n % 3 === 0 ? INVITE_PREFIX : '';
        for (let i = 0; i < n % 200; i++)
          text += alphabet[bytes[i % Math.max(bytes.length, 1)]! % alphabet.length] ?? 'A';
        expect(() => decodeInviteToken(text)).toThrow(InviteMalformedError);
      }
    });

    it('rejects every single-byte mutation of a valid token with an AtmosphereError and accepts none', async () => {
      const { delegate, fields, adminNode } = await setup();
      const invite = await createInviteToken({ ...fields, issuerPublicKey: adminNode.publicKey }, delegate, {
        crypto: testCrypto,
      });
      const original = fromBase64Url(invite.text.slice(INVITE_PREFIX.length));
      let accepted = 0;
      let tried = 0;
      for (let i = 0; i < original.length; i++) {
        for (const flip of [0x01, 0x02, 0x10, 0x80, 0xff]) {
          const mutated = original.slice();
          mutated[i] = (mutated[i] ?? 0) ^ flip;
          tried++;
          try {
            await verifyInviteToken(INVITE_PREFIX + toBase64Url(mutated), { crypto: testCrypto, clock });
            accepted++;
          } catch (err) {
            expect(err).toBeInstanceOf(AtmosphereError);
            expect(['invite_malformed', 'invite_tampered', 'invite_mesh_mismatch']).toContain(
              (err as AtmosphereError).code,
            );
          }
        }
      }
      expect(tried).toBeGreaterThan(2000);
      expect(accepted).toBe(0);
    });

    it('rejects truncated and extended tokens', async () => {
      const { founder, fields } = await setup();
      const invite = await createInviteToken(fields, founder, { crypto: testCrypto });
      for (let cut = 0; cut < invite.bytes.length; cut++) {
        expect(() => decodeInviteToken(INVITE_PREFIX + toBase64Url(invite.bytes.subarray(0, cut)))).toThrow(
          InviteMalformedError,
        );
      }
      const extended = new Uint8Array(invite.bytes.length + 1);
      extended.set(invite.bytes);
      expect(() => decodeInviteToken(INVITE_PREFIX + toBase64Url(extended))).toThrow(/trailing/);
    });
  });
});
