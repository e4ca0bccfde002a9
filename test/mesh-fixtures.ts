/**
 * Shared fixtures for the mesh and membership tests: fixed Ed25519 keys (from seeds, so runs are
 * reproducible), the real crypto provider and a system clock.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import type { Clock } from '../src/core/index.js';
import { NodeCryptoProvider, PrivateKeySigner } from '../src/mesh/index.js';

export const testCrypto = new NodeCryptoProvider();

export const systemClock: Clock = { now: () => Date.now() };

/** The same key for the same `n`, every run. */
export async function fixedKey(n: number): Promise<Ed25519PrivateKey> {
  return await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(n));
}

export async function fixedSigner(n: number): Promise<PrivateKeySigner> {
  return new PrivateKeySigner(await fixedKey(n));
}
