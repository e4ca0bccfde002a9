import { describe, expect, it } from 'vitest';
import { NodeCryptoProvider, PrivateKeySigner, generateEd25519Key } from './crypto-provider.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function signed(
  text: string,
): Promise<{ signer: PrivateKeySigner; data: Uint8Array; sig: Uint8Array }> {
  const signer = new PrivateKeySigner(await generateEd25519Key());
  const data = utf8(text);
  return { signer, data, sig: await signer.sign(data) };
}

describe('NodeCryptoProvider', () => {
  it('accepts a signature made by the libp2p key it is checked against', async () => {
    const { signer, data, sig } = await signed('hello');
    expect(await new NodeCryptoProvider().verifyEd25519(signer.publicKey, data, sig)).toBe(true);
  });

  it('rejects changed data, a changed signature and another key, also after a success was remembered', async () => {
    const crypto = new NodeCryptoProvider();
    const { signer, data, sig } = await signed('hello');
    const other = await signed('hello');
    expect(await crypto.verifyEd25519(signer.publicKey, data, sig)).toBe(true);
    expect(await crypto.verifyEd25519(signer.publicKey, utf8('hellp'), sig)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(await crypto.verifyEd25519(signer.publicKey, data, flipped)).toBe(false);
    expect(await crypto.verifyEd25519(other.signer.publicKey, data, sig)).toBe(false);
    expect(await crypto.verifyEd25519(signer.publicKey, data, sig)).toBe(true);
  });

  it('returns false for keys and signatures of the wrong length or not on the curve', async () => {
    const crypto = new NodeCryptoProvider();
    const { signer, data, sig } = await signed('hello');
    expect(await crypto.verifyEd25519(signer.publicKey.subarray(1), data, sig)).toBe(false);
    expect(await crypto.verifyEd25519(signer.publicKey, data, sig.subarray(1))).toBe(false);
    expect(await crypto.verifyEd25519(new Uint8Array(32).fill(0xff), data, sig)).toBe(false);
  });

  it('keeps checking correctly once its caches are full', async () => {
    const crypto = new NodeCryptoProvider({}, { verifiedCacheSize: 2, keyCacheSize: 2 });
    const all = await Promise.all(['a', 'b', 'c', 'd'].map(signed));
    for (let round = 0; round < 2; round++) {
      for (const [i, { signer, data, sig }] of all.entries()) {
        expect(await crypto.verifyEd25519(signer.publicKey, data, sig)).toBe(true);
        const next = all[(i + 1) % all.length];
        expect(await crypto.verifyEd25519(signer.publicKey, data, next?.sig ?? sig)).toBe(false);
      }
    }
  });
});
