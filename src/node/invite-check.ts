/**
 * Offline verification of an invite for the CLI (`atmosphere join`): format, mesh id ↔ mesh key,
 * the signature and the expiry — before anything is dialled or the node is even running. The mesh
 * module (and its crypto) loads only here, on demand.
 */
import type { InviteToken } from '../core/index.js';
import { verifyInviteToken } from '../core/index.js';

export async function verifyInviteOffline(token: string): Promise<InviteToken> {
  const { NodeCryptoProvider } = await import('../mesh/index.js');
  return verifyInviteToken(token, { crypto: new NodeCryptoProvider(), clock: { now: () => Date.now() } });
}
