/**
 * The capability model: what a node can do, as it announces it to the mesh. A capability has a
 * `type` (`llm/chat`, `iot/light`, `sensor/camera` ...), pull actions (`tools`) and push events
 * (`triggers`). Capabilities from peers are validated with `capabilitySchema` before they reach the
 * router. Also here: the `Embedder` seam the router uses to turn capability texts and intents into
 * vectors (each node embeds capability texts itself; announcements never carry vectors).
 */
import { z } from 'zod';
import { AtmosphereError } from './errors.js';
import type { ErrorCategory } from './errors.js';

// ---- types -----------------------------------------------------------------------------------

/**
 * Capability types the product knows (the seed's Parts 4–6 and the scanner's findings). Types are
 * open strings `family/kind` (`family/kind/variant` allowed), so a peer may announce one this build
 * does not list; known types get a work type and routing examples.
 */
export const KNOWN_CAPABILITY_TYPES = {
  'llm/chat': 'chat and instruction-following language model',
  'llm/embed': 'text embedding model',
  'audio/transcribe': 'speech to text',
  'audio/generate': 'text to speech, audio generation',
  'audio/capture': 'microphone',
  'audio/playback': 'speaker or media player',
  'vision/classify': 'image classification',
  'vision/detect': 'object detection',
  'vision/generate': 'image generation and editing',
  'vision/caption': 'image description',
  'vision/ocr': 'text recognition in images',
  'sensor/camera': 'camera: snapshots, clips, detection events',
  'sensor/location': 'position and geofences',
  'sensor/motion': 'accelerometer, gyroscope, activity',
  'sensor/contact': 'door or window contact sensor',
  'sensor/temperature': 'temperature (and humidity) sensor',
  'sensor/humidity': 'humidity sensor',
  'sensor/occupancy': 'presence or motion (PIR) sensor',
  'sensor/air-quality': 'air quality sensor',
  'sensor/leak': 'water leak sensor',
  'sensor/smoke': 'smoke or CO alarm',
  'iot/light': 'light or lamp',
  'iot/lock': 'door lock',
  'iot/hvac': 'thermostat, heating and cooling',
  'iot/plug': 'smart plug or outlet',
  'iot/switch': 'switch',
  'iot/fan': 'fan',
  'iot/cover': 'blinds, shades, curtains',
  'iot/garage-door': 'garage door opener',
  'iot/vacuum': 'robot vacuum',
  'iot/media': 'TV or media player',
  'notify/push': 'push notifications',
  'email/send': 'outgoing email',
  'messaging/send': 'chat or text messages',
  calendar: 'calendar',
  translate: 'translation',
  rag: 'question answering over a document collection (e.g. a LlamaFarm project)',
  'search/web': 'web search',
  'agent/security': 'security agent',
  'agent/assistant': 'general task agent',
  'system/stats': 'machine statistics',
  'compute/gpu': 'GPU compute',
} as const satisfies Record<string, string>;

export type KnownCapabilityType = keyof typeof KNOWN_CAPABILITY_TYPES;
/** `family/kind`; an open string so newer peers can announce types this build does not know. */
export type CapabilityType = KnownCapabilityType | (string & {});

/**
 * What kind of work a capability does; the cost model weighs load by it (inference and training
 * use GPU load, the rest CPU load) — seed Part 3.
 */
export const WORK_TYPES = [
  'inference',
  'training',
  'embedding',
  'retrieval',
  'sensing',
  'actuation',
  'messaging',
  'agent',
  'system',
] as const;
export type WorkType = (typeof WORK_TYPES)[number];

/** The work type a capability type implies when the capability does not say. */
export function defaultWorkType(type: string): WorkType {
  const family = type.split('/')[0] ?? '';
  if (type === 'llm/embed') return 'embedding';
  if (type === 'rag' || type === 'search/web' || type === 'calendar') return 'retrieval';
  if (type === 'audio/capture') return 'sensing';
  if (type === 'audio/playback') return 'actuation';
  switch (family) {
    case 'llm':
    case 'audio':
    case 'vision':
    case 'translate':
      return 'inference';
    case 'compute':
      return 'training';
    case 'sensor':
      return 'sensing';
    case 'iot':
      return 'actuation';
    case 'notify':
    case 'email':
    case 'messaging':
      return 'messaging';
    case 'agent':
      return 'agent';
    default:
      return 'system';
  }
}

// ---- schemas ---------------------------------------------------------------------------------

/** A JSON Schema document (draft 2020-12), kept as plain JSON. */
export type JsonSchema = { readonly [key: string]: unknown };

const jsonSchema = z.record(z.string(), z.unknown());
const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z][\w.-]*$/, 'expected a name of letters, digits, "_", "." or "-", starting with a letter');
const description = z.string().max(2000);

export const TRIGGER_PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
export type TriggerPriority = (typeof TRIGGER_PRIORITIES)[number];

export const toolSpecSchema = z.strictObject({
  name,
  description: description.default(''),
  /** JSON Schema of the arguments. */
  parameters: jsonSchema.optional(),
  /** JSON Schema of the result. */
  result: jsonSchema.optional(),
});

export const triggerSpecSchema = z.strictObject({
  name,
  description: description.default(''),
  priority: z.enum(TRIGGER_PRIORITIES).default('normal'),
  /** JSON Schema of the event payload. */
  payload: jsonSchema.optional(),
});

