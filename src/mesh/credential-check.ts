/**
 * The membership check every gossip message goes through, with the signature part remembered.
 *
 * Each message carries its origin's membership credential: the same bytes every time. Checking
 * its signature (one or two Ed25519 verifications) on each of a mesh's messages, at every member,
 * cost as much as gossipsub's own signature check; so a credential whose signatures checked out is
 * remembered by mesh and content hash, and later only what can have changed since is checked
 * again: a revocation of the member, or of the admin who signed its credential. The outcome is
 * the one `verifyCredential` gives for the same input.
 */
import type { CryptoProvider, MembershipCredential } from '../core/index.js';
import { MembershipRevokedError, bytesEqual, toHex, verifyCredential } from '../core/index.js';
import { BoundedCache } from './bounded-cache.js';

/** Credentials remembered: a mesh's members and then some. */
export const CREDENTIALS_REMEMBERED = 1024;

export type CredentialVerdict = 'ok' | 'revoked' | 'not_member';

export interface CredentialCheckInput {
  readonly meshId: string;
  readonly meshPublicKey: Uint8Array;
  readonly credential: MembershipCredential;
  /** The key that signed the message: it must be the credential's member. */
  readonly originPublicKey: Uint8Array;
  readonly isRevoked: (nodeId: string) => boolean;
}

export class CredentialCheck {
  private readonly crypto: CryptoProvider;
  private readonly verified: BoundedCache<true>;

  constructor(crypto: CryptoProvider, remembered = CREDENTIALS_REMEMBERED) {
    this.crypto = crypto;
    this.verified = new BoundedCache<true>(remembered);
  }

  async check(input: CredentialCheckInput): Promise<CredentialVerdict> {
    const { credential } = input;
    const key = `${input.meshId}|${toHex(this.crypto.sha256(credential.bytes))}`;
    if (this.verified.get(key) === true) {
      if (!bytesEqual(credential.memberPublicKey, input.originPublicKey)) return 'not_member';
      const signer =
        credential.authority.kind === 'admin' ? credential.authority.adminCredential.memberId : null;
      // as `verifyCredential`: a revoked signer makes the credential invalid, a revoked member is revoked
      if (signer !== null && input.isRevoked(signer)) return 'not_member';
      return input.isRevoked(credential.memberId) ? 'revoked' : 'ok';
    }
    try {
      await verifyCredential(credential, {
        crypto: this.crypto,
        meshPublicKey: input.meshPublicKey,
        memberPublicKey: input.originPublicKey,
        isRevoked: input.isRevoked,
      });
    } catch (err) {
      return err instanceof MembershipRevokedError ? 'revoked' : 'not_member';
    }
    this.verified.set(key, true);
    return 'ok';
  }
}
