import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToProtobuf, publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../core/index.js';
import { IdentityError } from '../core/index.js';
import { IDENTITY_FILE_VERSION, loadIdentity, loadOrCreateIdentity } from './identity.js';

const root = mkdtempSync(join(tmpdir(), 'atmosphere-identity-'));
let counter = 0;
/** A fresh directory (as `ensureHome` would make it) and the key path inside it. */
const freshKeyPath = (): string => {
  const dir = join(root, `home-${++counter}`);
  mkdirSync(dir, { mode: 0o700 });
  return join(dir, 'identity.key');
};
afterAll(() => rmSync(root, { recursive: true, force: true }));

function warnings(): { logger: Logger; lines: { fields: Record<string, unknown>; msg: string }[] } {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  const noop = (): void => {};
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: (a: string | Record<string, unknown>, b?: string) => {
      lines.push(typeof a === 'string' ? { fields: {}, msg: a } : { fields: a, msg: b ?? '' });
    },
    error: noop,
    child: () => logger,
  };
  return { logger, lines };
}

async function rejection(promise: Promise<unknown>): Promise<IdentityError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(IdentityError);
    return err as IdentityError;
  }
  throw new Error('expected the promise to reject');
}

/** A well-formed identity document for a fresh key, with optional edits. */
async function document(edit: Record<string, unknown> = {}): Promise<string> {
  const key = await generateKeyPair('Ed25519');
  return JSON.stringify({
    version: IDENTITY_FILE_VERSION,
    type: 'Ed25519',
    privateKey: Buffer.from(privateKeyToProtobuf(key)).toString('base64'),
    nodeId: peerIdFromPrivateKey(key).toString(),
    ...edit,
  });
}

describe('node identity', () => {
  it('creates an Ed25519 key on first use in a file only the owner can read', async () => {
    const path = freshKeyPath();
    const { identity, created } = await loadOrCreateIdentity(path);
    expect(created).toBe(true);
    expect(identity.privateKey.type).toBe('Ed25519');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toEqual({
      version: 1,
      type: 'Ed25519',
      privateKey: Buffer.from(privateKeyToProtobuf(identity.privateKey)).toString('base64'),
      nodeId: identity.nodeId,
    });
    expect(readdirSync(join(path, '..'))).toEqual(['identity.key']);
  });

  it('keeps the same node id and key across loads', async () => {
    const path = freshKeyPath();
    const first = await loadOrCreateIdentity(path);
    const again = await loadOrCreateIdentity(path);
    const loaded = await loadIdentity(path);
    expect(again.created).toBe(false);
    expect(again.identity.nodeId).toBe(first.identity.nodeId);
    expect(loaded.nodeId).toBe(first.identity.nodeId);
    expect(loaded.privateKey.equals(first.identity.privateKey)).toBe(true);
    expect(loaded.publicKeyBase64).toBe(first.identity.publicKeyBase64);
  });

  it('gives a node id that parses as the libp2p PeerId of its public key', async () => {
    const { identity } = await loadOrCreateIdentity(freshKeyPath());
    const parsed = peerIdFromString(identity.nodeId);
    expect(parsed.type).toBe('Ed25519');
    expect(parsed.equals(identity.peerId)).toBe(true);
    expect(identity.nodeId).toMatch(/^12D3KooW/);
    const publicKey = publicKeyFromRaw(Buffer.from(identity.publicKeyBase64, 'base64'));
    expect(publicKey.equals(parsed.publicKey)).toBe(true);
    const message = new TextEncoder().encode('announce');
    const signature = await identity.privateKey.sign(message);
    expect(await publicKey.verify(message, signature)).toBe(true);
  });

  it('gives different nodes different ids', async () => {
    const a = await loadOrCreateIdentity(freshKeyPath());
    const b = await loadOrCreateIdentity(freshKeyPath());
    expect(a.identity.nodeId).not.toBe(b.identity.nodeId);
  });

  it('says to run atmosphere init when there is no identity, and creates nothing', async () => {
    const path = freshKeyPath();
    const error = await rejection(loadIdentity(path));
    expect(error.message).toContain('atmosphere init');
    expect(error.message).toContain(path);
    await rejection(loadOrCreateIdentity(path, { create: false }));
    expect(existsSync(path)).toBe(false);
  });

  it('creates the directory when it does not exist yet', async () => {
    const path = join(root, `missing-${++counter}`, 'nested', 'identity.key');
    const { created } = await loadOrCreateIdentity(path);
    expect(created).toBe(true);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
  });

  it('tightens a key file that others can read, with a warning, and still loads it', async () => {
    const path = freshKeyPath();
    const { identity } = await loadOrCreateIdentity(path);
    chmodSync(path, 0o644);
    const { logger, lines } = warnings();
    const loaded = await loadIdentity(path, { logger });
    expect(loaded.nodeId).toBe(identity.nodeId);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toMatchObject({ path, mode: '644' });
  });

  describe('refuses a damaged key file, names it, and never overwrites or regenerates it', () => {
    const cases: [string, () => Promise<string> | string][] = [
      ['an empty file', () => ''],
      ['text that is not JSON', () => 'not json at all\n'],
      ['JSON of the wrong shape', () => JSON.stringify({ hello: 'world' })],
      ['a private key that is not base64', () => document({ privateKey: '***not base64***' })],
      ['base64 that is not a key', () => document({ privateKey: Buffer.from('garbage').toString('base64') })],
      ['an unknown key type', () => document({ type: 'RSA' })],
      ['an unknown (older) format version', () => document({ version: 0 })],
      ['a format version from the future', () => document({ version: 2 })],
    ];
    for (const [name, contents] of cases) {
      it(`holding ${name}`, async () => {
        const path = freshKeyPath();
        const text = await contents();
        writeFileSync(path, text, { mode: 0o600 });
        const error = await rejection(loadOrCreateIdentity(path));
        expect(error.code).toBe('identity_invalid');
        expect(error.message).toContain(path);
        await rejection(loadIdentity(path));
        expect(readFileSync(path, 'utf8')).toBe(text);
        expect(readdirSync(join(path, '..'))).toEqual(['identity.key']);
      });
    }
  });

  it('refuses a key file whose node id was edited to another node', async () => {
    const path = freshKeyPath();
    await loadOrCreateIdentity(path);
    const original = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
    const tampered = JSON.stringify({ ...original, nodeId: other });
    writeFileSync(path, tampered);
    const error = await rejection(loadOrCreateIdentity(path));
    expect(error.message).toContain(other);
    expect(error.message).toContain(String(original.nodeId));
    expect(readFileSync(path, 'utf8')).toBe(tampered);
  });

  it('refuses a key path that is a directory', async () => {
    const path = freshKeyPath();
    mkdirSync(path);
    const error = await rejection(loadOrCreateIdentity(path));
    expect(error.message).toContain(path);
    expect(statSync(path).isDirectory()).toBe(true);
  });

  it('ends with one identity when many callers create it at the same time', async () => {
    const path = freshKeyPath();
    const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateIdentity(path)));
    const ids = new Set(results.map((r) => r.identity.nodeId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await loadIdentity(path)).nodeId).toBe(results[0]?.identity.nodeId);
    expect(readdirSync(join(path, '..'))).toEqual(['identity.key']);
  });

  it('stops before creating a key when the signal is already aborted', async () => {
    const path = freshKeyPath();
    await expect(loadOrCreateIdentity(path, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(existsSync(path)).toBe(false);
  });
});
