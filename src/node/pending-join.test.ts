import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedSigner, testCrypto } from '../../test/mesh-fixtures.js';
import type { JoinResult } from '../core/index.js';
import { NotFoundError, createInviteToken } from '../core/index.js';
import { PendingJoinFile } from './pending-join.js';

const NOW = 1_760_000_000_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function inviteText(): Promise<string> {
  const meshKey = await fixedSigner(1);
  const invite = await createInviteToken(
    {
      meshPublicKey: meshKey.publicKey,
      meshName: 'family',
      issuerPublicKey: meshKey.publicKey,
      role: 'admin',
      issuedAtMs: NOW,
      expiresAtMs: NOW + 3_600_000,
      maxUses: 1,
      nonce: new Uint8Array(16).fill(7),
      addresses: ['/ip4/127.0.0.1/tcp/7471'],
    },
    { signer: meshKey, authority: { kind: 'mesh-key' } },
    { crypto: testCrypto },
  );
  return invite.text;
}

function setup(file: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'atm-pj-'));
  dirs.push(dir);
  const path = join(dir, 'join.json');
  if (file !== undefined) writeFileSync(path, typeof file === 'string' ? file : JSON.stringify(file));
  const joined: string[] = [];
  const mesh = {
    join(token: string): Promise<JoinResult> {
      joined.push(token);
      return Promise.resolve({ meshId: 'mesh-x', meshName: 'family', role: 'admin', issuerId: 'issuer' });
    },
  };
  return { path, joined, pending: new PendingJoinFile({ mesh }, { path }) };
}

describe('PendingJoinFile', () => {
  it('reports the join `atmosphere join` left before registering, with the invite’s mesh and role', async () => {
    const token = await inviteText();
    const { pending } = setup({
      token,
      meshId: '',
      meshName: '',
      done: ['validate', 'node', 'scan'],
      startedAtMs: 5,
    });
    expect(pending.pending()).toMatchObject({
      meshName: 'family',
      role: 'admin',
      done: ['validate', 'node', 'scan'],
      startedAtMs: 5,
      expiresAtMs: NOW + 3_600_000,
    });
    expect(pending.pending()?.meshId).toMatch(/^mesh-/);
  });

  it('reports nothing without a file, for a broken file, or once registration was sent', async () => {
    expect(setup(undefined).pending.pending()).toBeNull();
    expect(setup('{not json').pending.pending()).toBeNull();
    expect(setup({ token: 'atm1.garbage', done: [] }).pending.pending()).toBeNull();
    const token = await inviteText();
    expect(setup({ token, done: ['validate', 'register'] }).pending.pending()).toBeNull();
    expect(setup({ token, done: ['validate'], registering: true }).pending.pending()).toBeNull();
  });

  it('registers with the stored invite and records approve and register as done for the CLI to resume', async () => {
    const token = await inviteText();
    const { pending, path, joined } = setup({
      token,
      meshId: 'm',
      meshName: 'family',
      done: ['validate', 'node', 'scan'],
      startedAtMs: 5,
    });
    await expect(pending.complete()).resolves.toMatchObject({ meshName: 'family', role: 'admin' });
    expect(joined).toEqual([token]);
    const file = JSON.parse(readFileSync(path, 'utf8')) as {
      done: string[];
      registering: boolean;
      token: string;
    };
    expect(file.done).toEqual(['validate', 'node', 'scan', 'approve', 'register']);
    expect(file).toMatchObject({ registering: true, token });
    expect(pending.pending()).toBeNull();
  });

  it('refuses to complete when no join waits', async () => {
    await expect(setup(undefined).pending.complete()).rejects.toBeInstanceOf(NotFoundError);
  });
});
