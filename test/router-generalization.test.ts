/**
 * Signals that make the router generalize beyond the phrasings it was tuned on, over the shared
 * sample catalog with the built-in embedder: a question asking why or what the difference is goes
 * to a model that answers, not to a device sharing its words; a question about a given picture
 * goes to the classifier, not the generator; "put X on the calendar" is not a switch; a place the
 * intent names favours the device there; a command whose verb is a capability's own tool asks for
 * it; two words side by side count more than each. Intents written for this test (none is in the
 * dev set or the fresh sets); each was routed wrongly before these signals.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog, SemanticRouter, WordVectorEmbedder } from '../src/router/index.js';

const ROUTING_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'routing');

let router: SemanticRouter;

beforeAll(async () => {
  let catalog: string;
  try {
    catalog = readFileSync(resolve(ROUTING_DIR, 'catalog.json'), 'utf8');
  } catch (err) {
    throw new Error(
      `routing test data catalog.json not found in ${ROUTING_DIR} (shared/routing beside the repository): ${(err as Error).message}`,
    );
  }
  router = new SemanticRouter({ embedder: new WordVectorEmbedder() });
  await router.add(parseCatalog(JSON.parse(catalog)));
});

async function chosen(intent: string): Promise<{ id: string | null; tool: string | null }> {
  const d = (await router.route(intent)).decision;
  return { id: d?.capabilityId ?? null, tool: d?.tool ?? null };
}

describe('routing signals that generalize', () => {
  it('sends a question asking why, or for a difference, to the chat model rather than a light', async () => {
    expect((await chosen('why do lights flicker')).id).toBe('ollama/llama3.2');
    expect((await chosen("what's the difference between a lamp and a lantern")).id).toBe('ollama/llama3.2');
    const d = await router.route('why do lights flicker', { top: 10 });
    const light = d.candidates.find((c) => c.capabilityId === 'matter/kitchen-light');
    expect(light?.reasons).toContain('the intent asks for an explanation; it does not answer questions');
  });

  it('asks the classifier, not the image generator, which of two labels fits a given picture', async () => {
    expect(await chosen('is the cat in this picture a tabby or a calico')).toEqual({
      id: 'openclip/vit-b-32',
      tool: 'classify_with_labels',
    });
  });

  it('reads "put X on the calendar" as calendar work, not as switching something on', async () => {
    expect((await chosen('put a yoga class on the calendar for monday')).id).toBe('caldav/family-calendar');
  });

  it('turns the heating off through the tool whose description lists "off" as a mode', async () => {
    expect(await chosen('turn the furnace off')).toEqual({ id: 'ecobee/thermostat', tool: 'set_mode' });
  });

  it('prefers the sensor at the place the intent names over the chat model on a computer elsewhere', async () => {
    expect((await chosen('is someone in the upstairs hall right now')).id).toBe('zigbee/hallway-motion');
  });

  it('takes a command led by a capability’s own tool name as asking for that tool', async () => {
    expect(await chosen('search for the cheapest flights to denver next month')).toEqual({
      id: 'searxng/web',
      tool: 'search',
    });
  });

  it('counts two words it has side by side ("opening hours") more than each alone', async () => {
    expect((await chosen('what are the opening hours of the museum')).id).toBe('searxng/web');
  });

  it('knows captions and "what was said" as transcription', async () => {
    expect(await chosen('caption this clip')).toEqual({ id: 'whisper/large-v3', tool: 'subtitles' });
    expect(await chosen('write down everything that was said in this recording')).toEqual({
      id: 'whisper/large-v3',
      tool: 'transcribe',
    });
  });
});
