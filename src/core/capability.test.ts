import { describe, expect, it } from 'vitest';
import {
  capabilityKey,
  cosineSimilarity,
  defaultWorkType,
  EmbedderMismatchError,
  embeddingSimilarity,
  InvalidCapabilityError,
  KNOWN_CAPABILITY_TYPES,
  parseCapability,
} from './index.js';

const lamp = {
  id: 'hue/office-lamp',
  type: 'iot/light',
  description: 'Desk lamp in the home office.',
  tools: [{ name: 'turn_on', description: 'Switch the lamp on.' }],
  metadata: { room: 'home office' },
};

describe('parseCapability', () => {
  it('fills defaults: node id from the caller, empty triggers, work type from the type', () => {
    const cap = parseCapability(lamp, { nodeId: 'node-a' });
    expect(cap.nodeId).toBe('node-a');
    expect(cap.triggers).toEqual([]);
    expect(cap.workType).toBe('actuation');
    expect(cap.tools[0]?.name).toBe('turn_on');
  });

  it('keeps the node id a capability names itself over the caller default', () => {
    expect(parseCapability({ ...lamp, nodeId: 'node-b' }, { nodeId: 'node-a' }).nodeId).toBe('node-b');
  });

  it('gives triggers a normal priority unless they say otherwise', () => {
    const cap = parseCapability(
      {
        ...lamp,
        triggers: [{ name: 'tamper', description: 'forced', priority: 'critical' }, { name: 'moved' }],
      },
      { nodeId: 'n' },
    );
    expect(cap.triggers.map((t) => t.priority)).toEqual(['critical', 'normal']);
  });

  it('rejects a malformed type, naming the field', () => {
    expect(() => parseCapability({ ...lamp, type: 'Light!' }, { nodeId: 'n' })).toThrow(/type/);
  });

  it('rejects unknown keys so a misspelt field is not silently dropped', () => {
    expect(() => parseCapability({ ...lamp, tool: [] }, { nodeId: 'n' })).toThrow(InvalidCapabilityError);
  });

  it('rejects two tools with the same name', () => {
    const dup = { ...lamp, tools: [{ name: 'on' }, { name: 'on' }] };
    expect(() => parseCapability(dup, { nodeId: 'n' })).toThrow(/duplicate tool or trigger name "on"/);
  });

  it('rejects a capability with no node id', () => {
    expect(() => parseCapability(lamp)).toThrow(/no node id/);
  });

  it('accepts JSON-schema parameters and results on tools', () => {
    const cap = parseCapability(
      {
        ...lamp,
        tools: [
          {
            name: 'set_brightness',
            parameters: { type: 'object', properties: { level: { type: 'number' } } },
            result: { type: 'null' },
          },
        ],
      },
      { nodeId: 'n' },
    );
    expect(cap.tools[0]?.parameters).toMatchObject({ type: 'object' });
  });
});

describe('capability types', () => {
  it('derives a work type for every known type', () => {
    const kinds = new Set(Object.keys(KNOWN_CAPABILITY_TYPES).map(defaultWorkType));
    expect(defaultWorkType('llm/chat')).toBe('inference');
    expect(defaultWorkType('llm/embed')).toBe('embedding');
    expect(defaultWorkType('sensor/camera')).toBe('sensing');
    expect(defaultWorkType('rag')).toBe('retrieval');
    expect(defaultWorkType('something/new')).toBe('system');
    expect(kinds.size).toBeGreaterThan(5);
  });

  it('keys a capability by node and id, so the same id on two nodes is two capabilities', () => {
    expect(capabilityKey({ nodeId: 'a', id: 'x' })).not.toBe(capabilityKey({ nodeId: 'b', id: 'x' }));
  });
});

describe('embedding similarity', () => {
  it('computes cosine similarity and 0 for a zero vector', () => {
    expect(cosineSimilarity(Float32Array.from([1, 0]), Float32Array.from([1, 0]))).toBeCloseTo(1);
    expect(cosineSimilarity(Float32Array.from([1, 0]), Float32Array.from([0, 2]))).toBeCloseTo(0);
    expect(cosineSimilarity(Float32Array.from([0, 0]), Float32Array.from([1, 1]))).toBe(0);
  });

  it('refuses to compare vectors from different embedders', () => {
    const a = { embedderId: 'builtin/glove', vector: Float32Array.from([1, 0]) };
    const b = { embedderId: 'ollama/nomic-embed-text', vector: Float32Array.from([1, 0]) };
    expect(() => embeddingSimilarity(a, b)).toThrow(EmbedderMismatchError);
    expect(embeddingSimilarity(a, { ...a })).toBeCloseTo(1);
  });

  it('refuses vectors of different lengths', () => {
    expect(() => cosineSimilarity(new Float32Array(2), new Float32Array(3))).toThrow(EmbedderMismatchError);
  });
});
