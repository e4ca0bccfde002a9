/**
 * The node's identity: one Ed25519 key, made on first use and kept in `identity.key` (mode 0600).
 * The node id is the libp2p PeerId of that key, so the id cannot be claimed without the key.
 * Losing or replacing the key loses mesh membership, so a file that cannot be read or parsed is
 * reported and never overwritten or regenerated.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { chmod, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { z } from 'zod';
import type { Logger } from '../core/index.js';
import { IdentityError, silentLogger } from '../core/index.js';
import { atomicWriteFileSync } from './fs-atomic.js';

export interface NodeIdentity {
  readonly privateKey: PrivateKey;
  readonly peerId: PeerId;
  /** The PeerId as a string (`12D3KooW...`): this node's id everywhere. */
  readonly nodeId: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  readonly publicKeyBase64: string;
}

/** The version of the identity file format written by this build. */
export const IDENTITY_FILE_VERSION = 1;

/** `{"version":1,"type":"Ed25519","privateKey":"<base64 of the libp2p protobuf>","nodeId":"<peer id>"}` */
const identityFileSchema = z.object({
  version: z.number().int().positive(),
  type: z.string(),
  privateKey: z.string().min(1),
  nodeId: z.string().min(1),
});

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface LoadIdentityOptions {
  /** Receives the warning when a key file readable by others is made private. */
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

export interface LoadOrCreateIdentityOptions extends LoadIdentityOptions {
  /** Make a new key when the file does not exist (default true). */
  readonly create?: boolean;
}

/**
 * Loads the identity at `path`, or makes one when there is none. Several processes racing to make
 * the first identity all end up with the same key: each writes its own file and links it into
 * place, the first link wins and the others read the winner's key.
 */
export async function loadOrCreateIdentity(
  path: string,
  options: LoadOrCreateIdentityOptions = {},
): Promise<{ identity: NodeIdentity; created: boolean }> {
  const log = options.logger ?? silentLogger();
  options.signal?.throwIfAborted();
  const existing = await readIdentityFile(path, log);
  if (existing !== undefined) return { identity: existing, created: false };
  if (options.create === false) throw missingIdentity(path);

  const privateKey = await generateKeyPair('Ed25519');
  options.signal?.throwIfAborted();
  const identity = identityFromKey(privateKey);
  if (createExclusively(path, serialiseIdentity(identity))) {
    log.info({ path, nodeId: identity.nodeId }, 'created a new node identity');
    return { identity, created: true };
  }
  const winner = await readIdentityFile(path, log);
  if (winner === undefined) {
    throw new IdentityError(`the identity file ${path} disappeared while it was being created; try again`, {
      details: { path },
    });
  }
  return { identity: winner, created: false };
}

/** Loads the identity at `path`; never creates one (a missing file says to run `atmosphere init`). */
export async function loadIdentity(path: string, options: LoadIdentityOptions = {}): Promise<NodeIdentity> {
  const { identity } = await loadOrCreateIdentity(path, { ...options, create: false });
  return identity;
}

/** The identity file's text for a key (exported for tools that move an identity between machines). */
export function serialiseIdentity(identity: NodeIdentity): string {
  const document = {
    version: IDENTITY_FILE_VERSION,
    type: 'Ed25519',
    privateKey: Buffer.from(privateKeyToProtobuf(identity.privateKey)).toString('base64'),
    nodeId: identity.nodeId,
  };
  return `${JSON.stringify(document)}\n`;
}

function identityFromKey(privateKey: PrivateKey): NodeIdentity {
  const peerId = peerIdFromPrivateKey(privateKey);
  return Object.freeze({
    privateKey,
    peerId,
    nodeId: peerId.toString(),
    publicKeyBase64: Buffer.from(privateKey.publicKey.raw).toString('base64'),
  });
}

/** The identity in the file, or undefined when there is no file. */
async function readIdentityFile(path: string, log: Logger): Promise<NodeIdentity | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw unreadable(path, err);
  }
  if (!info.isFile()) {
    throw new IdentityError(`the identity key ${path} is not a regular file; it was left untouched`, {
      details: { path },
    });
  }
  const mode = info.mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    try {
      await chmod(path, 0o600);
    } catch (err) {
      throw new IdentityError(
        `the identity key ${path} is readable by other users (mode ${mode.toString(8)}) and could not be made private: ${(err as Error).message}`,
        { cause: err, details: { path } },
      );
    }
    log.warn(
      { path, mode: mode.toString(8) },
      'the identity key was readable by other users; its mode is now 0600 (consider whether the key was exposed)',
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw unreadable(path, err);
  }
  return parseIdentityFile(path, text);
}

