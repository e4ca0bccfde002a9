/**
 * Trigger events across real node processes: a mesh of A, B and C; B fires triggers with the CLI
 * and the API; C follows `atmosphere events -f --json` (a child process read line by line) and has
 * a webhook (a tiny HTTP server in this test, on loopback). Each event reaches C once, B's throttle
 * holds, and critical events pass it.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, ensureBuilt, runAtmosphere, tempHome, START_ARGS, waitFor } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

const START = START_ARGS;

interface EventLine {
  eventId: string;
  capability: string;
  trigger: string;
  priority: string;
  payload: unknown;
  origin: { nodeId: string; name: string };
  local: boolean;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('trigger events across the mesh', () => {
  const homes = { a: tempHome('atm-ta-'), b: tempHome('atm-tb-'), c: tempHome('atm-tc-') };
  const hooks: { path: string; body: EventLine; signature: string | undefined }[] = [];
  let hookServer: Server;
  let hookUrl = '';
  const base = {
    ATMOSPHERE_MESH__PEER_TIMEOUT_SECONDS: '5',
    ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
    ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
  };
  const envs = {
    a: () => cleanEnv(base),
    b: () =>
      cleanEnv({
        ...base,
        // sensors are private until the owner exposes them
        ATMOSPHERE_EXPOSE__CAPABILITIES__ALLOW: '["sensor/*"]',
        ATMOSPHERE_TRIGGERS__THROTTLE__BURST: '3',
        ATMOSPHERE_TRIGGERS__THROTTLE__PER_MINUTE: '0.1',
      }),
    c: () =>
      cleanEnv({
        ...base,
        ATMOSPHERE_TRIGGERS__WEBHOOKS: `[{url: "${hookUrl}/hook", match: ["sensor/door/*"], secret_env: HOOK_SECRET}]`,
        HOOK_SECRET: 'shh',
      }),
  };
  const atm = (who: keyof typeof homes, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env: envs[who]() });
  const nodes: Record<string, { nodeId: string; apiUrl: string }> = {};
  const token = (who: keyof typeof homes): string =>
    readFileSync(join(homes[who].dir, 'run', 'owner.token'), 'utf8').trim();
  const api = (who: keyof typeof homes, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${nodes[who]!.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token(who)}`, 'content-type': 'application/json', ...init.headers },
    });

  let follower: ChildProcessWithoutNullStreams | undefined;
  const seenOnC: EventLine[] = [];
  const ofTrigger = (list: readonly EventLine[], capability: string, trigger: string): EventLine[] =>
    list.filter((e) => e.capability === capability && e.trigger === trigger);

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        const signature = req.headers['x-atmosphere-signature'];
        hooks.push({
          path: req.url ?? '',
          body: JSON.parse(text) as EventLine,
          signature: typeof signature === 'string' ? signature : undefined,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;

    for (const who of ['a', 'b', 'c'] as const) {
      const res = await atm(who, ...START, '--name', `node-${who}`, '--json');
      expect(res.code, res.stderr).toBe(0);
      nodes[who] = JSON.parse(res.stdout) as { nodeId: string; apiUrl: string };
    }
    expect((await atm('a', 'mesh', 'create', 'home')).code).toBe(0);
    for (const who of ['b', 'c'] as const) {
      const inv = JSON.parse((await atm('a', 'invite', '--json')).stdout) as { token: string };
      const joined = await atm(who, 'join', inv.token, '--yes');
      expect(joined.code, joined.stderr).toBe(0);
    }
    // B and C see each other over a verified connection, and C has heard B's gossip since
    await waitFor(
      'B and C to connect',
      async () => {
        const peers = async (who: 'b' | 'c') =>
          (
            (await (await api(who, '/api/mesh')).json()) as {
              peers: { nodeId: string; connected: boolean; lastSeenMs: number | null }[];
            }
          ).peers;
        const cSeesB = (await peers('c')).find((p) => p.nodeId === nodes.b!.nodeId);
        const bSeesC = (await peers('b')).find((p) => p.nodeId === nodes.c!.nodeId);
        return cSeesB?.connected === true && bSeesC?.connected === true ? true : undefined;
      },
      30_000,
    );
    await pause(1_500);

    // C follows its events with the CLI; a local event on C shows the stream is live
    follower = spawn(process.execPath, [CLI, '--home', homes.c.dir, 'events', '-f', '--json'], {
      env: envs.c(),
    });
    createInterface({ input: follower.stdout }).on('line', (line) => {
      if (line.trim() !== '') seenOnC.push(JSON.parse(line) as EventLine);
    });
    await waitFor('the event stream on C to be live', async () => {
      // critical: never throttled, however often this probe has to fire
      const ready = await atm('c', 'trigger', 'test/ready', 'ping', '--priority', 'critical');
      expect(ready.code, ready.stderr).toBe(0);
      return ofTrigger(seenOnC, 'test/ready', 'ping').length > 0 ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    follower?.kill('SIGTERM');
    for (const who of ['a', 'b', 'c'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
    await new Promise<void>((resolve) => hookServer.close(() => resolve()));
  });

  it("delivers B's trigger to C's event stream and C's webhook once, from B", async () => {
    const fired = await atm(
      'b',
      'trigger',
      'sensor/door',
      'opened',
      '--payload',
      '{"door":"front"}',
      '--json',
    );
    expect(fired.code, fired.stderr).toBe(0);
    const { eventId, meshIds } = JSON.parse(fired.stdout) as { eventId: string; meshIds: string[] };
    expect(meshIds).toHaveLength(1);

    const received = await waitFor('C to receive the event', () =>
      seenOnC.find((e) => e.eventId === eventId),
    );
    expect(received).toMatchObject({
      capability: 'sensor/door',
      trigger: 'opened',
      priority: 'normal',
      payload: { door: 'front' },
      origin: { nodeId: nodes.b!.nodeId, name: 'node-b' },
      local: false,
    });
    const hooked = await waitFor('the webhook on C', () => hooks.find((h) => h.body.eventId === eventId));
    expect(hooked.path).toBe('/hook');
    expect(hooked.signature).toMatch(/^sha256=[0-9a-f]{64}$/);

    await pause(2_000); // time for a duplicate to show up, if there were one
    expect(seenOnC.filter((e) => e.eventId === eventId)).toHaveLength(1);
    expect(hooks.filter((h) => h.body.eventId === eventId)).toHaveLength(1);
    const recent = (await (await api('c', '/api/events?match=sensor/door/*')).json()) as {
      events: EventLine[];
    };
    expect(recent.events.filter((e) => e.eventId === eventId)).toHaveLength(1);
    // the webhook matches sensor/door/* only: C's own test/ready event never went there
    expect(hooks.some((h) => h.body.capability === 'test/ready')).toBe(false);
  });

  it('throttles a trigger fired too fast on B, and C receives only the events B let through', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await api('b', '/api/triggers/sensor/door/closed', {
        method: 'POST',
        body: JSON.stringify({ payload: { n: i } }),
      });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('throttled');
      } else {
        await res.body?.cancel();
      }
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    const cli = await atm('b', 'trigger', 'sensor/door', 'closed');
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/throttled/);

    await waitFor('C to receive the allowed events', () =>
      ofTrigger(seenOnC, 'sensor/door', 'closed').length >= 3 ? true : undefined,
    );
    await pause(2_000);
    const closed = ofTrigger(seenOnC, 'sensor/door', 'closed');
    expect(closed.map((e) => e.payload)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(hooks.filter((h) => h.body.trigger === 'closed')).toHaveLength(3);
  });

  it('lets critical events through the throttle', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await api('b', '/api/triggers/sensor/smoke/alarm', {
        method: 'POST',
        body: JSON.stringify({ priority: 'critical', payload: { n: i } }),
      });
      expect(res.status).toBe(202);
      await res.body?.cancel();
    }
    await waitFor('C to receive every alarm', () =>
      ofTrigger(seenOnC, 'sensor/smoke', 'alarm').length >= 5 ? true : undefined,
    );
    const listed = await atm(
      'c',
      'events',
      '--json',
      '--min-priority',
      'critical',
      '--match',
      'sensor/*',
      '-n',
      '50',
    );
    expect(listed.code, listed.stderr).toBe(0);
    const alarms = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EventLine);
    expect(alarms).toHaveLength(5);
    expect(alarms.every((e) => e.priority === 'critical' && e.origin.nodeId === nodes.b!.nodeId)).toBe(true);
  });

  it('keeps a trigger of a capability the owner does not expose on its own node', async () => {
    const fired = await atm('b', 'trigger', 'camera/porch', 'motion', '--json');
    expect(fired.code, fired.stderr).toBe(0);
    const { eventId, meshIds } = JSON.parse(fired.stdout) as { eventId: string; meshIds: string[] };
    expect(meshIds).toEqual([]);
    const onB = (await (await api('b', '/api/events')).json()) as { events: EventLine[] };
    expect(onB.events.some((e) => e.eventId === eventId && e.local)).toBe(true);
    await pause(1_500);
    expect(seenOnC.some((e) => e.eventId === eventId)).toBe(false);
  });
});
