/**
 * Membership credentials: the offline proof that a node belongs to a mesh. A credential binds a
 * member's Ed25519 public key (hence its node id) to a mesh id, a role and a scope, and is signed
 * by the mesh's authority:
 *
 * - `mesh-key`: signed by the mesh key itself (the founder's node holds it);
 * - `admin`: signed by an admin node's own key, with that admin's credential embedded; the embedded
 *   credential must have role `admin` and be signed by the mesh key directly (delegation is one level
 *   deep), and the admin must not be revoked.
 *
 * Any member verifies any credential with nothing but the mesh public key it already holds. The same
 * authority block is used by invite tokens and revocation entries (see docs/PROTOCOLS.md).
 */
import type { CryptoProvider, Signer } from './crypto.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './crypto.js';
import type { AtmosphereError } from './errors.js';
import { CredentialInvalidError, MalformedMessageError, MembershipRevokedError } from './errors.js';
import type { MeshRole } from './mesh-identity.js';
import { MESH_ID_PATTERN, meshIdFromPublicKey, nodeIdFromPublicKey } from './mesh-identity.js';
import { WireReader, WireWriter, bytesEqual, concatBytes, fromBase64Url, toBase64Url, utf8 } from './wire.js';

/** Type tags: the first byte of every signed format, so one can never be mistaken for another. */
export const WIRE_TAG_INVITE = 0x01;
export const WIRE_TAG_CREDENTIAL = 0x02;
export const WIRE_TAG_REVOCATION = 0x03;

export const CREDENTIAL_VERSION = 1;
const CREDENTIAL_DOMAIN = utf8('atmosphere:credential:v1\0');
/** Largest encoded credential (one with an embedded admin credential is ~300 bytes). */
export const MAX_CREDENTIAL_BYTES = 2048;

export const MAX_SCOPE_PATTERNS = 16;
export const MAX_SCOPE_PATTERN_LENGTH = 64;
const SCOPE_PATTERN = /^[A-Za-z0-9._:*/-]{1,64}$/;
export const DEFAULT_SCOPE: readonly string[] = ['*'];

const ROLE_CODES: Record<MeshRole, number> = { member: 0, admin: 1 };

export type MeshAuthority =
  { readonly kind: 'mesh-key' } | { readonly kind: 'admin'; readonly adminCredential: MembershipCredential };

/** Who signs: the mesh key, or an admin node key with its admin credential. */
export interface MeshIssuer {
  readonly signer: Signer;
  readonly authority: MeshAuthority;
}

export interface MembershipCredential {
  readonly version: 1;
  readonly meshId: string;
  readonly memberPublicKey: Uint8Array;
  /** Node id (PeerId string) of the member, derived from `memberPublicKey`. */
  readonly memberId: string;
  readonly role: MeshRole;
  readonly scope: readonly string[];
  readonly issuedAtMs: number;
  /** Issuer-local counter; with `meshId` and the issuer it identifies one issuance. */
  readonly serial: number;
  readonly authority: MeshAuthority;
  readonly signature: Uint8Array;
  /** The complete encoding, as signed and transmitted. */
  readonly bytes: Uint8Array;
}

export interface CredentialFields {
  readonly meshId: string;
  readonly memberPublicKey: Uint8Array;
  readonly role: MeshRole;
  readonly scope?: readonly string[];
  readonly issuedAtMs: number;
  readonly serial: number;
}

// ---- shared field rules --------------------------------------------------------------------

export function roleToCode(role: MeshRole): number {
  return ROLE_CODES[role];
}

export function roleFromCode(code: number): MeshRole {
  if (code === 0) return 'member';
  if (code === 1) return 'admin';
  throw new MalformedMessageError(`unknown role ${code}`);
}

/** Throws `MalformedMessageError` unless `scope` is 1-16 patterns of `[A-Za-z0-9._:*\/-]{1,64}`. */
export function validateScope(scope: readonly string[]): readonly string[] {
  if (scope.length < 1 || scope.length > MAX_SCOPE_PATTERNS) {
    throw new MalformedMessageError(`scope needs 1 to ${MAX_SCOPE_PATTERNS} patterns`);
  }
  for (const pattern of scope) {
    if (!SCOPE_PATTERN.test(pattern)) throw new MalformedMessageError(`invalid scope pattern "${pattern}"`);
  }
  return scope;
}

export function writeScope(writer: WireWriter, scope: readonly string[]): void {
  writer.uvarint(scope.length);
  for (const pattern of scope) writer.string(pattern);
}

