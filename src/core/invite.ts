/**
 * Invite tokens, v1: `atm1.` + base64url(binary). Compact enough for a QR code (about 360 characters
 * with two addresses when signed by the mesh key, about 560 when signed by a delegated admin),
 * deterministic, and verified offline: format and version, mesh id derived from the mesh key, the
 * signature under the mesh's authority, then expiry against an injected clock. Redemption (use
 * counting) happens at the issuing node; see docs/PROTOCOLS.md for the byte layout.
 */
import type { Clock } from './clock.js';
import type { CryptoProvider } from './crypto.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './crypto.js';
import {
  InviteExpiredError,
  InviteMalformedError,
  InviteMeshMismatchError,
  InviteTamperedError,
  MalformedMessageError,
} from './errors.js';
import type { MeshRole } from './mesh-identity.js';
import { meshIdFromPublicKey, nodeIdFromPublicKey } from './mesh-identity.js';
import type { MeshAuthority, MeshIssuer } from './membership.js';
import {
  DEFAULT_SCOPE,
  WIRE_TAG_INVITE,
  checkAuthority,
  readAuthority,
  readMeshId,
  readScope,
  roleFromCode,
  roleToCode,
  validateScope,
  writeAuthority,
  writeScope,
} from './membership.js';
import {
  WireReader,
  WireWriter,
  bytesEqual,
  concatBytes,
  fromBase64Url,
  toBase64Url,
  toHex,
  utf8,
} from './wire.js';

export const INVITE_PREFIX = 'atm1.';
export const INVITE_LINK_PREFIX = 'atmosphere://join/';
export const INVITE_VERSION = 1;
const INVITE_DOMAIN = utf8('atmosphere:invite:v1\0');

export const INVITE_NONCE_BYTES = 16;
export const MAX_MESH_NAME_BYTES = 64;
export const MAX_INVITE_ADDRESSES = 8;
export const MAX_INVITE_ADDRESS_LENGTH = 256;
export const MAX_INVITE_USES = 1000;
/** Longest allowed lifetime of an invite: 30 days. */
export const MAX_INVITE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Longest token text accepted before decoding. */
export const MAX_INVITE_TEXT_LENGTH = 4096;

const ADDRESS_PATTERN = /^(\/[A-Za-z0-9._~:%+=[\]-]+)+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export interface InviteFields {
  readonly meshPublicKey: Uint8Array;
  readonly meshName: string;
  /** The node that redeems this invite (counts its uses); its key signs when `authority` is `admin`. */
  readonly issuerPublicKey: Uint8Array;
  readonly role: MeshRole;
  readonly scope?: readonly string[];
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly maxUses: number;
  readonly nonce: Uint8Array;
  /** Multiaddrs of the issuer without the `/p2p/<id>` suffix, e.g. `/ip4/192.168.1.20/tcp/7471`. */
  readonly addresses: readonly string[];
}

export interface InviteToken extends Required<InviteFields> {
  readonly version: 1;
  readonly meshId: string;
  readonly issuerId: string;
  readonly authority: MeshAuthority;
  readonly signature: Uint8Array;
  /** The binary encoding (what the text form carries). */
  readonly bytes: Uint8Array;
  /** The canonical text form, `atm1.<base64url>`. */
  readonly text: string;
}

