/**
 * The cryptography seam. The core defines the signed formats (invites, credentials, revocations,
 * gossip envelopes) but cannot hash or check signatures itself (no `node:*`); the mesh module
 * implements these interfaces with `@libp2p/crypto` and `node:crypto`. All keys are Ed25519 and
 * travel as their 32-byte raw public keys.
 */

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const SHA256_BYTES = 32;

/** Hashing, signature checking and randomness. */
export interface CryptoProvider {
  sha256(data: Uint8Array): Uint8Array;
  /** False for a bad signature or a key that is not a valid Ed25519 point; never throws for those. */
  verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  randomBytes(length: number): Uint8Array;
}

/** Something that signs with one Ed25519 key: a node key or a mesh key. */
export interface Signer {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
}
