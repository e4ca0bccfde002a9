/**
 * The core's crypto seam on WebCrypto, for the phone app (a browser has no `node:crypto`): Ed25519
 * verification with `crypto.subtle`, randomness from `crypto.getRandomValues`, and SHA-256 from
 * `@noble/hashes` (the seam's hash is synchronous; WebCrypto's digest is not). Also makes a node
 * key with WebCrypto's Ed25519 and turns it into a libp2p private key.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoProvider } from '../core/index.js';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  IdentityError,
  concatBytes,
  toBase64Url,
} from '../core/index.js';
import { BoundedCache } from './bounded-cache.js';

/** `crypto.getRandomValues` fills at most this many bytes per call. */
const MAX_RANDOM_CHUNK = 65_536;

/** WebCrypto's types, named from the global (the DOM and Node declare them under different names). */
type Subtle = typeof globalThis.crypto.subtle;
type WebCryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

/**
 * The bytes as WebCrypto's `BufferSource` (the DOM types want an `ArrayBuffer`-backed view; ours may
 * sit on any buffer, and WebCrypto copies what it is given anyway).
 */
function buffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** PKCS#8 of an Ed25519 key ends with the 32-byte seed. */
const ED25519_SEED_BYTES = 32;

function subtle(): Subtle {
  // undefined outside a secure context, whatever the types say
  const s = (globalThis.crypto as { subtle?: Subtle } | undefined)?.subtle;
  if (s === undefined) {
    throw new IdentityError(
      'WebCrypto is not available: open the app over https (or on localhost) so the browser allows it',
    );
  }
  return s;
}

export interface WebCryptoProviderInit {
  /** Signature checks whose success is remembered. Default 2048. */
  readonly verifiedCacheSize?: number;
  /** Imported public keys kept. Default 256. */
  readonly keyCacheSize?: number;
}

export class WebCryptoProvider implements CryptoProvider {
  private readonly verified: BoundedCache<true>;
  private readonly keys: BoundedCache<WebCryptoKey>;

  constructor(_components: Record<string, never> = {}, init: WebCryptoProviderInit = {}) {
    this.verified = new BoundedCache(init.verifiedCacheSize ?? 2048);
    this.keys = new BoundedCache(init.keyCacheSize ?? 256);
  }

  sha256(data: Uint8Array): Uint8Array {
    return sha256(data);
  }

  async verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES)
      return false;
    const memo = toBase64Url(sha256(concatBytes(publicKey, signature, data)));
    if (this.verified.get(memo) === true) return true;
    try {
      const ok = await subtle().verify(
        'Ed25519',
        await this.importKey(publicKey),
        buffer(signature),
        buffer(data),
      );
      if (ok) this.verified.set(memo, true);
      return ok;
    } catch {
      return false;
    }
  }

  private async importKey(raw: Uint8Array): Promise<WebCryptoKey> {
    const id = toBase64Url(raw);
    const known = this.keys.get(id);
    if (known !== undefined) return known;
    // a key that is not a valid point throws here (verify then answers false) and is not kept
    const key = await subtle().importKey('raw', buffer(raw), { name: 'Ed25519' }, false, ['verify']);
    this.keys.set(id, key);
    return key;
  }

  randomBytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += MAX_RANDOM_CHUNK) {
      globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + MAX_RANDOM_CHUNK)));
    }
    return out;
  }
}

/** A new Ed25519 key made by WebCrypto, as a libp2p private key (its PeerId is the node id). */
export async function generateWebCryptoEd25519Key(): Promise<Ed25519PrivateKey> {
  const pair = await subtle().generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  if (!('privateKey' in pair)) throw new IdentityError('WebCrypto did not make an Ed25519 key pair');
  const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  const publicRaw = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const seed = pkcs8.subarray(pkcs8.length - ED25519_SEED_BYTES);
  const key = privateKeyFromRaw(concatBytes(seed, publicRaw));
  if (key.type !== 'Ed25519') throw new IdentityError(`expected an Ed25519 key, got ${key.type}`);
  return key;
}