export function readScope(reader: WireReader): readonly string[] {
  const count = reader.uvarint('scope count', MAX_SCOPE_PATTERNS);
  const scope: string[] = [];
  for (let i = 0; i < count; i++) scope.push(reader.string('scope pattern', MAX_SCOPE_PATTERN_LENGTH));
  return validateScope(scope);
}

export function readMeshId(reader: WireReader): string {
  const meshId = reader.string('mesh id', 64);
  if (!MESH_ID_PATTERN.test(meshId)) throw new MalformedMessageError('invalid mesh id');
  return meshId;
}

// ---- authority -----------------------------------------------------------------------------

export function writeAuthority(writer: WireWriter, authority: MeshAuthority): void {
  if (authority.kind === 'mesh-key') {
    writer.u8(0);
  } else {
    writer.u8(1).bytes(authority.adminCredential.bytes);
  }
}

export function readAuthority(reader: WireReader): MeshAuthority {
  const kind = reader.u8('authority kind');
  if (kind === 0) return { kind: 'mesh-key' };
  if (kind === 1) {
    const adminCredential = parseCredential(reader.bytes('admin credential', MAX_CREDENTIAL_BYTES), false);
    if (adminCredential.role !== 'admin')
      throw new MalformedMessageError('delegating credential is not an admin');
    return { kind: 'admin', adminCredential };
  }
  throw new MalformedMessageError(`unknown authority kind ${kind}`);
}

/** The public key whose signature an authority block calls for. */
export function authoritySigningKey(meshPublicKey: Uint8Array, authority: MeshAuthority): Uint8Array {
  return authority.kind === 'mesh-key' ? meshPublicKey : authority.adminCredential.memberPublicKey;
}

export type AuthorityCheck = 'ok' | 'bad_signature' | 'bad_delegation' | 'revoked_signer';

export interface AuthorityCheckInput {
  readonly crypto: CryptoProvider;
  readonly meshId: string;
  readonly meshPublicKey: Uint8Array;
  readonly authority: MeshAuthority;
  /** Domain prefix + signed bytes. */
  readonly signedData: Uint8Array;
  readonly signature: Uint8Array;
  /** Revocation lookup for delegating admins; omitted means "nothing is revoked". */
  readonly isRevoked?: (nodeId: string) => boolean;
}

/** Checks a signature under an authority block; never throws for bad input. */
export async function checkAuthority(input: AuthorityCheckInput): Promise<AuthorityCheck> {
  const { crypto, authority } = input;
  if (authority.kind === 'admin') {
    const admin = authority.adminCredential;
    if (admin.meshId !== input.meshId || admin.role !== 'admin' || admin.authority.kind !== 'mesh-key') {
      return 'bad_delegation';
    }
    const adminSigned = await crypto.verifyEd25519(
      input.meshPublicKey,
      credentialSignedData(admin),
      admin.signature,
    );
    if (!adminSigned) return 'bad_delegation';
    if (input.isRevoked?.(admin.memberId) === true) return 'revoked_signer';
  }
  const key = authoritySigningKey(input.meshPublicKey, authority);
  return (await crypto.verifyEd25519(key, input.signedData, input.signature)) ? 'ok' : 'bad_signature';
}

// ---- credentials ---------------------------------------------------------------------------

function credentialBody(fields: CredentialFields, authority: MeshAuthority): Uint8Array {
  const writer = new WireWriter()
    .u8(WIRE_TAG_CREDENTIAL)
    .u8(CREDENTIAL_VERSION)
    .string(fields.meshId)
    .fixed(fields.memberPublicKey, ED25519_PUBLIC_KEY_BYTES)
    .u8(roleToCode(fields.role));
  writeScope(writer, fields.scope ?? DEFAULT_SCOPE);
  writer.uvarint(fields.issuedAtMs).uvarint(fields.serial);
  writeAuthority(writer, authority);
  return writer.finish();
}

function credentialSignedData(credential: MembershipCredential): Uint8Array {
  return concatBytes(
    CREDENTIAL_DOMAIN,
    credential.bytes.subarray(0, credential.bytes.length - ED25519_SIGNATURE_BYTES),
  );
}

