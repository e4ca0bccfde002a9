import { describe, expect, it } from 'vitest';
import type { MeshInfo, MeshPeerInfo, TriggerPriority } from '../core/index.js';
import { ManualClock, TriggerThrottledError, configSchema, silentLogger } from '../core/index.js';
import type { MeshEvent, MeshEventInput } from '../mesh/index.js';
import type { TriggerEvent } from '../core/index.js';
import type { TriggerMesh } from './trigger-service.js';
import { TriggerService, matchesFilter } from './trigger-service.js';

const MESH = 'mesh-aaaaaaaaaaaaaaaaaaaaaaaaaa';

type Listener = (event: CustomEvent<MeshEvent>) => void;

class FakeMesh implements TriggerMesh {
  private readonly listeners = new Set<Listener>();
  readonly published: { event: MeshEventInput; meshIds: readonly string[] }[] = [];
  meshes(): MeshInfo[] {
    return [{ meshId: MESH, name: 'home', role: 'member', founder: false, memberCount: 2, joinedAtMs: 0 }];
  }
  peers(): MeshPeerInfo[] {
    return [{ nodeId: 'peer-b', name: 'node-b' } as MeshPeerInfo];
  }
  publishEvent(
    event: MeshEventInput,
    options: { meshIds?: readonly string[] } = {},
  ): Promise<{ meshIds: string[] }> {
    this.published.push({ event, meshIds: options.meshIds ?? [] });
    return Promise.resolve({ meshIds: [...(options.meshIds ?? [])] });
  }
  addEventListener(_type: 'event', listener: Listener): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'event', listener: Listener): void {
    this.listeners.delete(listener);
  }
  receive(event: Partial<MeshEvent>): void {
    const e = new CustomEvent<MeshEvent>('event', {
      detail: {
        eventId: 'evt-remote-1',
        capability: 'sensor/door',
        trigger: 'opened',
        priority: 'normal',
        payload: null,
        firedAtMs: 0,
        originId: 'peer-b',
        meshId: MESH,
        receivedAtMs: 0,
        ...event,
      },
    });
    for (const listener of this.listeners) listener(e);
  }
}

function service(
  options: { config?: Record<string, unknown>; fetch?: typeof fetch; env?: Record<string, string> } = {},
) {
  const clock = new ManualClock(1_000_000);
  const mesh = new FakeMesh();
  const parse = (input: Record<string, unknown> = {}) =>
    configSchema.parse({ expose: { capabilities: { allow: ['sensor/*'] } }, ...input });
  let config = parse(options.config);
  const triggers = new TriggerService(
    { mesh, logger: silentLogger(), clock, ...(options.fetch ? { fetch: options.fetch } : {}) },
    { config: () => config, nodeId: 'self', nodeName: 'node-a', env: options.env ?? {}, retryBaseDelayMs: 1 },
  );
  /** What the owner writes to config.yaml while the node runs (live config). */
  const setConfig = (input: Record<string, unknown>): void => {
    config = parse(input);
  };
  return { clock, mesh, triggers, setConfig };
}

describe('matchesFilter', () => {
  const event = (priority: TriggerPriority) => ({ capability: 'sensor/door', trigger: 'opened', priority });

  it('matches globs on capability/trigger', () => {
    expect(matchesFilter(event('normal'), { match: ['sensor/door/*'] })).toBe(true);
    expect(matchesFilter(event('normal'), { match: ['sensor/window/*', 'sensor/*/opened'] })).toBe(true);
    expect(matchesFilter(event('normal'), { match: ['sensor/door/closed'] })).toBe(false);
    expect(matchesFilter(event('normal'), {})).toBe(true);
  });

  it('drops events below the least priority asked for', () => {
    expect(matchesFilter(event('normal'), { minPriority: 'high' })).toBe(false);
    expect(matchesFilter(event('critical'), { minPriority: 'high' })).toBe(true);
  });
});

