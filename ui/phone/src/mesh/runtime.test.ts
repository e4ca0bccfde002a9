/**
 * The phone's mesh runtime with the real mesh engine (browser platform, here in Node) against a
 * real node on 127.0.0.1: only what the owner approved on the phone is announced and served, every
 * request is recorded, triggers reach the mesh, and a saved state survives a reload.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/core/index.js';
import type { MeshEvent } from '../../../../src/mesh/browser.js';
import {
  MeshService,
  PersistentMeshState,
  browserMeshPlatform,
  generateWebCryptoEd25519Key,
} from '../../../../src/mesh/browser.js';
import { FAST, TestMesh, waitFor } from '../../../../test/mesh-helpers.js';
import type { PhoneCapability, TriggerEmitter } from '../contract.js';
import { PhoneRuntime } from './runtime.js';

class MapStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

function fakeLocation(): PhoneCapability & { emit: TriggerEmitter | null } {
  const cap = {
    emit: null as TriggerEmitter | null,
    label: 'Location',
    spec: {
      id: 'phone/location',
      type: 'sensor/location',
      description: 'where is my phone',
      tools: [{ name: 'get_location', description: 'current position' }],
      triggers: [{ name: 'geofence', description: 'fence crossed', priority: 'high' as const }],
      metadata: {},
    },
    run: async (tool: string) => {
      await Promise.resolve();
      return { tool, latitude: 1, longitude: 2 };
    },
    watch: (emit: TriggerEmitter) => {
      cap.emit = emit;
      return () => {
        cap.emit = null;
      };
    },
  };
  return cap;
}

const mesh = new TestMesh();
const runtimes: PhoneRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.map(async (r) => await r.stop()));
  runtimes.length = 0;
  await mesh.stopAll();
});

async function phone(storage: MapStorage): Promise<PhoneRuntime> {
  const state = new PersistentMeshState({ store: storage });
  const service = new MeshService(
    {
      ...browserMeshPlatform(),
      privateKey: await generateWebCryptoEd25519Key(),
      logger: silentLogger(),
      clock: { now: () => Date.now() },
      state,
    },
    { ...FAST, name: 'Android phone', tcpPort: null, wsPort: null, mdns: false, useRelays: true },
  );
  const runtime = new PhoneRuntime(
    { mesh: service, logger: silentLogger(), storage, now: () => Date.now() },
    { name: 'Android phone', version: 'test', loadError: state.loadError },
  );
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

describe('the phone runtime', () => {
  it('serves only approved capabilities, records every request, and publishes their triggers', async () => {
    const home = await mesh.node(101, { relay: true });
    const { meshId } = await home.createMesh('Home');
    const storage = new MapStorage();
    const p = await phone(storage);
    expect(p.status().state).toBe('not-joined');
    await expect(p.join('not a token')).rejects.toThrow(/invite/i);
    expect(p.status().detail).toMatch(/invite/i);
    const invite = await home.createInvite({ meshId });
    await p.join(`http://127.0.0.1:1/phone/#join=${encodeURIComponent(invite.token)}`);
    await waitFor(() => p.status().state === 'connected', 'the phone to connect', 10_000);
    const phoneId = p.status().nodeId ?? '';

    // nothing approved: refused where the work would run, and recorded
    const refused = (async () => {
      for await (const _ of home.invoke(phoneId, {
        capability: 'phone/location',
        input: { op: 'tool', tool: 'get_location', arguments: {} },
      }));
    })();
    await expect(refused).rejects.toMatchObject({ details: { remoteCode: 'not_exposed' } });
    expect(p.recentRequests()[0]).toMatchObject({ capability: 'phone/location', decision: 'refused' });

    const location = fakeLocation();
    await p.setExposed([location]);
    const out: unknown[] = [];
    for await (const frame of home.invoke(phoneId, {
      capability: 'phone/location',
      input: { op: 'tool', tool: 'get_location', arguments: {} },
    }))
      out.push(frame.data);
    expect(out).toEqual([{ tool: 'get_location', latitude: 1, longitude: 2 }]);
    expect(p.recentRequests()[0]).toMatchObject({
      tool: 'get_location',
      decision: 'allowed',
      requester: home.nodeId,
    });
    const unknownTool = (async () => {
      for await (const _ of home.invoke(phoneId, {
        capability: 'phone/location',
        input: { op: 'tool', tool: 'self_destruct', arguments: {} },
      }));
    })();
    await expect(unknownTool).rejects.toMatchObject({ details: { remoteCode: 'unknown_tool' } });

    // gossip flows both ways once the phone's announcement (with the approved capability) arrives
    await waitFor(
      () => home.announcements().some((a) => a.nodeId === phoneId && a.capabilityCount === 1),
      "the phone's announcement at home",
      10_000,
    );
    const events: MeshEvent[] = [];
    home.addEventListener('event', (e) => events.push(e.detail));
    location.emit?.('geofence', { fence: 'office', event: 'enter' });
    await waitFor(() => events.length === 1, 'the geofence event at home', 5_000);
    expect(events[0]).toMatchObject({ capability: 'phone/location', trigger: 'geofence', priority: 'high' });

    // withdrawn: the watcher stops and the capability is refused again
    await p.setExposed([]);
    expect(location.emit).toBeNull();

    // the saved state brings the membership back
    const again = new PersistentMeshState({ store: storage });
    expect(again.listMemberships().map((m) => m.meshId)).toEqual([meshId]);
  });
});