export async function issueCredential(
  fields: CredentialFields,
  issuer: MeshIssuer,
): Promise<MembershipCredential> {
  if (!MESH_ID_PATTERN.test(fields.meshId)) throw new CredentialInvalidError('invalid mesh id');
  try {
    validateScope(fields.scope ?? DEFAULT_SCOPE);
  } catch (err) {
    throw new CredentialInvalidError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const body = credentialBody(fields, issuer.authority);
  const signature = await issuer.signer.sign(concatBytes(CREDENTIAL_DOMAIN, body));
  return decodeCredential(concatBytes(body, signature));
}

function parseCredential(bytes: Uint8Array, allowDelegation: boolean): MembershipCredential {
  const reader = new WireReader(bytes);
  const tag = reader.u8('type tag');
  if (tag !== WIRE_TAG_CREDENTIAL) throw new MalformedMessageError('not a membership credential');
  const version = reader.u8('version');
  if (version !== CREDENTIAL_VERSION)
    throw new MalformedMessageError(`unsupported credential version ${version}`);
  const meshId = readMeshId(reader);
  const memberPublicKey = reader.fixed(ED25519_PUBLIC_KEY_BYTES, 'member key');
  const role = roleFromCode(reader.u8('role'));
  const scope = readScope(reader);
  const issuedAtMs = reader.uvarint('issued at');
  const serial = reader.uvarint('serial');
  const authority = readAuthority(reader);
  if (authority.kind === 'admin' && !allowDelegation) throw new MalformedMessageError('nested delegation');
  const signature = reader.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  reader.end('credential');
  return {
    version: 1,
    meshId,
    memberPublicKey,
    memberId: nodeIdFromPublicKey(memberPublicKey),
    role,
    scope,
    issuedAtMs,
    serial,
    authority,
    signature,
    bytes: bytes.slice(),
  };
}

/** Parses a credential; any format violation is a `CredentialInvalidError` (reason `malformed`). */
export function decodeCredential(bytes: Uint8Array): MembershipCredential {
  if (bytes.length > MAX_CREDENTIAL_BYTES) {
    throw new CredentialInvalidError('credential is too large', { details: { reason: 'malformed' } });
  }
  try {
    return parseCredential(bytes, true);
  } catch (err) {
    if (err instanceof MalformedMessageError) {
      throw new CredentialInvalidError(`malformed credential: ${err.message}`, {
        cause: err,
        details: { reason: 'malformed' },
      });
    }
    throw err;
  }
}

export function credentialToText(credential: MembershipCredential): string {
  return toBase64Url(credential.bytes);
}

export function credentialFromText(text: string): MembershipCredential {
  if (text.length > (MAX_CREDENTIAL_BYTES * 4) / 3 + 4) {
    throw new CredentialInvalidError('credential is too large', { details: { reason: 'malformed' } });
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch (err) {
    throw new CredentialInvalidError('malformed credential encoding', {
      cause: err,
      details: { reason: 'malformed' },
    });
  }
  return decodeCredential(bytes);
}

export interface VerifyCredentialOptions {
  readonly crypto: CryptoProvider;
  readonly meshPublicKey: Uint8Array;
  /** When given, the credential must belong to this key (e.g. the PeerId of a connection). */
  readonly memberPublicKey?: Uint8Array;
  readonly isRevoked?: (nodeId: string) => boolean;
}

/**
 * Verifies a credential offline. Throws `CredentialInvalidError` (`details.reason`: `wrong_mesh`,
 * `wrong_member`, `bad_signature`, `bad_delegation`, `revoked_signer`) or `MembershipRevokedError`.
 */
export async function verifyCredential(
  credential: MembershipCredential,
  options: VerifyCredentialOptions,
): Promise<MembershipCredential> {
  const fail = (reason: string, message: string): never => {
    throw new CredentialInvalidError(message, {
      details: { reason, meshId: credential.meshId, nodeId: credential.memberId },
    });
  };
  if (meshIdFromPublicKey(options.crypto, options.meshPublicKey) !== credential.meshId) {
    fail('wrong_mesh', `credential is for another mesh (${credential.meshId})`);
  }
  if (
    options.memberPublicKey !== undefined &&
    !bytesEqual(options.memberPublicKey, credential.memberPublicKey)
  ) {
    fail('wrong_member', 'credential belongs to another node');
  }
  const check = await checkAuthority({
    crypto: options.crypto,
    meshId: credential.meshId,
    meshPublicKey: options.meshPublicKey,
    authority: credential.authority,
    signedData: credentialSignedData(credential),
    signature: credential.signature,
    isRevoked: options.isRevoked,
  });
  if (check !== 'ok') fail(check, `credential signature check failed: ${check}`);
  if (options.isRevoked?.(credential.memberId) === true) {
    throw new MembershipRevokedError(`node ${credential.memberId} was revoked from ${credential.meshId}`, {
      details: { meshId: credential.meshId, nodeId: credential.memberId },
    });
  }
  return credential;
}

/** True for errors that mean "this credential is not acceptable" (as opposed to a bug). */
export function isCredentialRejection(err: unknown): err is AtmosphereError {
  return err instanceof CredentialInvalidError || err instanceof MembershipRevokedError;
}
