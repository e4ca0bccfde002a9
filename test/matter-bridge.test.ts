/**
 * The Matter bridge against real Matter devices: matter.js devices (a dimmable kitchen light, a
 * front-door lock, a temperature sensor, a back-door contact sensor, a thermostat) started by this test in a
 * network namespace with multicast on `lo`, commissioned by a node's controller, controlled with
 * real Matter commands, watched through Matter subscriptions, and reached from a second node over
 * the mesh ("turn off the kitchen light"). Both nodes are built-CLI processes in the same
 * namespace (mesh on 127.0.0.1 with libp2p mDNS off). Needs root and iproute2: without them the
 * test fails and says so.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, START_ARGS } from './helpers/cli.js';
import type { ApiReply, FixtureDevice } from './helpers/matter-netns.js';
import { MatterDevices, MatterNetns, nsApi, nsApiOne, nsAtmosphere } from './helpers/matter-netns.js';

interface DeviceJson {
  id: string;
  label: string | null;
  room: string | null;
  vendor: string | null;
  product: string | null;
  state: string;
  capabilities: { id: string; type: string; endpoint: number; tools: string[]; triggers: string[] }[];
}

interface EventJson {
  capability: string;
  trigger: string;
  priority: string;
  payload: Record<string, unknown>;
}

const root = mkdtempSync(join(tmpdir(), 'atm-matter-'));
const homes = { a: join(root, 'node-a'), b: join(root, 'node-b') };
const env = cleanEnv({
  ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
  ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
});

let ns: MatterNetns;
let devices: MatterDevices;
let fixture: Record<FixtureDevice['name'], FixtureDevice>;
const ids: Record<string, string> = {};
/** Capability id by fixture device name, once paired. */
const caps: Record<string, string> = {};

const atm = (who: 'a' | 'b', ...args: string[]) =>
  nsAtmosphere(ns, ['--home', homes[who], ...args], { env, timeoutMs: 90_000 });

