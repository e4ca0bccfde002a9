import { describe, expect, it } from 'vitest';
import type { Capability, Embedder } from '../core/index.js';
import { parseCapability } from '../core/index.js';
import { predicateConstraint } from './constraints.js';
import { SemanticRouter } from './router.js';
import { tokenize } from './text.js';

/** A whole-text embedder without word vectors (like Ollama's): hashed bag of words. */
class HashEmbedder implements Embedder {
  readonly id = 'test/hash-64';
  readonly dimensions = 64;
  calls = 0;
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls++;
    return Promise.resolve(
      texts.map((t) => {
        const v = new Float32Array(this.dimensions);
        for (const w of tokenize(t)) {
          let h = 0;
          for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
          v[h % this.dimensions] = (v[h % this.dimensions] as number) + 1;
        }
        return v;
      }),
    );
  }
}

function cap(input: Record<string, unknown>, nodeId = 'node-1'): Capability {
  return parseCapability(input, { nodeId });
}

const kitchen = cap({
  id: 'matter/kitchen-light',
  type: 'iot/light',
  description: 'Kitchen ceiling lights.',
  tools: [
    { name: 'turn_on', description: 'Switch the lights on.' },
    { name: 'turn_off', description: 'Switch the lights off.' },
  ],
  metadata: { room: 'kitchen' },
});
const office = cap({
  id: 'hue/office-lamp',
  type: 'iot/light',
  description: 'Desk lamp in the home office.',
  tools: [
    { name: 'turn_on', description: 'Switch the lamp on.' },
    { name: 'turn_off', description: 'Switch the lamp off.' },
  ],
  metadata: { room: 'office' },
});
const door = cap({
  id: 'zigbee/front-door',
  type: 'sensor/contact',
  description: 'Contact sensor on the front door.',
  tools: [{ name: 'get_state', description: 'Open or closed.' }],
  triggers: [
    { name: 'opened', description: 'The door was opened.' },
    { name: 'closed', description: 'The door was closed.' },
  ],
});
const chat = cap(
  {
    id: 'ollama/llama3.2',
    type: 'llm/chat',
    description: 'General-purpose chat model.',
    tools: [{ name: 'chat' }],
    metadata: { model: 'llama3.2:3b' },
  },
  'node-2',
);

async function router(
  caps: Capability[],
  init: ConstructorParameters<typeof SemanticRouter>[1] = {},
): Promise<SemanticRouter> {
  const r = new SemanticRouter({ embedder: new HashEmbedder() }, init);
  await r.add(caps);
  return r;
}