function parseIdentityFile(path: string, text: string): NodeIdentity {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corrupt(path, 'it is not JSON');
  }
  const parsed = identityFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(path, `${issue?.path.join('.') || 'document'}: ${issue?.message ?? 'invalid'}`);
  }
  const document = parsed.data;
  if (document.version > IDENTITY_FILE_VERSION) {
    throw new IdentityError(
      `the identity key ${path} has format version ${document.version}, written by a newer Atmosphere; upgrade to use it. It was left untouched`,
      { details: { path, version: document.version } },
    );
  }
  if (document.version !== IDENTITY_FILE_VERSION)
    throw corrupt(path, `unknown format version ${document.version}`);
  if (document.type !== 'Ed25519') throw corrupt(path, `unsupported key type ${document.type}`);
  const bytes = Buffer.from(document.privateKey, 'base64');
  if (!BASE64.test(document.privateKey) || bytes.toString('base64') !== document.privateKey) {
    throw corrupt(path, 'privateKey is not base64');
  }
  let privateKey: PrivateKey;
  try {
    privateKey = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw corrupt(path, `privateKey is not a libp2p private key (${(err as Error).message})`);
  }
  if (privateKey.type !== 'Ed25519')
    throw corrupt(path, `privateKey is a ${privateKey.type} key, not Ed25519`);
  const identity = identityFromKey(privateKey);
  if (identity.nodeId !== document.nodeId) {
    throw new IdentityError(
      `the identity key ${path} says its node id is ${document.nodeId}, but its key belongs to ${identity.nodeId}: the file was edited or damaged. It was left untouched`,
      { details: { path, recorded: document.nodeId, actual: identity.nodeId } },
    );
  }
  return identity;
}

/**
 * Puts `text` at `path` only if nothing is there: the text is written and fsynced to a private
 * staging file first, then hard-linked into place (`link` fails if the target exists, and the
 * target never holds a partial key). True when this call created the file.
 */
function createExclusively(path: string, text: string): boolean {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new IdentityError(
      `cannot create the directory ${dir} for the identity key: ${(err as Error).message}`,
      {
        cause: err,
        details: { path },
      },
    );
  }
  const staging = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.new`);
  try {
    atomicWriteFileSync(staging, text, { mode: 0o600 });
    linkSync(staging, path);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw new IdentityError(`cannot create the identity key ${path}: ${(err as Error).message}`, {
      cause: err,
      details: { path },
    });
  } finally {
    rmSync(staging, { force: true });
  }
  syncDirectory(dir);
  return true;
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory; the link itself is atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function missingIdentity(path: string): IdentityError {
  return new IdentityError(
    `this node has no identity yet (no ${path}): run \`atmosphere init\` to create one`,
    {
      details: { path, reason: 'missing' },
    },
  );
}

function unreadable(path: string, err: unknown): IdentityError {
  return new IdentityError(
    `cannot read the identity key ${path}: ${(err as Error).message}. It was left untouched`,
    { cause: err, details: { path, reason: 'unreadable' } },
  );
}

function corrupt(path: string, reason: string): IdentityError {
  return new IdentityError(
    `the identity key ${path} is not usable (${reason}). It was left untouched: restore it from a backup, or move it aside and run \`atmosphere init\` to make a new identity (this node would then need new invites to its meshes)`,
    { details: { path, reason: 'corrupt' } },
  );
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
