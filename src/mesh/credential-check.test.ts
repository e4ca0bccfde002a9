import { describe, expect, it } from 'vitest';
import { fixedSigner, testCrypto } from '../../test/mesh-fixtures.js';
import type { CryptoProvider, MeshIssuer } from '../core/index.js';
import { issueCredential, meshIdFromPublicKey, nodeIdFromPublicKey } from '../core/index.js';
import { CredentialCheck } from './credential-check.js';

/** `testCrypto`, counting Ed25519 verifications. */
function countingCrypto(): { crypto: CryptoProvider; verifies: () => number } {
  let count = 0;
  const crypto: CryptoProvider = {
    sha256: (data) => testCrypto.sha256(data),
    randomBytes: (length) => testCrypto.randomBytes(length),
    verifyEd25519: async (key, data, signature) => {
      count++;
      return await testCrypto.verifyEd25519(key, data, signature);
    },
  };
  return { crypto, verifies: () => count };
}

async function setup() {
  const meshKey = await fixedSigner(1);
  const adminNode = await fixedSigner(2);
  const member = await fixedSigner(3);
  const other = await fixedSigner(4);
  const meshId = meshIdFromPublicKey(testCrypto, meshKey.publicKey);
  const founder: MeshIssuer = { signer: meshKey, authority: { kind: 'mesh-key' } };
  const adminCredential = await issueCredential(
    { meshId, memberPublicKey: adminNode.publicKey, role: 'admin', issuedAtMs: 1, serial: 1 },
    founder,
  );
  const delegate: MeshIssuer = { signer: adminNode, authority: { kind: 'admin', adminCredential } };
  const credential = await issueCredential(
    { meshId, memberPublicKey: member.publicKey, role: 'member', issuedAtMs: 2, serial: 2 },
    delegate,
  );
  const revoked = new Set<string>();
  const input = {
    meshId,
    meshPublicKey: meshKey.publicKey,
    credential,
    originPublicKey: member.publicKey,
    isRevoked: (id: string) => revoked.has(id),
  };
  return {
    input,
    revoked,
    other,
    adminId: nodeIdFromPublicKey(adminNode.publicKey),
    memberId: nodeIdFromPublicKey(member.publicKey),
  };
}

describe('CredentialCheck', () => {
  it('verifies a credential once, then only checks what can change', async () => {
    const { input } = await setup();
    const { crypto, verifies } = countingCrypto();
    const check = new CredentialCheck(crypto);
    expect(await check.check(input)).toBe('ok');
    const first = verifies();
    expect(first).toBe(2); // the admin's credential and the member's
    expect(await check.check(input)).toBe('ok');
    expect(await check.check(input)).toBe('ok');
    expect(verifies()).toBe(first);
  });

  it('still refuses a remembered credential once its member or its signer is revoked', async () => {
    const { input, revoked, adminId, memberId } = await setup();
    const check = new CredentialCheck(testCrypto);
    expect(await check.check(input)).toBe('ok');
    revoked.add(memberId);
    expect(await check.check(input)).toBe('revoked');
    revoked.delete(memberId);
    revoked.add(adminId);
    expect(await check.check(input)).toBe('not_member');
  });

  it('refuses a remembered credential carried by another key', async () => {
    const { input, other } = await setup();
    const check = new CredentialCheck(testCrypto);
    expect(await check.check(input)).toBe('ok');
    expect(await check.check({ ...input, originPublicKey: other.publicKey })).toBe('not_member');
  });

  it('verifies altered bytes afresh (and refuses them), and remembers nothing for another mesh', async () => {
    const { input, other } = await setup();
    const { crypto, verifies } = countingCrypto();
    const check = new CredentialCheck(crypto);
    expect(await check.check(input)).toBe('ok');
    const bytes = input.credential.bytes.slice();
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    const tampered = { ...input.credential, bytes, signature: bytes.subarray(bytes.length - 64) };
    const before = verifies();
    expect(await check.check({ ...input, credential: tampered })).toBe('not_member');
    expect(verifies()).toBeGreaterThan(before);
    const otherMesh = {
      meshId: meshIdFromPublicKey(testCrypto, other.publicKey),
      meshPublicKey: other.publicKey,
    };
    expect(await check.check({ ...input, ...otherMesh })).toBe('not_member');
  });

  it('gives the verdicts verifyCredential gives for a credential it has not seen', async () => {
    const { input, revoked, memberId } = await setup();
    revoked.add(memberId);
    expect(await new CredentialCheck(testCrypto).check(input)).toBe('revoked');
  });
});