export const capabilityTypeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9-]*(\/[a-z0-9*][a-z0-9.*-]*){0,2}$/, 'expected a type like "llm/chat" or "iot/light"');

export const capabilityIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9][\w.:@+-]*(\/[\w.:@+-]+)*$/,
    'expected an id like "ollama/llama3.2" or "matter/kitchen-light"',
  );

const capabilityFields = {
  id: capabilityIdSchema,
  type: capabilityTypeSchema,
  description: description.default(''),
  tools: z.array(toolSpecSchema).max(256).default([]),
  triggers: z.array(triggerSpecSchema).max(256).default([]),
  metadata: z.record(z.string(), z.unknown()).default({}),
  workType: z.enum(WORK_TYPES).optional(),
};

/** A capability as a node announces it (the node id comes from the announcing peer). */
export const capabilitySchema = z
  .strictObject({ ...capabilityFields, nodeId: z.string().min(1).max(128) })
  .superRefine((cap, ctx) => {
    const seen = new Set<string>();
    for (const [i, n] of [...cap.tools.map((t) => t.name), ...cap.triggers.map((t) => t.name)].entries()) {
      if (seen.has(n))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate tool or trigger name "${n}"`,
          path: [i < cap.tools.length ? 'tools' : 'triggers'],
        });
      seen.add(n);
    }
  });

/** A capability without a node id, as written in a catalog file or by a local scanner. */
export const capabilityInputSchema = z.strictObject({
  ...capabilityFields,
  nodeId: z.string().min(1).max(128).optional(),
});

export type ToolSpec = z.output<typeof toolSpecSchema>;
export type TriggerSpec = z.output<typeof triggerSpecSchema>;
export type CapabilityInput = z.input<typeof capabilityInputSchema>;

export interface Capability {
  /** Unique within its node: `ollama/llama3.2`, `matter/kitchen-light`, `llamafarm/default/fishing-guide`. */
  readonly id: string;
  readonly type: CapabilityType;
  /** The node that offers it (its libp2p PeerId). */
  readonly nodeId: string;
  readonly description: string;
  readonly tools: readonly ToolSpec[];
  readonly triggers: readonly TriggerSpec[];
  /** Free-form facts: room, model, domain, backend ... */
  readonly metadata: { readonly [key: string]: unknown };
  readonly workType: WorkType;
}

/** The same capability id on two nodes is two capabilities: they are keyed by both. */
export function capabilityKey(cap: Pick<Capability, 'nodeId' | 'id'>): string {
  return `${cap.nodeId}\u0000${cap.id}`;
}

/** Validates untrusted input (a peer's announcement, a catalog entry) into a `Capability`. */
export function parseCapability(input: unknown, options: { nodeId?: string } = {}): Capability {
  const parsed = capabilityInputSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length ? `${first.path.join('.')}: ` : '';
    const id =
      typeof (input as { id?: unknown } | null)?.id === 'string' ? ` "${(input as { id: string }).id}"` : '';
    throw new InvalidCapabilityError(`invalid capability${id}: ${where}${first?.message ?? 'malformed'}`, {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const c = parsed.data;
  const nodeId = c.nodeId ?? options.nodeId;
  if (!nodeId) throw new InvalidCapabilityError(`invalid capability "${c.id}": no node id`);
  const checked = capabilitySchema.safeParse({ ...c, nodeId });
  if (!checked.success) {
    throw new InvalidCapabilityError(
      `invalid capability "${c.id}": ${checked.error.issues[0]?.message ?? 'malformed'}`,
    );
  }
  return {
    id: c.id,
    type: c.type,
    nodeId,
    description: c.description,
    tools: c.tools,
    triggers: c.triggers,
    metadata: c.metadata,
    workType: c.workType ?? defaultWorkType(c.type),
  };
}

/** A capability failed validation. */
export class InvalidCapabilityError extends AtmosphereError {
  override readonly code = 'capability_invalid';
  override readonly category: ErrorCategory = 'invalid_input';
}

// ---- the embedding seam ----------------------------------------------------------------------

/**
 * Turns texts into vectors. Implementations: the built-in offline word-vector embedder (router),
 * later Ollama's `/api/embed` and transformers.js. Vectors from different embedders (or different
 * versions of one) live in different spaces: compare only vectors that carry the same `id`.
 */
export interface Embedder {
  /** Names the model and its preprocessing, e.g. `builtin/glove-wink-100d@1`, `ollama/nomic-embed-text`. */
  readonly id: string;
  readonly dimensions: number;
  /** One unit-length vector per text, in order. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}

/** A vector together with the embedder that made it. */
export interface Embedding {
  readonly embedderId: string;
  readonly vector: Float32Array;
}

/** Two vectors from different embedders were compared. */
export class EmbedderMismatchError extends AtmosphereError {
  override readonly code = 'embedder_mismatch';
  override readonly category: ErrorCategory = 'internal';
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length)
    throw new EmbedderMismatchError(`vector lengths differ: ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Cosine similarity of two embeddings; refuses to compare vectors from different embedders. */
export function embeddingSimilarity(a: Embedding, b: Embedding): number {
  if (a.embedderId !== b.embedderId) {
    throw new EmbedderMismatchError(
      `cannot compare a vector from ${a.embedderId} with one from ${b.embedderId}`,
    );
  }
  return cosineSimilarity(a.vector, b.vector);
}