describe('SemanticRouter with a whole-text embedder (no word vectors)', () => {
  it('routes by shared words and picks the tool whose words match', async () => {
    const r = await router([kitchen, office, door, chat]);
    const d = await r.route('switch the kitchen lights off');
    expect(d.decision).toMatchObject({
      capabilityId: 'matter/kitchen-light',
      tool: 'turn_off',
      nodeId: 'node-1',
    });
    expect(d.embedderId).toBe('test/hash-64');
    expect(d.candidates[0]?.reasons.length).toBeGreaterThan(0);
  });

  it('tells two lights apart by the room the intent names', async () => {
    const r = await router([kitchen, office]);
    expect((await r.route('turn on the office lamp')).decision?.capabilityId).toBe('hue/office-lamp');
    expect((await r.route('turn on the kitchen lights')).decision?.capabilityId).toBe('matter/kitchen-light');
  });

  it('answers "no capability" when nothing clears the threshold', async () => {
    const r = await router([kitchen, office, door]);
    const d = await r.route('order a pepperoni pizza');
    expect(d.decision).toBeNull();
    expect(d.candidates.every((c) => !c.eligible)).toBe(true);
  });

  it('routes "tell me when" to a trigger', async () => {
    const r = await router([kitchen, door]);
    const d = await r.route('tell me when the front door is opened');
    expect(d.form).toBe('subscribe');
    expect(d.decision).toMatchObject({
      capabilityId: 'zigbee/front-door',
      tool: 'opened',
      toolKind: 'trigger',
    });
  });

  it('never chooses a capability that fails a hard constraint, and says why', async () => {
    const revoked = predicateConstraint('revocation', (c) => c.nodeId !== 'node-1', 'node node-1 is revoked');
    const r = await router([kitchen, office], { constraints: [revoked] });
    const d = await r.route('turn off the kitchen lights', { top: 2 });
    expect(d.decision).toBeNull();
    expect(d.candidates[0]?.constraints).toContainEqual({
      name: 'revocation',
      ok: false,
      reason: 'node node-1 is revoked',
    });
  });

  it('honours a requested model and requested types', async () => {
    const r = await router([kitchen, chat]);
    const d = await r.route({ intent: 'turn off the kitchen lights', model: 'llama3.2' }, { top: 2 });
    expect(d.decision?.capabilityId).not.toBe('matter/kitchen-light');
    const typed = await r.route({ intent: 'turn off the kitchen lights', types: ['llm/*'] }, { top: 2 });
    expect(typed.candidates.find((c) => c.capabilityId === 'matter/kitchen-light')?.eligible).toBe(false);
  });

  it('replaces a capability announced again and forgets a node that left', async () => {
    const r = await router([kitchen, office, chat]);
    expect(r.size).toBe(3);
    await r.add([{ ...kitchen, description: 'Pantry lights.', metadata: { room: 'pantry' } }]);
    expect(r.size).toBe(3);
    expect((await r.route('turn on the pantry lights')).decision?.capabilityId).toBe('matter/kitchen-light');
    expect(r.removeNode('node-1')).toBe(2);
    expect(r.capabilities().map((c) => c.id)).toEqual(['ollama/llama3.2']);
    expect(r.remove('node-2', 'ollama/llama3.2')).toBe(true);
    expect((await r.route('turn on the lights')).candidates).toEqual([]);
  });

  it('does not send a request about a room to a device in another room, even with nothing there', async () => {
    const r = await router([kitchen, office]);
    const d = await r.route('turn on the bathroom lights', { top: 2 });
    expect(d.decision).toBeNull();
    expect(d.candidates[0]?.reasons).toContain('intent names bathroom; it is elsewhere');
  });

  it('decides a repeated intent as the first time, and anew once the index changes', async () => {
    const embedder = new HashEmbedder();
    const r = new SemanticRouter({ embedder });
    await r.add([kitchen, chat]);
    const first = await r.route('turn on the pantry lights');
    const calls = embedder.calls;
    expect(await r.route('turn on the pantry lights')).toEqual(first);
    // The analysis was kept: the intent was not embedded again.
    expect(embedder.calls).toBe(calls);
    await r.add([{ ...office, id: 'matter/pantry-light', metadata: { room: 'pantry' } }]);
    const after = await r.route('turn on the pantry lights');
    expect(after.decision?.capabilityId).toBe('matter/pantry-light');
    expect(embedder.calls).toBeGreaterThan(calls + 1);
  });

  it('keeps the same id on two nodes as two candidates', async () => {
    const r = await router([kitchen, { ...kitchen, nodeId: 'node-9' }]);
    const d = await r.route('turn off the kitchen lights', { top: 5 });
    expect(d.candidates.map((c) => c.nodeId).sort()).toEqual(['node-1', 'node-9']);
  });

  it('uses per-type thresholds over the default', async () => {
    const r = await router([kitchen], { typeThresholds: { 'iot/*': 0.99 } });
    const d = await r.route('turn off the kitchen lights');
    expect(d.candidates[0]?.threshold).toBe(0.99);
    expect(d.decision).toBeNull();
  });

  it('reports zero cost as unknown until the cost model is wired in', async () => {
    const r = await router([kitchen]);
    const [c] = (await r.route('turn off the kitchen lights')).candidates;
    expect(c).toMatchObject({ cost: 0, costKnown: false });
    expect(c?.reasons).toContain('cost unknown, counted as 0');
  });

  it('stops when its signal is aborted', async () => {
    const r = await router([kitchen]);
    const ac = new AbortController();
    ac.abort();
    await expect(r.add([office], { signal: ac.signal })).rejects.toThrow();
  });
});

describe('SemanticRouter with untrusted words and types', () => {
  it('routes intents and indexes types that are names of Object properties', async () => {
    const odd = cap({ id: 'x/proto', type: 'constructor', description: 'A toString helper.' });
    const r = await router([kitchen, odd], { typeThresholds: { 'iot/*': 0.4 } });
    for (const intent of ['what does a constructor do', 'call toString on it', 'hasOwnProperty __proto__']) {
      const d = await r.route(intent);
      expect(d.intent).toBe(intent);
      for (const c of d.candidates) expect(typeof c.threshold).toBe('number');
    }
  });

  it('counts what a description says it cannot do as evidence against it', async () => {
    const offline = cap({
      id: 'ollama/offline',
      type: 'llm/chat',
      description: 'Chat model for writing. Offline: no web access and no news.',
      tools: [{ name: 'chat' }],
    });
    const r = await router([offline]);
    const d = await r.route('what is in the news today');
    expect(d.candidates[0]?.reasons).toContain('its description says it does not do "news"');
    const other = await r.route('write a poem about the sea');
    expect(other.candidates[0]?.reasons.some((x) => x.includes('does not do'))).toBe(false);
  });
});