describe('TriggerService', () => {
  it('publishes an exposed trigger to the mesh and keeps an unexposed one on the node', async () => {
    const { mesh, triggers } = service();
    await triggers.start();
    const exposed = await triggers.fire({
      capability: 'sensor/door',
      trigger: 'opened',
      payload: { door: 1 },
    });
    expect(exposed.meshIds).toEqual([MESH]);
    expect(mesh.published[0]?.event).toMatchObject({
      capability: 'sensor/door',
      trigger: 'opened',
      priority: 'normal',
    });
    const hidden = await triggers.fire({ capability: 'camera/porch', trigger: 'motion' });
    expect(hidden.meshIds).toEqual([]);
    expect(mesh.published).toHaveLength(1);
    expect(triggers.recent().map((e) => e.capability)).toEqual(['sensor/door', 'camera/porch']);
    await triggers.stop();
  });

  it('follows the live config: exposure decides each event, a new throttle and webhooks apply', async () => {
    const { mesh, triggers, setConfig } = service();
    await triggers.start();
    await expect(triggers.fire({ capability: 'sensor/door', trigger: 'opened' })).resolves.toMatchObject({
      meshIds: [MESH],
    });
    // the owner withdraws the sensors: the next event stays on the node
    setConfig({ expose: { capabilities: { deny: ['sensor/*'] } } });
    await expect(triggers.fire({ capability: 'sensor/door', trigger: 'opened' })).resolves.toMatchObject({
      meshIds: [],
    });
    expect(mesh.published).toHaveLength(1);
    // a tighter throttle applies at once; API webhooks survive a config change, configured ones follow it
    // (neither webhook matches the events fired here: nothing is delivered)
    const api = triggers.addSubscription({ url: 'http://127.0.0.1:9/api-hook', match: ['camera/*'] });
    setConfig({
      triggers: {
        throttle: { burst: 1, per_minute: 1 },
        webhooks: [{ url: 'http://127.0.0.1:9/hook', match: ['sensor/door/*'] }],
      },
    });
    await triggers.fire({ capability: 'sensor/motion', trigger: 'moved' });
    await expect(triggers.fire({ capability: 'sensor/motion', trigger: 'moved' })).rejects.toBeInstanceOf(
      TriggerThrottledError,
    );
    expect(triggers.subscriptions().map((w) => [w.id, w.url])).toEqual([
      ['config-0', 'http://127.0.0.1:9/hook'],
      [api.id, 'http://127.0.0.1:9/api-hook'],
    ]);
    setConfig({});
    expect(triggers.subscriptions().map((w) => w.id)).toEqual([api.id]);
    await triggers.stop();
  });

  it('throttles per trigger, refills with time and lets critical events through', async () => {
    const { clock, triggers } = service({ config: { triggers: { throttle: { burst: 2, per_minute: 6 } } } });
    await triggers.start();
    const fire = (trigger: string, priority?: TriggerPriority) =>
      triggers.fire({ capability: 'sensor/door', trigger, ...(priority ? { priority } : {}) });
    await fire('opened');
    await fire('opened');
    const refused = await fire('opened').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TriggerThrottledError);
    expect((refused as TriggerThrottledError).details.retryAfterMs).toBe(10_000);
    await expect(fire('closed')).resolves.toBeDefined();
    await expect(fire('opened', 'critical')).resolves.toBeDefined();
    clock.advance(10_000);
    await expect(fire('opened')).resolves.toBeDefined();
    await triggers.stop();
  });

  it('refuses a malformed trigger name or an oversized payload', async () => {
    const { triggers } = service();
    await expect(triggers.fire({ capability: 'sensor/door', trigger: 'no spaces' })).rejects.toThrow(
      /trigger name/,
    );
    await expect(
      triggers.fire({ capability: 'sensor/door', trigger: 'opened', payload: 'x'.repeat(17_000) }),
    ).rejects.toThrow(/at most 16384/);
  });

  it("hands members' events to subscribers that match, naming the origin", async () => {
    const { mesh, triggers } = service();
    await triggers.start();
    const got: TriggerEvent[] = [];
    const unsubscribe = triggers.subscribe({ match: ['sensor/door/*'] }, (e) => got.push(e));
    mesh.receive({});
    mesh.receive({ eventId: 'evt-remote-2', capability: 'sensor/window' });
    unsubscribe();
    mesh.receive({ eventId: 'evt-remote-3' });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      origin: { nodeId: 'peer-b', name: 'node-b' },
      local: false,
      meshIds: [MESH],
    });
    expect(triggers.recent({}, 2).map((e) => e.eventId)).toEqual(['evt-remote-2', 'evt-remote-3']);
    await triggers.stop();
  });

  it('streams later events until the signal aborts', async () => {
    const { mesh, triggers } = service();
    await triggers.start();
    const controller = new AbortController();
    const stream = triggers.stream({ minPriority: 'high' }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    mesh.receive({ eventId: 'evt-low', priority: 'low' });
    mesh.receive({ eventId: 'evt-high', priority: 'high' });
    expect((await first).value).toMatchObject({ eventId: 'evt-high' });
    const second = iterator.next();
    controller.abort();
    expect((await second).done).toBe(true);
    await triggers.stop();
  });

  it('posts matching events to webhooks, signed, retrying server errors but not redirects', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const answers = [503, 200, 302];
    const fakeFetch: typeof fetch = (url, init) => {
      calls.push({ url: url instanceof Request ? url.url : url.toString(), init: init ?? {} });
      return Promise.resolve(new Response(null, { status: answers.shift() ?? 200 }));
    };
    const { triggers } = service({
      fetch: fakeFetch,
      env: { SECRET: 'k' },
      config: {
        triggers: {
          webhooks: [
            { url: 'http://127.0.0.1:9/a', match: ['sensor/door/*'], secret_env: 'SECRET' },
            { url: 'http://127.0.0.1:9/b', min_priority: 'critical' },
          ],
        },
      },
    });
    await triggers.start();
    await triggers.fire({ capability: 'sensor/door', trigger: 'opened' });
    await triggers.idle();
    expect(calls.map((c) => c.url)).toEqual(['http://127.0.0.1:9/a', 'http://127.0.0.1:9/a']);
    expect(calls[0]?.init.redirect).toBe('manual');
    expect((calls[0]?.init.headers as Record<string, string>)['x-atmosphere-signature']).toMatch(/^sha256=/);
    await triggers.fire({ capability: 'sensor/door', trigger: 'opened', priority: 'critical' });
    await triggers.idle();
    const subs = triggers.subscriptions();
    // hook a: 503 then 200 (delivered), then the 302 answer is a failure that is not retried
    expect(subs.map((s) => [s.id, s.delivered, s.failed])).toEqual([
      ['config-0', 1, 1],
      ['config-1', 1, 0],
    ]);
    expect(subs[0]?.lastError).toMatch(/redirect/);
    await triggers.stop();
  });

  it('adds and removes webhook subscriptions through its API, refusing non-http urls', () => {
    const { triggers } = service();
    expect(() => triggers.addSubscription({ url: 'file:///etc/passwd' })).toThrow(/http or https/);
    const sub = triggers.addSubscription({ url: 'http://127.0.0.1:9/x', match: ['sensor/*'] });
    expect(triggers.subscriptions().map((s) => s.id)).toEqual([sub.id]);
    triggers.removeSubscription(sub.id);
    expect(triggers.subscriptions()).toEqual([]);
    expect(() => triggers.removeSubscription(sub.id)).toThrow(/no subscription/);
  });
});
