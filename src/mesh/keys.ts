/**
 * Ed25519 keys as libp2p private keys, and signing with them. Platform-neutral (`@libp2p/crypto`
 * only): the Node entry point and the browser (phone) entry point share it.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, PrivateKey } from '@libp2p/interface';
import type { Signer } from '../core/index.js';
import { IdentityError } from '../core/index.js';

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
