/**
 * The core's crypto seam implemented with `node:crypto` (sha256, randomness, Ed25519 verification)
 * and `@libp2p/crypto` (Ed25519 keys and signing), so node keys and mesh keys are ordinary libp2p
 * private keys.
 */
import type { KeyObject } from 'node:crypto';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import type { CryptoProvider } from '../core/index.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../core/index.js';
import { BoundedCache } from './bounded-cache.js';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

export interface NodeCryptoProviderInit {
  /** Signature checks whose success is remembered. Default 4096. */
  readonly verifiedCacheSize?: number;
  /** Parsed public keys kept. Default 1024. */
  readonly keyCacheSize?: number;
}

/**
 * Every gossip message carries its origin's membership credential, so a node checks the same few
 * credential signatures over and over: a successful check is remembered by a hash of key,
 * signature and data (a hash costs ~1/50 of a verification), and parsed public keys are kept.
 */
export class NodeCryptoProvider implements CryptoProvider {
  private readonly verified: BoundedCache<true>;
  private readonly keys: BoundedCache<KeyObject>;

  constructor(_components: Record<string, never> = {}, init: NodeCryptoProviderInit = {}) {
    this.verified = new BoundedCache(init.verifiedCacheSize ?? 4096);
    this.keys = new BoundedCache(init.keyCacheSize ?? 1024);
  }

  sha256(data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha256').update(data).digest());
  }

  // async by the seam's contract; node:crypto verifies synchronously
  // eslint-disable-next-line @typescript-eslint/require-await
  async verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES)
      return false;
    const memo = createHash('sha256').update(publicKey).update(signature).update(data).digest('base64');
    if (this.verified.get(memo) === true) return true;
    try {
      const ok = verify(null, data, this.publicKeyObject(publicKey), signature);
      if (ok) this.verified.set(memo, true);
      return ok;
    } catch {
      return false;
    }
  }

  private publicKeyObject(raw: Uint8Array): KeyObject {
    const id = Buffer.from(raw).toString('base64');
    let key = this.keys.get(id);
    if (key === undefined) {
      const der = new Uint8Array(ED25519_SPKI_PREFIX.length + raw.length);
      der.set(ED25519_SPKI_PREFIX);
      der.set(raw, ED25519_SPKI_PREFIX.length);
      key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
      this.keys.set(id, key);
    }
    return key;
  }

  randomBytes(length: number): Uint8Array {
    return new Uint8Array(randomBytes(length));
  }
}

export { PrivateKeySigner, decodeEd25519PrivateKey, encodePrivateKey, generateEd25519Key } from './keys.js';
