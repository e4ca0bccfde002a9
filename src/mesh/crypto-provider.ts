/**
 * The core's crypto seam implemented with `node:crypto` (sha256, randomness) and `@libp2p/crypto`
 * (Ed25519), so node keys and mesh keys are ordinary libp2p private keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  generateKeyPair,
  privateKeyFromProtobuf,
  privateKeyToProtobuf,
  publicKeyFromRaw,
} from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, PrivateKey } from '@libp2p/interface';
import type { CryptoProvider, Signer } from '../core/index.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, IdentityError } from '../core/index.js';

export class NodeCryptoProvider implements CryptoProvider {
  sha256(data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha256').update(data).digest());
  }

  async verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES)
      return false;
    try {
      return await publicKeyFromRaw(publicKey).verify(data, signature);
    } catch {
      return false;
    }
  }

  randomBytes(length: number): Uint8Array {
    return new Uint8Array(randomBytes(length));
  }
}

/** Signs with a libp2p Ed25519 private key (a node key or a mesh key). */
export class PrivateKeySigner implements Signer {
  readonly publicKey: Uint8Array;
  private readonly key: Ed25519PrivateKey;

  constructor(key: PrivateKey) {
    if (key.type !== 'Ed25519') throw new IdentityError(`expected an Ed25519 key, got ${key.type}`);
    this.key = key;
    this.publicKey = key.publicKey.raw;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return await this.key.sign(data);
  }
}

export async function generateEd25519Key(): Promise<Ed25519PrivateKey> {
  return await generateKeyPair('Ed25519');
}

export function encodePrivateKey(key: PrivateKey): Uint8Array {
  return privateKeyToProtobuf(key);
}

export function decodeEd25519PrivateKey(bytes: Uint8Array): Ed25519PrivateKey {
  const key = privateKeyFromProtobuf(bytes);
  if (key.type !== 'Ed25519') throw new IdentityError(`expected an Ed25519 key, got ${key.type}`);
  return key;
}
