/**
 * Revocation: signed entries that remove a node from a mesh. Each entry names the revoked node's
 * key, when and why, and is signed under the mesh's authority (the mesh key, or a non-revoked admin
 * with its admin credential). A mesh's revocation list is the grow-only set of its entries, keyed
 * by revoked node: sets merge by union, so any two members that exchange their entries converge,
 * whatever order they learnt them in. Its `version` is the number of revoked nodes and its
 * `digest` a hash of their ids, cheap to compare in a handshake.
 */
import type { CryptoProvider } from './crypto.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './crypto.js';
import { MalformedMessageError, RevocationInvalidError } from './errors.js';
import { meshIdFromPublicKey, nodeIdFromPublicKey } from './mesh-identity.js';
import type { MeshAuthority, MeshIssuer } from './membership.js';
import {
  WIRE_TAG_REVOCATION,
  checkAuthority,
  readAuthority,
  readMeshId,
  writeAuthority,
} from './membership.js';
import { WireReader, WireWriter, concatBytes, fromUtf8, toHex, utf8 } from './wire.js';

export const REVOCATION_VERSION = 1;
const REVOCATION_DOMAIN = utf8('atmosphere:revocation:v1\0');
export const MAX_REVOCATION_REASON_BYTES = 200;
export const MAX_REVOCATION_BYTES = 4096;

export interface RevocationFields {
  readonly meshId: string;
  readonly revokedPublicKey: Uint8Array;
  readonly revokedAtMs: number;
  readonly reason?: string;
}

export interface RevocationEntry {
  readonly version: 1;
  readonly meshId: string;
  readonly revokedPublicKey: Uint8Array;
  /** Node id of the revoked node. */
  readonly revokedId: string;
  readonly revokedAtMs: number;
  readonly reason: string;
  readonly authority: MeshAuthority;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
}

function revocationBody(fields: RevocationFields, authority: MeshAuthority): Uint8Array {
  const writer = new WireWriter()
    .u8(WIRE_TAG_REVOCATION)
    .u8(REVOCATION_VERSION)
    .string(fields.meshId)
    .fixed(fields.revokedPublicKey, ED25519_PUBLIC_KEY_BYTES)
    .uvarint(fields.revokedAtMs)
    .string(fields.reason ?? '');
  writeAuthority(writer, authority);
  return writer.finish();
}

export async function issueRevocation(
  fields: RevocationFields,
  issuer: MeshIssuer,
): Promise<RevocationEntry> {
  if (utf8(fields.reason ?? '').length > MAX_REVOCATION_REASON_BYTES) {
    throw new RevocationInvalidError(`reason is longer than ${MAX_REVOCATION_REASON_BYTES} bytes`);
  }
  const body = revocationBody(fields, issuer.authority);
  const signature = await issuer.signer.sign(concatBytes(REVOCATION_DOMAIN, body));
  return decodeRevocation(concatBytes(body, signature));
}

/** Parses an entry; any format violation is a `RevocationInvalidError`. */
export function decodeRevocation(bytes: Uint8Array): RevocationEntry {
  try {
    if (bytes.length > MAX_REVOCATION_BYTES) throw new MalformedMessageError('revocation entry is too large');
    const reader = new WireReader(bytes);
    if (reader.u8('type tag') !== WIRE_TAG_REVOCATION)
      throw new MalformedMessageError('not a revocation entry');
    const version = reader.u8('version');
    if (version !== REVOCATION_VERSION)
      throw new MalformedMessageError(`unsupported revocation version ${version}`);
    const meshId = readMeshId(reader);
    const revokedPublicKey = reader.fixed(ED25519_PUBLIC_KEY_BYTES, 'revoked key');
    const revokedAtMs = reader.uvarint('revoked at');
    const reason = fromUtf8(reader.bytes('reason', MAX_REVOCATION_REASON_BYTES));
    const authority = readAuthority(reader);
    const signature = reader.fixed(ED25519_SIGNATURE_BYTES, 'signature');
    reader.end('revocation entry');
    return {
      version: 1,
      meshId,
      revokedPublicKey,
      revokedId: nodeIdFromPublicKey(revokedPublicKey),
      revokedAtMs,
      reason,
      authority,
      signature,
      bytes: bytes.slice(),
    };
  } catch (err) {
    if (err instanceof MalformedMessageError) {
      throw new RevocationInvalidError(`malformed revocation entry: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

export interface VerifyRevocationOptions {
  readonly crypto: CryptoProvider;
  readonly meshPublicKey: Uint8Array;
  /** Entries signed by an admin who is already revoked are refused. */
  readonly isRevoked?: (nodeId: string) => boolean;
}

/** Checks mesh and signature; throws `RevocationInvalidError` with `details.reason`. */
export async function verifyRevocation(
  entry: RevocationEntry,
  options: VerifyRevocationOptions,
): Promise<RevocationEntry> {
  if (meshIdFromPublicKey(options.crypto, options.meshPublicKey) !== entry.meshId) {
    throw new RevocationInvalidError('revocation entry is for another mesh', {
      details: { reason: 'wrong_mesh', meshId: entry.meshId },
    });
  }
  const check = await checkAuthority({
    crypto: options.crypto,
    meshId: entry.meshId,
    meshPublicKey: options.meshPublicKey,
    authority: entry.authority,
    signedData: concatBytes(
      REVOCATION_DOMAIN,
      entry.bytes.subarray(0, entry.bytes.length - ED25519_SIGNATURE_BYTES),
    ),
    signature: entry.signature,
    isRevoked: options.isRevoked,
  });
  if (check !== 'ok') {
    throw new RevocationInvalidError(`revocation entry signature check failed: ${check}`, {
      details: { reason: check, meshId: entry.meshId, nodeId: entry.revokedId },
    });
  }
  return entry;
}

/** The revocation list of one mesh: a grow-only set of verified entries, one per revoked node. */
export class RevocationSet {
  readonly meshId: string;
  private readonly byNode = new Map<string, RevocationEntry>();

  constructor(meshId: string, entries: Iterable<RevocationEntry> = []) {
    this.meshId = meshId;
    for (const entry of entries) this.add(entry);
  }

  /** Adds an (already verified) entry; false when that node was already revoked. */
  add(entry: RevocationEntry): boolean {
    if (entry.meshId !== this.meshId) {
      throw new RevocationInvalidError('revocation entry is for another mesh', {
        details: { reason: 'wrong_mesh' },
      });
    }
    if (this.byNode.has(entry.revokedId)) return false;
    this.byNode.set(entry.revokedId, entry);
    return true;
  }

  has(nodeId: string): boolean {
    return this.byNode.has(nodeId);
  }

  get(nodeId: string): RevocationEntry | undefined {
    return this.byNode.get(nodeId);
  }

  /** Number of revoked nodes; grows by one with each new revocation. */
  get version(): number {
    return this.byNode.size;
  }

  entries(): RevocationEntry[] {
    return [...this.byNode.values()].sort((a, b) =>
      a.revokedId < b.revokedId ? -1 : a.revokedId > b.revokedId ? 1 : 0,
    );
  }

  /** Hex sha256 over the sorted revoked node ids: equal digests mean equal lists. */
  digest(crypto: CryptoProvider): string {
    const ids = [...this.byNode.keys()].sort();
    return toHex(crypto.sha256(utf8(ids.join('\n'))));
  }
}
