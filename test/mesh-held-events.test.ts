import { afterEach, describe, expect, it } from 'vitest';
import type { MeshEvent, MeshService } from '../src/mesh/index.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
afterEach(async () => {
  await mesh.stopAll();
});

function listen(node: MeshService): MeshEvent[] {
  const received: MeshEvent[] = [];
  node.addEventListener('event', (event) => {
    received.push(event.detail);
  });
  return received;
}

const event = (eventId: string) => ({
  eventId,
  capability: 'sensor/door',
  trigger: 'opened',
  priority: 'high' as const,
  payload: { door: 'front' },
  firedAtMs: Date.now(),
});

describe('trigger events that nobody could receive yet', () => {
  it('reach a member who joins within the window, once', async () => {
    const a = await mesh.node(61);
    const b = await mesh.node(62);
    const { meshId } = await a.createMesh('Home');
    // a is alone: the event goes to nobody and is held
    await expect(a.publishEvent(event('evt-alone-1'))).resolves.toEqual({ meshIds: [meshId] });
    expect(a.stats().eventsHeld).toBe(1);
    const received = listen(b);
    await b.join((await a.createInvite({ meshId })).token);
    await waitFor(() => received.length > 0, 'b to receive the event a fired before b joined');
    expect(received[0]).toMatchObject({ eventId: 'evt-alone-1', originId: a.nodeId, meshId });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // no second delivery
    expect(received.map((e) => e.eventId)).toEqual(['evt-alone-1']);
    expect(a.stats().eventsUndelivered).toBe(0);
  });

  it('deliver an event fired the instant after joining', async () => {
    const a = await mesh.node(63);
    const b = await mesh.node(64);
    const { meshId } = await a.createMesh('Home');
    const received = listen(a);
    await b.join((await a.createInvite({ meshId })).token);
    await b.publishEvent(event('evt-first-1'));
    await waitFor(() => received.length > 0, 'a to receive the event b fired right after joining');
    expect(received[0]).toMatchObject({ eventId: 'evt-first-1', originId: b.nodeId });
    await waitFor(() => connectedIds(a).length === 1, 'a and b connected');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toHaveLength(1);
  });
});
