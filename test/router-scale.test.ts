/**
 * Routing over a large index: stage 1 scans 1,000 capabilities in a 32-dimensional projection of
 * their vectors. The projection only shortlists, so decisions must match those of a full scan.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Capability } from '../src/core/index.js';
import { parseCatalog, SemanticRouter, WordVectorEmbedder } from '../src/router/index.js';

const ROUTING_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'routing');
const ROOMS = ['kitchen', 'office', 'garage', 'hallway', 'bedroom', 'attic', 'basement', 'porch'];

function readCatalog(): Capability[] {
  try {
    return parseCatalog(JSON.parse(readFileSync(resolve(ROUTING_DIR, 'catalog.json'), 'utf8')));
  } catch (err) {
    throw new Error(
      `routing test data catalog.json not found in ${ROUTING_DIR} (shared/routing beside the repository): ${(err as Error).message}`,
    );
  }
}

/** `count` capabilities: copies of the sample catalog in other rooms, every id distinct. */
function grow(base: readonly Capability[], count: number): Capability[] {
  return Array.from({ length: count }, (_, i) => {
    const cap = base[i % base.length] as Capability;
    const round = Math.floor(i / base.length);
    if (round === 0) return cap;
    const room = ROOMS[round % ROOMS.length] as string;
    return {
      ...cap,
      id: `${cap.id}-${round}`,
      description: `${cap.description} (${room})`,
      metadata: { ...cap.metadata, room },
    };
  });
}

/** Intents written for this test (not from the dev set). */
const INTENTS = [
  'turn off the lights',
  'is the front door locked',
  'write a limerick about a cat',
  'how much disk space is left on atlas',
  'what lure works for pike',
  'translate thank you into italian',
  'let me know when a parcel arrives',
  'how warm is it in the garage',
  'search the web for cheap flights',
  'record ten minutes of audio',
  'what does this python error mean: KeyError',
  'set the thermostat to 70',
  // Indirect: few words shared with any capability, so the vectors have to find them.
  'brr it is chilly',
  'my screen is so dim I can barely read',
  'any visitors while we were out',
  'how busy is the graphics card',
  'what did the contract say about ending the lease early',
  'can you make a picture of a fox in the snow',
  'is somebody upstairs',
  'how many steps so far',
  'where am I right now',
  'am I overspending on restaurants',
  'what is a decorator',
  'say dinner is ready',
];

describe('routing over 1,000 capabilities', () => {
  it('makes the same decisions with the projected first stage as with a full scan', async () => {
    const embedder = new WordVectorEmbedder();
    const caps = grow(readCatalog(), 1000);
    const projected = new SemanticRouter({ embedder }, { projectionDims: 32 });
    const full = new SemanticRouter({ embedder }, { projectionDims: 0 });
    await projected.add(caps);
    await full.add(caps);
    const base = (id: string | undefined): string | null => id?.replace(/-\d+$/, '') ?? null;
    for (const intent of INTENTS) {
      const a = await projected.route(intent);
      const b = await full.route(intent);
      expect(base(a.decision?.capabilityId), intent).toBe(base(b.decision?.capabilityId));
      expect(a.decision?.tool, intent).toBe(b.decision?.tool);
    }
  });
});