function validateFields(fields: InviteFields): void {
  if (fields.meshPublicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    throw new MalformedMessageError('invalid mesh key');
  if (fields.issuerPublicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    throw new MalformedMessageError('invalid issuer key');
  validateMeshName(fields.meshName);
  validateScope(fields.scope ?? DEFAULT_SCOPE);
  if (!Number.isSafeInteger(fields.issuedAtMs) || fields.issuedAtMs < 0)
    throw new MalformedMessageError('invalid issue time');
  if (!Number.isSafeInteger(fields.expiresAtMs) || fields.expiresAtMs <= fields.issuedAtMs) {
    throw new MalformedMessageError('expiry must be after the issue time');
  }
  if (fields.expiresAtMs - fields.issuedAtMs > MAX_INVITE_TTL_MS)
    throw new MalformedMessageError('lifetime over 30 days');
  if (!Number.isSafeInteger(fields.maxUses) || fields.maxUses < 1 || fields.maxUses > MAX_INVITE_USES) {
    throw new MalformedMessageError(`max uses must be 1 to ${MAX_INVITE_USES}`);
  }
  if (fields.nonce.length !== INVITE_NONCE_BYTES) throw new MalformedMessageError('invalid nonce');
  if (fields.addresses.length > MAX_INVITE_ADDRESSES) throw new MalformedMessageError('too many addresses');
  for (const address of fields.addresses) validateAddress(address);
}

/** 1-64 bytes of UTF-8 without control characters or surrounding spaces. */
export function validateMeshName(name: string): string {
  const length = utf8(name).length;
  if (length < 1 || length > MAX_MESH_NAME_BYTES)
    throw new MalformedMessageError('mesh name must be 1-64 bytes');
  if (CONTROL_CHARS.test(name) || name.trim() !== name) throw new MalformedMessageError('invalid mesh name');
  return name;
}

function validateAddress(address: string): void {
  if (address.length > MAX_INVITE_ADDRESS_LENGTH || !ADDRESS_PATTERN.test(address)) {
    throw new MalformedMessageError(`invalid address "${address.slice(0, 40)}"`);
  }
}

function inviteBody(meshId: string, fields: InviteFields, authority: MeshAuthority): Uint8Array {
  const writer = new WireWriter()
    .u8(WIRE_TAG_INVITE)
    .u8(INVITE_VERSION)
    .string(meshId)
    .fixed(fields.meshPublicKey, ED25519_PUBLIC_KEY_BYTES)
    .string(fields.meshName)
    .fixed(fields.issuerPublicKey, ED25519_PUBLIC_KEY_BYTES)
    .u8(roleToCode(fields.role));
  writeScope(writer, fields.scope ?? DEFAULT_SCOPE);
  writer.uvarint(fields.issuedAtMs).uvarint(fields.expiresAtMs).uvarint(fields.maxUses);
  writer.fixed(fields.nonce, INVITE_NONCE_BYTES);
  writer.uvarint(fields.addresses.length);
  for (const address of fields.addresses) writer.string(address);
  writeAuthority(writer, authority);
  return writer.finish();
}

/** Signs a new invite. Field errors are `InviteMalformedError`. */
export async function createInviteToken(
  fields: InviteFields,
  issuer: MeshIssuer,
  options: { crypto: CryptoProvider },
): Promise<InviteToken> {
  try {
    validateFields(fields);
  } catch (err) {
    if (err instanceof MalformedMessageError) throw new InviteMalformedError(err.message, { cause: err });
    throw err;
  }
  const meshId = meshIdFromPublicKey(options.crypto, fields.meshPublicKey);
  const body = inviteBody(meshId, fields, issuer.authority);
  const signature = await issuer.signer.sign(concatBytes(INVITE_DOMAIN, body));
  return decodeInviteBytes(concatBytes(body, signature));
}

function decodeInviteBytes(bytes: Uint8Array): InviteToken {
  const reader = new WireReader(bytes);
  if (reader.u8('type tag') !== WIRE_TAG_INVITE) throw new MalformedMessageError('not an invite');
  const version = reader.u8('version');
  if (version !== INVITE_VERSION) throw new MalformedMessageError(`unsupported invite version ${version}`);
  const meshId = readMeshId(reader);
  const meshPublicKey = reader.fixed(ED25519_PUBLIC_KEY_BYTES, 'mesh key');
  const meshName = validateMeshName(reader.string('mesh name', MAX_MESH_NAME_BYTES, 1));
  const issuerPublicKey = reader.fixed(ED25519_PUBLIC_KEY_BYTES, 'issuer key');
  const role = roleFromCode(reader.u8('role'));
  const scope = readScope(reader);
  const issuedAtMs = reader.uvarint('issued at');
  const expiresAtMs = reader.uvarint('expires at');
  const maxUses = reader.uvarint('max uses', MAX_INVITE_USES);
  const nonce = reader.fixed(INVITE_NONCE_BYTES, 'nonce');
  const addressCount = reader.uvarint('address count', MAX_INVITE_ADDRESSES);
  const addresses: string[] = [];
  for (let i = 0; i < addressCount; i++)
    addresses.push(reader.string('address', MAX_INVITE_ADDRESS_LENGTH, 1));
  const authority = readAuthority(reader);
  const signature = reader.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  reader.end('invite');
  const fields: InviteFields = {
    meshPublicKey,
    meshName,
    issuerPublicKey,
    role,
    scope,
    issuedAtMs,
    expiresAtMs,
    maxUses,
    nonce,
    addresses,
  };
  validateFields(fields);
  return {
    version: 1,
    meshId,
    issuerId: nodeIdFromPublicKey(issuerPublicKey),
    ...fields,
    scope,
    authority,
    signature,
    bytes: bytes.slice(),
    text: INVITE_PREFIX + toBase64Url(bytes),
  };
}

/**
 * Parses a token (`atm1.…`, or an `atmosphere://join/atm1.…` link; surrounding whitespace is
 * ignored). Checks format and field rules only; use `verifyInviteToken` before trusting it.
 * Throws `InviteMalformedError` and nothing else.
 */
export function decodeInviteToken(text: string): InviteToken {
  if (typeof text !== 'string') throw new InviteMalformedError('invite token must be text');
  let token = text.trim();
  if (token.length > MAX_INVITE_TEXT_LENGTH) throw new InviteMalformedError('invite token is too long');
  if (token.startsWith(INVITE_LINK_PREFIX)) token = token.slice(INVITE_LINK_PREFIX.length);
  if (!token.startsWith(INVITE_PREFIX)) {
    const version = /^atm(\d+)\./.exec(token)?.[1];
    throw new InviteMalformedError(
      version === undefined
        ? 'not an Atmosphere invite token (expected "atm1.…")'
        : `unsupported invite version ${version}`,
    );
  }
  try {
    return decodeInviteBytes(fromBase64Url(token.slice(INVITE_PREFIX.length)));
  } catch (err) {
    if (err instanceof MalformedMessageError) {
      throw new InviteMalformedError(`malformed invite token: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

export interface VerifyInviteOptions {
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  /** When set, the invite must be for this mesh. */
  readonly expectedMeshId?: string;
  /** Revocation lookup for a delegating admin (known only to members). */
  readonly isRevoked?: (nodeId: string) => boolean;
}

/**
 * Offline verification: format, mesh id ↔ mesh key, signature (any edit breaks it), expiry.
 * Throws `InviteMalformedError`, `InviteMeshMismatchError`, `InviteTamperedError` or
 * `InviteExpiredError`.
 */
export async function verifyInviteToken(
  token: string | InviteToken,
  options: VerifyInviteOptions,
): Promise<InviteToken> {
  const invite = typeof token === 'string' ? decodeInviteToken(token) : token;
  if (meshIdFromPublicKey(options.crypto, invite.meshPublicKey) !== invite.meshId) {
    throw new InviteMeshMismatchError("the invite's mesh id does not belong to its mesh key", {
      details: { meshId: invite.meshId },
    });
  }
  if (options.expectedMeshId !== undefined && options.expectedMeshId !== invite.meshId) {
    throw new InviteMeshMismatchError(`the invite is for ${invite.meshId}, not ${options.expectedMeshId}`, {
      details: { meshId: invite.meshId, expectedMeshId: options.expectedMeshId },
    });
  }
  if (
    invite.authority.kind === 'admin' &&
    !bytesEqual(invite.authority.adminCredential.memberPublicKey, invite.issuerPublicKey)
  ) {
    throw new InviteTamperedError("the invite's admin credential does not belong to its issuer", {
      details: { meshId: invite.meshId, reason: 'issuer_not_admin' },
    });
  }
  const check = await checkAuthority({
    crypto: options.crypto,
    meshId: invite.meshId,
    meshPublicKey: invite.meshPublicKey,
    authority: invite.authority,
    signedData: concatBytes(
      INVITE_DOMAIN,
      invite.bytes.subarray(0, invite.bytes.length - ED25519_SIGNATURE_BYTES),
    ),
    signature: invite.signature,
    isRevoked: options.isRevoked,
  });
  if (check !== 'ok') {
    throw new InviteTamperedError(
      check === 'revoked_signer'
        ? 'the invite was signed by an admin who has been revoked'
        : "the invite's signature does not verify: it was edited or not signed by the mesh",
      { details: { meshId: invite.meshId, reason: check } },
    );
  }
  const now = options.clock.now();
  if (now >= invite.expiresAtMs) {
    throw new InviteExpiredError(`the invite expired at ${new Date(invite.expiresAtMs).toISOString()}`, {
      details: { meshId: invite.meshId, expiresAtMs: invite.expiresAtMs },
    });
  }
  return invite;
}

/** A short, stable identifier for an invite (hex nonce), used for use counting. */
export function inviteNonceHex(invite: Pick<InviteToken, 'nonce'>): string {
  return toHex(invite.nonce);
}