async function api(
  who: 'a' | 'b',
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<ApiReply> {
  return nsApiOne(ns, homes[who], body === undefined ? { method, path } : { method, path, body });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}\n--- devices ---\n${devices.log()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function events(who: 'a' | 'b'): Promise<EventJson[]> {
  const reply = await api(who, 'GET', '/api/events');
  return (reply.body as { events: EventJson[] }).events;
}

function changed(device: string, attribute: string, value: unknown): boolean {
  return devices.changes.some((c) => c.device === device && c.attribute === attribute && c.value === value);
}

async function startNode(who: 'a' | 'b'): Promise<void> {
  const res = await atm(who, ...START_ARGS, '--name', `matter-${who}`, '--json');
  expect(res.code, res.stderr).toBe(0);
  ids[who] = (JSON.parse(res.stdout) as { nodeId: string }).nodeId;
}

beforeAll(async () => {
  ensureBuilt();
  ns = MatterNetns.create('matter');
  devices = new MatterDevices(ns, join(root, 'devices'), 5640);
  const ready = await devices.ready;
  fixture = Object.fromEntries(ready.map((d) => [d.name, d])) as typeof fixture;
  for (const who of ['a', 'b'] as const) {
    const init = await atm(who, 'init', '--json');
    expect(init.code, init.stderr).toBe(0);
  }
  // node A runs the Matter bridge and exposes its devices to the mesh; node B only routes
  writeFileSync(
    join(homes.a, 'config.yaml'),
    'matter:\n  enabled: true\n  network_interface: lo\n  command_timeout_seconds: 3\n  commission_timeout_seconds: 30\n' +
      'expose:\n  capabilities:\n    allow: ["matter/*"]\n',
  );
  await startNode('a');
  await startNode('b');
}, 180_000);

afterAll(async () => {
  for (const who of ['a', 'b'] as const) {
    if (ns) await atm(who, 'stop', '--timeout', '5').catch(() => undefined);
  }
  await devices?.quit().catch(() => undefined);
  ns?.remove();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('the Matter bridge with real matter.js devices in a network namespace', () => {
  it('finds the commissionable devices on the network', async () => {
    const res = await atm('a', 'matter', 'discover', '--timeout', '4', '--json');
    expect(res.code, res.stderr).toBe(0);
    const found = JSON.parse(res.stdout) as { name: string | null; discriminator: number | null }[];
    expect(found.map((d) => d.name)).toContain('Kitchen light');
  }, 60_000);

  it('commissions a light, a lock, a thermostat, a temperature and a contact sensor by pairing code and QR payload', async () => {
    const pair = async (code: string, ...extra: string[]): Promise<DeviceJson> => {
      const res = await atm('a', 'matter', 'pair', code, ...extra, '--json');
      expect(res.code, `${res.stderr}\n${devices.log()}`).toBe(0);
      return JSON.parse(res.stdout) as DeviceJson;
    };
    const light = await pair(fixture.light.manualPairingCode, '--room', 'kitchen');
    const lock = await pair(fixture.lock.qrPairingCode, '--label', 'Front door');
    const thermo = await pair(fixture.thermo.manualPairingCode, '--room', 'living room');
    const contact = await pair(fixture.contact.manualPairingCode);
    const hvac = await pair(fixture.hvac.manualPairingCode, '--room', 'hall');
    const [l, k, t, c, h] = [light, lock, thermo, contact, hvac].map((d) => d.capabilities[0]);
    expect(h).toMatchObject({
      type: 'iot/hvac',
      tools: ['set_temp', 'get_temp', 'set_mode'],
      triggers: ['temp_reached', 'mode_changed'],
    });
    expect(l).toMatchObject({
      type: 'iot/light',
      tools: expect.arrayContaining(['on', 'off', 'toggle', 'set_brightness']),
    });
    expect(k).toMatchObject({ type: 'iot/lock', tools: ['lock', 'unlock', 'get_status'] });
    expect(k?.triggers).toEqual(expect.arrayContaining(['locked', 'unlocked', 'tamper']));
    expect(t).toMatchObject({ type: 'sensor/temperature', triggers: ['threshold_crossed'] });
    expect(c).toMatchObject({ type: 'sensor/contact', triggers: ['opened', 'closed'] });
    expect(light).toMatchObject({
      room: 'kitchen',
      vendor: 'Atmosphere Test Devices',
      product: 'Dimmable Bulb',
      label: 'Kitchen light',
    });
    expect(lock.label).toBe('Front door');
    caps.light = l?.id ?? '';
    caps.lock = k?.id ?? '';
    caps.thermo = t?.id ?? '';
    caps.contact = c?.id ?? '';
    caps.hvac = h?.id ?? '';
    const list = await atm('a', 'matter', 'list', '--json');
    expect((JSON.parse(list.stdout) as DeviceJson[]).map((d) => d.state)).toEqual([
      'online',
      'online',
      'online',
      'online',
      'online',
    ]);
  }, 180_000);

  it('rejects a pairing code that is not one, with a clear error', async () => {
    const res = await atm('a', 'matter', 'pair', '1234-567-8900');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/not a Matter pairing code/);
  }, 60_000);

  it('turns the light on and dims it with real Matter commands', async () => {
    const [on, dim] = await nsApi(ns, homes.a, [
      { method: 'POST', path: '/api/tools/invoke', body: { capability: caps.light, tool: 'on' } },
      {
        method: 'POST',
        path: '/api/tools/invoke',
        body: { capability: caps.light, tool: 'set_brightness', arguments: { percent: 50 } },
      },
    ]);
    expect(on?.status, JSON.stringify(on?.body)).toBe(200);
    expect(dim?.status, JSON.stringify(dim?.body)).toBe(200);
    await until('the light to be on at 50 %', () =>
      changed('light', 'onOff', true) && changed('light', 'currentLevel', 127) ? true : undefined,
    );
    const state = await devices.call<{ light: { onOff: boolean; currentLevel: number } }>('state');
    expect(state.light).toEqual({ onOff: true, currentLevel: 127 });
    const status = await api('a', 'POST', '/api/tools/invoke', {
      capability: caps.light,
      tool: 'get_status',
    });
    expect((status.body as { invocation: { result: unknown } }).invocation.result).toEqual({ on: true });
  }, 60_000);

  it('unlocks and locks the door, and its subscription fires unlocked, locked and a critical tamper', async () => {
    const unlock = await api('a', 'POST', '/api/tools/invoke', { capability: caps.lock, tool: 'unlock' });
    expect(unlock.status, JSON.stringify(unlock.body)).toBe(200);
    await until('the lock to unlock', () => (changed('lock', 'lockState', 2) ? true : undefined));
    const lock = await api('a', 'POST', '/api/tools/invoke', { capability: caps.lock, tool: 'lock' });
    expect(lock.status).toBe(200);
    await devices.call('tamper');
    const seen = await until('locked, unlocked and tamper events', async () => {
      const list = (await events('a')).filter((e) => e.capability === caps.lock);
      const names = list.map((e) => e.trigger);
      return names.includes('unlocked') && names.includes('locked') && names.includes('tamper')
        ? list
        : undefined;
    });
    expect(seen.find((e) => e.trigger === 'tamper')).toMatchObject({
      priority: 'critical',
      payload: { alarm: 'door_forced_open' },
    });
    expect(seen.find((e) => e.trigger === 'unlocked')?.priority).toBe('high');
    const status = await api('a', 'POST', '/api/tools/invoke', { capability: caps.lock, tool: 'get_status' });
    expect((status.body as { invocation: { result: unknown } }).invocation.result).toEqual({
      state: 'locked',
    });
  }, 60_000);

  it('fires opened and closed from the contact sensor and threshold_crossed from the temperature sensor', async () => {
    const fired = async (capability: string, trigger: string): Promise<EventJson[]> =>
      until(`${capability} ${trigger}`, async () => {
        const all = await events('a');
        return all.some((e) => e.capability === capability && e.trigger === trigger) ? all : undefined;
      });
    await devices.call('set', { device: 'contact', value: false });
    await fired(caps.contact ?? '', 'opened');
    await devices.call('set', { device: 'contact', value: true });
    await fired(caps.contact ?? '', 'closed');
    await devices.call('set', { device: 'thermo', value: 27.5 });
    const list = await fired(caps.thermo ?? '', 'threshold_crossed');
    expect(list.find((e) => e.trigger === 'threshold_crossed')?.payload).toMatchObject({
      celsius: 27.5,
      threshold: 26,
      direction: 'rising',
    });
    const reading = await api('a', 'POST', '/api/tools/invoke', {
      capability: caps.thermo,
      tool: 'get_reading',
    });
    expect((reading.body as { invocation: { result: unknown } }).invocation.result).toEqual({
      celsius: 27.5,
    });
  }, 60_000);

  it('sets the thermostat and fires mode_changed and temp_reached from its subscription', async () => {
    const tool = (name: string, args?: Record<string, unknown>) => ({
      method: 'POST' as const,
      path: '/api/tools/invoke',
      body: { capability: caps.hvac, tool: name, ...(args ? { arguments: args } : {}) },
    });
    const [before, setTemp, cool, heat] = await nsApi(ns, homes.a, [
      tool('get_temp'),
      tool('set_temp', { celsius: 22.5 }),
      tool('set_mode', { mode: 'cool' }),
      tool('set_mode', { mode: 'heat' }),
    ]);
    expect((before?.body as { invocation: { result: unknown } }).invocation.result).toEqual({
      celsius: 18,
      targetCelsius: 20,
      mode: 'heat',
    });
    for (const reply of [setTemp, cool, heat]) expect(reply?.status, JSON.stringify(reply?.body)).toBe(200);
    await until('the thermostat to take the setpoint and both modes', () =>
      changed('hvac', 'occupiedHeatingSetpoint', 2250) &&
      changed('hvac', 'systemMode', 3) &&
      changed('hvac', 'systemMode', 4)
        ? true
        : undefined,
    );
    await devices.call('set', { device: 'hvac', value: 23 });
    const list = await until('mode_changed and temp_reached', async () => {
      const all = (await events('a')).filter((e) => e.capability === caps.hvac);
      return all.some((e) => e.trigger === 'temp_reached') &&
        all.filter((e) => e.trigger === 'mode_changed').length >= 2
        ? all
        : undefined;
    });
    expect(list.find((e) => e.trigger === 'temp_reached')?.payload).toMatchObject({
      celsius: 23,
      targetCelsius: 22.5,
    });
    expect(list.filter((e) => e.trigger === 'mode_changed').map((e) => e.payload.mode)).toEqual([
      'cool',
      'heat',
    ]);
  }, 60_000);

  it('routes "turn off the kitchen light" from a second node over the mesh to the right device', async () => {
    const created = await atm('a', 'mesh', 'create', 'home', '--json');
    expect(created.code, created.stderr).toBe(0);
    const invite = JSON.parse((await atm('a', 'invite', '--json')).stdout) as { token: string };
    const joined = await atm('b', 'join', invite.token, '--yes');
    expect(joined.code, joined.stderr).toBe(0);
    await until(
      'node B to know the kitchen light',
      async () => {
        const reply = await api('b', 'POST', '/api/route', { intent: 'turn off the kitchen light' });
        const decision = (reply.body as { decision: { capabilityId: string; nodeId: string } | null })
          .decision;
        return decision?.capabilityId === caps.light ? true : undefined;
      },
      30_000,
    );
    const before = devices.changes.length;
    const act = await api('b', 'POST', '/api/act', { intent: 'turn off the kitchen light' });
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    const { invocation } = act.body as {
      invocation: { nodeId: string; capabilityId: string; tool: string; result: unknown };
    };
    expect(invocation).toMatchObject({
      nodeId: ids.a,
      capabilityId: caps.light,
      tool: 'off',
      result: { on: false },
    });
    await until('the light to go off', () =>
      devices.changes
        .slice(before)
        .some((c) => c.device === 'light' && c.attribute === 'onOff' && c.value === false)
        ? true
        : undefined,
    );
    const lockState = await devices.call<{ lock: { lockState: number } }>('state');
    expect(lockState.lock.lockState).toBe(1);
    // node A audited the request from B, with the tool it ran
    const audit = await api('a', 'GET', '/api/audit');
    const entries = (
      audit.body as {
        entries: { requester: string; target: string; tool: string | null; decision: string }[];
      }
    ).entries;
    expect(
      entries.some(
        (e) =>
          e.requester === ids.b && e.target === caps.light && e.tool === 'off' && e.decision === 'allowed',
      ),
    ).toBe(true);
    // the lock's triggers reach node B through the mesh
    await devices.call('tamper');
    await until('node B to receive the tamper event', async () =>
      (await events('b')).some(
        (e) => e.capability === caps.lock && e.trigger === 'tamper' && e.priority === 'critical',
      )
        ? true
        : undefined,
    );
  }, 120_000);

  it('runs a device tool with atmosphere call and lets the owner withdraw and give back the devices with atmosphere approve', async () => {
    const call = await atm('b', 'call', caps.light ?? '', '--tool', 'get_status', '--json');
    expect(call.code, call.stderr).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({
      nodeId: ids.a,
      capabilityId: caps.light,
      tool: 'get_status',
      result: { on: false },
    });
    const unknown = await atm('b', 'call', caps.light ?? '', '--tool', 'explode');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/has no tool "explode" \(it has .*\boff\b/);

    const show = await atm('a', 'approve', '--show', '--json');
    expect(show.code, show.stderr).toBe(0);
    const report = JSON.parse(show.stdout) as {
      matter: {
        available: boolean;
        devices: { capabilities: { id: string; exposed: boolean; rule: string }[] }[];
      };
    };
    expect(report.matter.available).toBe(true);
    expect(report.matter.devices.flatMap((d) => d.capabilities)).toContainEqual({
      id: caps.light,
      type: 'iot/light',
      exposed: true,
      rule: 'expose.capabilities.allow',
      explicit: true,
    });

    const reach = (expected: 'allowed' | 'refused') =>
      until(
        `node B to be ${expected} the light`,
        async () => {
          const reply = await api('b', 'POST', '/api/tools/invoke', {
            capability: caps.light,
            tool: 'get_status',
          });
          return (reply.status === 200) === (expected === 'allowed') ? reply : undefined;
        },
        30_000,
      );
    const denied = await atm('a', 'approve', '--deny', 'matter/*', '--yes', '--json');
    expect(denied.code, denied.stderr).toBe(0);
    expect(JSON.parse(denied.stdout)).toMatchObject({
      expose: { capabilities: { allow: [], deny: ['matter/*'] } },
      private: expect.arrayContaining([caps.light, caps.lock]),
    });
    await reach('refused');
    const exposed = await atm('a', 'approve', '--expose', 'matter/*', '--yes', '--json');
    expect(exposed.code, exposed.stderr).toBe(0);
    expect(JSON.parse(exposed.stdout)).toMatchObject({
      expose: { capabilities: { allow: ['matter/*'], deny: [] } },
      exposed: expect.arrayContaining([caps.light, caps.lock]),
    });
    await reach('allowed');
  }, 120_000);

  it('reports an offline device with a clear error and state, and reconnects when it is back', async () => {
    await devices.call('stop', { device: 'light' });
    const failed = await api('a', 'POST', '/api/tools/invoke', { capability: caps.light, tool: 'on' });
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ error: { code: 'device_offline' } });
    expect((failed.body as { error: { message: string } }).error.message).toMatch(
      /Kitchen light did not answer/,
    );
    const list = await atm('a', 'matter', 'list', '--json');
    const light = (JSON.parse(list.stdout) as DeviceJson[]).find((d) => d.capabilities[0]?.id === caps.light);
    expect(light?.state).toBe('offline');
    await devices.call('start', { device: 'light' });
    await until(
      'the light to answer again',
      async () => {
        const reply = await api('a', 'POST', '/api/tools/invoke', { capability: caps.light, tool: 'on' });
        return reply.status === 200 ? true : undefined;
      },
      60_000,
    );
    await until('the light to be on', async () =>
      (await devices.call<{ light: { onOff: boolean } }>('state')).light.onOff ? true : undefined,
    );
    // the renewed subscription still delivers events
    const stateNow = await atm('a', 'matter', 'list', '--json');
    expect(
      (JSON.parse(stateNow.stdout) as DeviceJson[]).find((d) => d.capabilities[0]?.id === caps.light)?.state,
    ).toBe('online');
  }, 120_000);

  it('keeps the fabric and the devices across a node restart', async () => {
    const stopped = await atm('a', 'stop', '--timeout', '10');
    expect(stopped.code, stopped.stderr).toBe(0);
    await startNode('a');
    const list = await atm('a', 'matter', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const after = JSON.parse(list.stdout) as DeviceJson[];
    expect(after.map((d) => d.capabilities[0]?.id).sort()).toEqual(Object.values(caps).sort());
    const before = devices.changes.length;
    await until(
      'the light to obey after the restart',
      async () => {
        const reply = await api('a', 'POST', '/api/tools/invoke', { capability: caps.light, tool: 'toggle' });
        return reply.status === 200 ? true : undefined;
      },
      60_000,
    );
    await until('the toggle to reach the light', () =>
      devices.changes.slice(before).some((c) => c.device === 'light' && c.attribute === 'onOff')
        ? true
        : undefined,
    );
    await devices.call('set', { device: 'contact', value: false });
    await until('the renewed subscription to fire opened', async () =>
      (await events('a')).some((e) => e.capability === caps.contact && e.trigger === 'opened')
        ? true
        : undefined,
    );
  }, 120_000);

  it('removes a device: it leaves the fabric and its capability is gone', async () => {
    const list = JSON.parse((await atm('a', 'matter', 'list', '--json')).stdout) as DeviceJson[];
    const contact = list.find((d) => d.capabilities[0]?.id === caps.contact);
    expect(contact).toBeDefined();
    const removed = await atm('a', 'matter', 'remove', contact?.id ?? '', '--json');
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ decommissioned: true });
    const rest = JSON.parse((await atm('a', 'matter', 'list', '--json')).stdout) as DeviceJson[];
    expect(rest).toHaveLength(4);
    const gone = await api('a', 'POST', '/api/tools/invoke', {
      capability: caps.contact,
      tool: 'get_status',
    });
    expect(gone.status).toBe(503);
    expect(gone.body).toMatchObject({ error: { code: 'no_capability' } });
  }, 60_000);
});
