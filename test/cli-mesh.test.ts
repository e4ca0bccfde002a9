/**
 * The mesh through the real CLI: three node processes on loopback form a mesh with invites, see
 * each other, refuse bad invites with distinct errors, revoke a member, and notice a killed node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, runAtmosphere, tempHome, START_ARGS, waitFor } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

// Loopback only, no mDNS, a short peer timeout so a killed node leaves the views quickly.
const env = cleanEnv({ ATMOSPHERE_MESH__PEER_TIMEOUT_SECONDS: '5' });
const START = START_ARGS;

interface Overview {
  nodeId: string;
  meshes: { meshId: string; name: string; role: string; memberCount: number }[];
  peers: {
    nodeId: string;
    name: string;
    connected: boolean;
    reason: string | null;
    rttMs: number | null;
    transport: string | null;
  }[];
}

describe('a mesh of three node processes driven by the CLI', () => {
  const homes = { a: tempHome('atm-a-'), b: tempHome('atm-b-'), c: tempHome('atm-c-') };
  const atm = (who: keyof typeof homes, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env });
  const overview = async (who: keyof typeof homes): Promise<Overview> => {
    const res = await atm(who, 'mesh', '--json');
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as Overview;
  };
  const ids: Record<string, string> = {};
  let meshId = '';

  beforeAll(async () => {
    for (const who of ['a', 'b', 'c'] as const) {
      const res = await atm(who, ...START, '--name', `node-${who}`, '--json');
      expect(res.code, res.stderr).toBe(0);
      ids[who] = (JSON.parse(res.stdout) as { nodeId: string }).nodeId;
    }
  }, 60_000);

  afterAll(async () => {
    for (const who of ['a', 'b', 'c'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
  });

  const invite = async (
    ...extra: string[]
  ): Promise<{ token: string; link: string; expiresAt: string; uses: number; role: string }> => {
    const res = await atm('a', 'invite', '--json', ...extra);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as {
      token: string;
      link: string;
      expiresAt: string;
      uses: number;
      role: string;
    };
  };

  it('founds a mesh and issues an invite with token, link, expiry, uses and role', async () => {
    const created = await atm('a', 'mesh', 'create', 'family', '--json');
    expect(created.code, created.stderr).toBe(0);
    meshId = (JSON.parse(created.stdout) as { meshId: string }).meshId;
    expect(meshId).toMatch(/^mesh-/);
    const inv = await invite('--ttl', '1h');
    expect(inv.token.startsWith('atm1.')).toBe(true);
    expect(inv.link).toBe(`atmosphere://join/${inv.token}`);
    expect(inv).toMatchObject({ uses: 1, role: 'member' });
    expect(Date.parse(inv.expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
  });

  it('refuses an invite lifetime outside 1m–30d with the flag named', async () => {
    for (const ttl of ['30s', '31d']) {
      const res = await atm('a', 'invite', '--ttl', ttl);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`--ttl must be from 1m to 30d (e.g. 30m, 24h, 7d), got "${ttl}"`);
    }
  });

  it('prints a QR code of the join link with --qr', async () => {
    const res = await atm('a', 'invite', '--qr');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/[▀▄█]/);
  });

  it('lets two nodes join and all three see each other as connected members', async () => {
    const forB = await invite();
    const forC = await invite();
    const joinB = await atm('b', 'join', forB.link, '--yes', '--json');
    expect(joinB.code, joinB.stderr).toBe(0);
    expect(JSON.parse(joinB.stdout)).toMatchObject({ meshId, role: 'member' });
    const joinC = await atm('c', 'join', forC.token, '--yes');
    expect(joinC.code, joinC.stderr).toBe(0);

    for (const who of ['a', 'b', 'c'] as const) {
      const others = Object.entries(ids)
        .filter(([k]) => k !== who)
        .map(([, id]) => id);
      await waitFor(`${who} to see both others connected`, async () => {
        const o = await overview(who);
        const connected = o.peers.filter((p) => p.connected).map((p) => p.nodeId);
        return others.every((id) => connected.includes(id)) ? true : undefined;
      });
    }
    const measured = await waitFor('a to measure the round trip to b', async () => {
      const peer = (await overview('a')).peers.find((p) => p.nodeId === ids.b);
      return peer?.rttMs !== null && peer?.rttMs !== undefined ? peer : undefined;
    });
    expect(measured.rttMs).toBeGreaterThanOrEqual(0);
    expect(measured.transport).toBe('lan');
    const members = await atm('b', 'mesh', 'members', '--json');
    const list = (JSON.parse(members.stdout) as { members: { nodeId: string }[] }).members.map(
      (m) => m.nodeId,
    );
    expect(list.sort()).toEqual(Object.values(ids).sort());
    const status = JSON.parse((await atm('c', 'status', '--json')).stdout) as { meshes: { id: string }[] };
    expect(status.meshes.map((m) => m.id)).toEqual([meshId]);
  });

  it('refuses a reused single-use invite, a tampered one and a malformed one, each with its own error', async () => {
    const outsider = tempHome('atm-x-');
    const x = (...args: string[]) => runAtmosphere(['--home', outsider.dir, ...args], { env });
    try {
      expect((await x(...START, '--name', 'outsider')).code).toBe(0);
      const used = await invite();
      expect((await atm('b', 'join', used.token, '--yes')).stderr).toMatch(/already_member/);
      const fresh = await invite();
      // flip one character in the signed body
      const body = fresh.token.slice(5);
      const i = Math.floor(body.length / 2);
      const tampered = `atm1.${body.slice(0, i)}${body[i] === 'A' ? 'B' : 'A'}${body.slice(i + 1)}`;
      const t = await x('join', tampered, '--yes');
      expect(t.code).not.toBe(0);
      expect(t.stderr).toMatch(/invite_(tampered|malformed)/);
      const m = await x('join', 'atm1.not-base64!!', '--yes');
      expect(m.code).toBe(2);
      expect(m.stderr).toMatch(/invite_malformed/);

      const single = await invite();
      expect(
        (await runAtmosphere(['--home', homes.c.dir, 'join', single.token, '--yes'], { env })).stderr,
      ).toMatch(/already_member/);
      const okJoin = await x('join', single.token, '--yes');
      expect(okJoin.code, okJoin.stderr).toBe(0);
      const other = tempHome('atm-y-');
      try {
        expect((await runAtmosphere(['--home', other.dir, ...START], { env })).code).toBe(0);
        const reused = await runAtmosphere(['--home', other.dir, 'join', single.token, '--yes'], { env });
        expect(reused.code).not.toBe(0);
        expect(reused.stderr).toMatch(/invite_uses_exhausted/);
      } finally {
        await runAtmosphere(['--home', other.dir, 'stop'], { env });
        other.cleanup();
      }
    } finally {
      await x('stop');
      outsider.cleanup();
    }
  });

  it('revokes a member: it is disconnected within 5 s and cannot rejoin with a new invite', async () => {
    const res = await atm('a', 'revoke', ids.c!, '--reason', 'lost phone');
    expect(res.code, res.stderr).toBe(0);
    const t0 = Date.now();
    await waitFor(
      'b to drop c',
      async () => {
        const o = await overview('b');
        const c = o.peers.find((p) => p.nodeId === ids.c);
        return !c || !c.connected ? true : undefined;
      },
      5_000,
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    const members = JSON.parse((await atm('a', 'mesh', 'members', '--json')).stdout) as {
      members: { nodeId: string; revoked: boolean }[];
    };
    expect(members.members.find((m) => m.nodeId === ids.c)?.revoked).toBe(true);
    const again = await invite();
    const rejoin = await atm('c', 'join', again.token, '--yes');
    expect(rejoin.code).not.toBe(0);
    expect(rejoin.stderr).toMatch(/revoked|already_member/);
  });

  it('drops a killed node from the views within the peer timeout and shows it again after a restart', async () => {
    const statusB = JSON.parse((await atm('b', 'status', '--json')).stdout) as { pid: number };
    process.kill(statusB.pid, 'SIGKILL');
    await waitFor(
      'a to see b leave',
      async () => {
        const o = await overview('a');
        const b = o.peers.find((p) => p.nodeId === ids.b);
        return !b || !b.connected ? true : undefined;
      },
      12_000,
    );
    const restarted = await atm('b', ...START);
    expect(restarted.code, restarted.stderr).toBe(0);
    await waitFor(
      'a to see b again',
      async () => {
        const o = await overview('a');
        return o.peers.some((p) => p.nodeId === ids.b && p.connected) ? true : undefined;
      },
      15_000,
    );
  });
});
