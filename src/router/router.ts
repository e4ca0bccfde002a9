/**
 * The semantic router: an index of every capability in the mesh (local and announced) and the
 * function from an intent to ranked candidates.
 *
 * Routing runs in two stages. Stage 1 scores every capability cheaply — the cosine between the
 * intent's embedding and the capability's, the best cosine to its type's example utterances, and the
 * words they share — and keeps a shortlist. Stage 2 scores the shortlist carefully: soft word
 * alignment (each intent word against the capability's words: same stem, shared prefix, or nearby
 * word vector), the type's example utterances, the intent's form (a command's verb; a request to be
 * told when something happens needs a trigger) and places ("kitchen" against the capability's room).
 * Hard constraints come before scores; a candidate is chosen only when it clears the threshold.
 * Every candidate carries the reasons for its score.
 */
import type {
  Capability,
  ConstraintResult,
  Embedder,
  Logger,
  RouteCost,
  RouteWeights,
} from '../core/index.js';
import {
  capabilityKey,
  criticalBatteryExclusions,
  DEFAULT_ROUTE_WEIGHTS,
  formatScore,
  scoreCandidates,
  silentLogger,
} from '../core/index.js';
import { isWordVectorProvider } from './builtin-embedder.js';
import type { WordVectorProvider } from './builtin-embedder.js';
import type { RouteConstraint, RouteRequest } from './constraints.js';
import { requestedModelConstraint, requestedTypeConstraint } from './constraints.js';
import type { AnalyzedIntent, IntentForm } from './intent.js';
import { analyzeIntent, LIGHT_VERBS } from './intent.js';
import { stem as stemOf, STOP_WORDS, tokenize } from './text.js';
import type { TypeExample } from './type-examples.js';
import { examplesForType, TYPE_EXAMPLES } from './type-examples.js';
import type { Medium } from './synonyms.js';
import {
  MEDIUM_FAMILIES,
  MEDIUM_WORDS,
  rewritePhrases,
  ROOM_WORDS,
  SYNONYM_WEIGHT,
  SYNONYMS,
} from './synonyms.js';
import type { Projection } from './projection.js';
import { principalDirections, project } from './projection.js';
import type { QuerySimilarities, SimilarityRow, WordInfo } from './words.js';
import { similarityOf, WordMatcher } from './words.js';
import { dotAt } from './vector-math.js';

// ---- public types ----------------------------------------------------------------------------

export type ActionKind = 'tool' | 'trigger';

export interface ToolChoice {
  readonly name: string;
  readonly kind: ActionKind;
  /** How well the intent matches this tool or trigger, in [0, 1]. */
  readonly score: number;
}

export interface RouteCandidate {
  readonly capabilityId: string;
  readonly nodeId: string;
  readonly type: string;
  /** The tool or trigger within the capability that serves the intent. */
  readonly tool: ToolChoice | null;
  /** Semantic match in [0, 1]. */
  readonly semanticScore: number;
  readonly threshold: number;
  /** Dynamic cost used for ranking (0 without a cost model; 1 for a node whose cost is unknown). */
  readonly cost: number;
  readonly costKnown: boolean;
  /** The cost and how it was made (node factors, cloud dollars, hysteresis), when a cost model is set. */
  readonly costBreakdown?: RouteCost;
  /** The combined score used for ranking (`scoreCandidates`). */
  readonly score: number;
  /** Passes every constraint and clears the threshold. */
  readonly eligible: boolean;
  readonly constraints: readonly ConstraintResult[];
  readonly reasons: readonly string[];
}

export interface RouteChoice {
  readonly capabilityId: string;
  readonly nodeId: string;
  readonly type: string;
  readonly tool: string | null;
  readonly toolKind: ActionKind | null;
  readonly score: number;
  readonly semanticScore: number;
}

export interface RouteDecision {
  readonly intent: string;
  readonly form: IntentForm;
  /** The chosen capability, or `null` ("no capability"): nothing eligible cleared its threshold. */
  readonly decision: RouteChoice | null;
  /** The best candidates, chosen one first. */
  readonly candidates: readonly RouteCandidate[];
  readonly embedderId: string;
  /** How many capabilities the index held. */
  readonly indexed: number;
}

export interface SemanticRouterComponents {
  readonly embedder: Embedder;
  /**
   * Word vectors for comparing intents word by word. Default: the embedder's own when it is a
   * `WordVectorProvider` (the built-in one), else none (exact, stem and prefix matches only). Word
   * vectors are only ever compared with word vectors, so a whole-text embedder such as Ollama's can
   * be paired with the built-in table.
   */
  readonly wordVectors?: WordVectorProvider;
  readonly logger?: Logger;
}

export interface SemanticRouterInit {
  /** Semantic score a candidate must reach to be chosen. Default `DEFAULT_ROUTE_THRESHOLD`. */
  readonly threshold?: number;
  /** Per-type thresholds (`family/*` patterns allowed), overriding `threshold`. Default none. */
  readonly typeThresholds?: Readonly<Record<string, number>>;
  /** Hard constraints, run in order after the request's own (model, types). Default none. */
  readonly constraints?: readonly RouteConstraint[];
  /**
   * Weights of semantic score and cost. Default `DEFAULT_ROUTE_WEIGHTS`. A function is asked on
   * every route (the owner's `cost.route_weights` as the live config says now).
   */
  readonly weights?: RouteWeights | (() => RouteWeights);
  /**
   * The cost of using a capability now (the node's cost model). Without it costs are unknown and
   * count as 0. With it, a node on critical battery fails the `critical-battery` constraint while
   * another candidate passes everything.
   */
  readonly cost?: (capability: Capability) => RouteCost;
  /** Example utterances per type. Default `TYPE_EXAMPLES`. */
  readonly typeExamples?: Readonly<Record<string, readonly TypeExample[]>>;
  /** How many capabilities stage 1 passes to stage 2. Default 8. */
  readonly shortlist?: number;
  /** How many candidates a decision lists. Default 5. */
  readonly top?: number;
  /**
   * Stage 1 scans an index of 256 or more capabilities in a projection of their vectors onto this
   * many principal directions; 0 scans the full vectors. Default 32.
   */
  readonly projectionDims?: number;
}

export const DEFAULT_ROUTE_THRESHOLD = 0.4;

// ---- internals ---------------------------------------------------------------------------------

const FIELD_WEIGHT = {
  name: 1,
  provider: 0.5,
  type: 0.6,
  description: 0.9,
  metadata: 0.7,
  /** The machine it runs on ("livingroom-nuc"): where the hardware is, not what it does. */
  host: 0.35,
  action: 0.9,
} as const;
/** Metadata keys that name the machine a capability runs on. */
const HOST_KEYS = ['node', 'host', 'hostname'];
const PLACE_KEYS = ['room', 'location', 'area', 'zone', 'place', 'floor'];
/** Metadata keys that make a chat model a specialist rather than a general-purpose one. */
const SPECIALTY_KEYS = ['specialty', 'domain'];
/** How much of any intent a general-purpose chat model covers without sharing a word with it. */
const GENERALIST_FLOOR = 0.35;
/** The same for a question: answering questions on any topic is what it is for. */
const GENERALIST_QUESTION_FLOOR = 0.4;
/** A general-purpose chat model yields to any specialist that matches about as well. */
const GENERALIST_DISCOUNT = 0.9;
/** Words kept for tool selection although they are stop words for topics. */
const PARTICLES = new Set(['on', 'off', 'up', 'down', 'in', 'out', 'open', 'close', 'start', 'stop']);
/** What source code in a request stands for. */
const CODE_WORDS = ['code', 'programming'];
/** What a choice between alternatives about a picture stands for. */
const CHOICE_WORDS = ['labels'];
/** Weight of words the intent implies ("who" → person). */
const IMPLIED_WEIGHT = 0.5;
/** Weight of an intent word that neither the table nor the index knows (a name, a foreign word). */
const UNKNOWN_WORD_FACTOR = 0.3;
/** A command's own verb counts this much more than its other words. */
const VERB_BOOST = 1.5;
/** A command's first word counts as its verb only when it is this common (rank ~30,000). */
const COMMON_VERB_WEIGHT = 0.85;
/** A word corrected from a typo is weaker evidence on its own. */
const CORRECTED_SPECIFICITY = 0.5;
const IDF_SHARE = 0.5;
/** Weight of the type examples' tool hints against the tools' own words when choosing a tool. */
const HINT_SHARE = 0.35;
/** Factor for a capability that knows nothing like a command's object (`objectPhrase`). */
const OBJECT_MISS = 0.5;
/** Share of the remaining distance to 1 that being at every place the intent names adds. */
const PLACE_BONUS = 0.15;
/** Factor for a capability that is not at a place the intent names. */
const PLACE_MISMATCH = 0.5;
/** Similarity at which a word clearly stands for another (verb, object checks). */
const CLEAR = 0.75;
/** Similarity of the same word (or stem, or a long shared prefix). */
const SAME = 0.9;
/** How much a command whose verb names one of its tools matches at least. */
const VERB_TOOL_FLOOR = 0.45;
/** Factor for a command whose verb none of its tools does. */
const VERB_MISS = 0.4;
/** Light verbs of commands that change something ("start", "set"), not of those that read ("show"). */
const ACTING_LIGHT_VERBS: ReadonlySet<string> = new Set([
  'turn',
  'set',
  'put',
  'switch',
  'start',
  'run',
  'keep',
]);
/** Factor for a command to change something, to a capability whose tools only read. */
const READ_ONLY = 0.5;
/** Factor for "tell me when ..." to a capability without triggers. */
const NO_TRIGGER = 0.6;
/** Share of the best trigger's match in the score of "tell me when ..." intents. */
const TRIGGER_SHARE = 0.4;
/** Factor for a specialist when the intent says nothing of its domain. */
const OFF_DOMAIN = 0.8;
/** Factor for a specialist model (`specialty: code`) when the intent says nothing of its specialty. */
const OFF_SPECIALTY = 0.6;
/** Tool names that read rather than act, by their first word. */
const READ_VERBS = new Set([
  'get',
  'list',
  'last',
  'read',
  'check',
  'is',
  'status',
  'query',
  'fetch',
  'count',
]);
/** Stems of words that name a level a tool sets. */
const LEVEL_WORDS: ReadonlySet<string> = new Set(
  ['brightness', 'temperature', 'volume', 'level', 'speed', 'percent', 'position', 'setpoint', 'target'].map(
    stemOf,
  ),
);
/** Bonus of a tool that sets a level when a command gives a number ("to 70", "50 percent"). */
const NUMBER_LEVEL_BONUS = 0.15;
/** Bonus of a reading tool when the intent is a question. */
const QUESTION_READ_BONUS = 0.15;
/** Penalty of an edit tool when the intent brings nothing to edit. */
const EDIT_WITHOUT_MEDIUM = 0.15;
/** How much a word of a tool's description counts against a word of its name. */
const TOOL_DESCRIPTION_SHARE = 0.8;
/** How many analyzed intents are kept for when they come again. */
const ANALYSIS_CACHE_SIZE = 256;
/** Indexes at least this large are scanned in a projection of their vectors. */
const PROJECT_FROM = 256;
/**
 * Stage 1 bounds an entry's cosine by its first this many projected dimensions plus the product of
 * the rest's lengths (Cauchy–Schwarz), to pass over entries that cannot make the shortlist. (The
 * scan spells the eight products out; the projection has at least as many dimensions.)
 */
const BOUND_DIMS = 8;
/** Added to that bound: float32 rounding must never let it fall under the true score. */
const BOUND_SLACK = 1e-4;
/** The bound is used for intents of at most this many distinct indexed words (one bit each). */
const MAX_BOUND_WORDS = 32;
/** Dimensions of that projection. */
const PROJECTION_DIMS = 32;
/** Share of the remaining distance to 1 that sharing two words side by side adds. */
const PHRASE_BONUS = 0.15;
/** Share of the remaining distance to 1 that working in the intent's medium adds. */
const MEDIUM_BONUS = 0.15;
/** Factor for a capability that works with images when the intent is about sound, or the reverse. */
const OTHER_MEDIUM = 0.85;
const ALL_MEDIA = Object.keys(MEDIUM_WORDS) as Medium[];
/** Factor for a text-only general model when the intent is about an image or a sound. */
const MEDIUM_MISS = 0.75;
/**
 * A word of a capability's name is stronger evidence than the same word elsewhere: its specificity
 * counts raised to this power (< 1). Not too far: a generic name word ("review" of contract-review,
 * "climate" of garage-climate) must not carry a request that only shares it.
 */
const NAME_SPECIFICITY_EXPONENT = 0.8;
/** How far a single strong word can carry a match on its own. */
const ANCHOR_SHARE = 0.8;
/** Cosine (background removed) of an intent and a retrieval project's text that says nothing ... */
const TOPIC_LOW = 0.25;
/** ... and that says the intent is about its topic. */
const TOPIC_HIGH = 0.75;
/** How far being on a retrieval project's topic carries a match on its own. */
const TOPIC_SHARE = 0.8;
/** Stems of words that say a capability answers questions or explains. */
const ANSWER_STEMS = new Set(['answer', 'explain', 'question', 'information'].map(stemOf));
/** Factor for asking why, or what something is, of a capability that does not answer questions. */
const NOT_ANSWERING = 0.6;
/** Factor for asking what its description says it does not do. */
const NEGATED = 0.75;
/** How much a second strong word adds to the first (of the distance left to 1). */
const SECOND_ANCHOR_SHARE = 0.5;

/**
 * A candidate's semantic score and what made it, from which its reasons are written (`reasonsOf`)
 * — only for the candidates a decision lists.
 */
interface Semantic {
  semantic: number;
  readonly own: number;
  readonly examples: number;
  readonly anchor: number;
  readonly anchorWord: string;
  readonly topic: number;
  /** `NOTE_*` bits: which factors applied. */
  notes: number;
  /** The word of what its description says it does not do that the intent asks for. */
  readonly negatedWord: string;
}

// Factors a semantic score went through (`Semantic.notes`).
const NOTE_MEDIUM_TEXT = 1;
const NOTE_NEGATED = 2;
const NOTE_OFF_SPECIALTY = 4;
const NOTE_OFF_TOPIC = 8;
const NOTE_NO_TRIGGERS = 16;
const NOTE_VERB_MISS = 32;
const NOTE_SWITCH_MISS = 64;
const NOTE_OBJECT_MISS = 128;
const NOTE_GIVEN_MEDIUM = 256;
const NOTE_MEDIUM_BONUS = 512;
const NOTE_OTHER_MEDIUM = 1024;
const NOTE_PLACE_MISMATCH = 2048;
const NOTE_GENERAL_YIELDS = 4096;
const NOTE_NOT_ANSWERING = 8192;
const NOTE_ASKED_GENERATOR = 16384;
const NOTE_PLACE_MATCH = 32768;
const NOTE_READ_ONLY = 65536;
const NOTE_PHRASE = 131072;

interface DocWord {
  readonly word: WordInfo;
  readonly field: number;
}

interface ActionProfile {
  readonly name: string;
  readonly kind: ActionKind;
  readonly words: readonly WordInfo[];
  readonly doc: readonly DocWord[];
  readonly nameWords: readonly WordInfo[];
  /** The first word of its name, stop words included (`get` of `get_status`). */
  readonly lead: string;
  /** The first word of its description, its verb as a rule ("*Summarize* an uploaded contract"). */
  readonly describedBy: WordInfo | null;
  /** Its place among the capability's tools, or among its triggers. */
  readonly poolIndex: number;
  /** It reads rather than acts (`READ_VERBS`: `get_status`, `list_events`). */
  readonly reads: boolean;
  /** It edits a picture or a sound (`edit_image`). */
  readonly edits: boolean;
  /** It sets a level ("Set brightness, 0-100%", "Change the target temperature"). */
  readonly sets: boolean;
}

interface ExampleProfile {
  readonly example: TypeExample;
  readonly words: readonly WordInfo[];
  readonly doc: readonly DocWord[];
  /** The leading verb when the example is a command. */
  readonly verb: WordInfo | null;
  /** Content words and particles ("on", "off"), for choosing tools. */
  readonly actionWords: readonly WordInfo[];
  readonly actionDoc: readonly DocWord[];
  /** What it acts on: the content words of its first phrase ("lower *the lights* for a movie"). */
  readonly objectWords: readonly WordInfo[];
  readonly vector: Float32Array;
}

interface TypeProfile {
  readonly type: string;
  readonly examples: readonly ExampleProfile[];
  /** The examples' unit vectors, one after another. */
  readonly matrix: Float32Array;
}

interface Entry {
  readonly cap: Capability;
  readonly key: string;
  readonly words: readonly DocWord[];
  /** Its words' ids and fields, in the order of `words`. */
  readonly wordIds: Int32Array;
  readonly wordFields: Float64Array;
  readonly stems: ReadonlySet<string>;
  readonly places: ReadonlySet<string>;
  readonly actions: readonly ActionProfile[];
  /** Its actions of each kind, in order. */
  readonly tools: readonly ActionProfile[];
  readonly triggers: readonly ActionProfile[];
  readonly actionWords: readonly WordInfo[];
  readonly typeProfile: TypeProfile;
  readonly vector: Float32Array;
  /** A general-purpose chat model: any topic is its topic. */
  readonly generalist: boolean;
  /** Words of its `specialty`/`domain` metadata: a specialist is for intents about them. */
  readonly domainWords: readonly WordInfo[];
  /** Words of what its description says it does not do ("no web access"): evidence against it. */
  readonly negatedWords: readonly WordInfo[];
  /** Media it works with: its type family, or its own words name the medium. */
  readonly media: ReadonlySet<Medium>;
  /** It only makes new pictures or sounds (a camera, a microphone, a generator that cannot edit). */
  readonly producesOnly: boolean;
  /** A generator (`vision/generate`, `audio/generate`): it makes pictures or sounds. */
  readonly generates: boolean;
  /** Words of its name and place: they pick the capability, not one of its tools. */
  readonly nameWords: readonly WordInfo[];
  /** Two words that stand together in its texts, as stems ("open hour" of "opening hours"). */
  readonly phrases: ReadonlySet<string>;
  /** Words of its type (`calendar`, `iot light`). */
  readonly typeWords: readonly WordInfo[];
  /** Its words say it answers or explains ("answers questions", "explains code", "information"). */
  readonly answers: boolean;
  /** Type examples whose hint names one of its actions, with how well: [example, action index, match]. */
  readonly hints: readonly (readonly [ExampleProfile, number, number])[];
  /** A retrieval project's vector without the background direction (`withoutBackground`). */
  readonly topic: Float32Array | null;
  /**
   * A retrieval project's words that say what its documents are about: its words but those of its
   * tools' names ("review" of `review_contract`, "ask"), which say what it does — unless its
   * declared domain uses them too.
   */
  readonly topicWords: readonly WordInfo[];
  /**
   * 1 for each of `words` that can carry a match on its own (an anchor); a retrieval project's
   * anchors are its topic words only: "reviews" of products is not a contract question.
   */
  readonly anchorable: Uint8Array;
}

interface IntentWord {
  readonly word: WordInfo;
  /** Weight in the alignment (a command's verb boosted). */
  readonly weight: number;
  /** How specific the word is on its own: corpus rarity × rarity in the index. */
  readonly specificity: number;
  /** Its specificity as a word of a capability's name (`NAME_SPECIFICITY_EXPONENT`). */
  readonly nameSpecificity: number;
  /** Its row in the query's similarity memo. */
  readonly row: number;
}

/**
 * An analyzed intent: its words, vector and memoized type scores. Kept for repeated intents (a
 * retry, the same voice command) until the index changes (`SemanticRouter.analyses`).
 */
interface Query {
  readonly analyzed: AnalyzedIntent;
  readonly words: readonly IntentWord[];
  /** Intent words plus action particles, for tool selection. */
  readonly actionWords: readonly IntentWord[];
  readonly vector: Float32Array;
  /** The intent's vector without the background direction. */
  readonly topic: Float32Array;
  readonly verb: IntentWord | null;
  /** Words the phrasing implies (`analyzeIntent`), source code and choices between labels. */
  readonly implied: readonly IntentWord[];
  /** A command's object ("turn on the *tv*"): what it acts on has to be there. */
  readonly object: readonly IntentWord[];
  /** "on" or "off" after a switching verb ("turn *off* the fan"): it needs a tool that does it. */
  readonly switchTo: string | null;
  /**
   * Similarities of the intent's words to any word: set by `route` right before scoring (no awaits
   * after it), from `rows` and `alternatives`.
   */
  sims: QuerySimilarities;
  /** The words of the similarity memo's rows, and each row's stand-ins. */
  readonly rows: readonly WordInfo[];
  readonly alternatives: readonly (readonly WordInfo[])[];
  /** Each listed type's best example cosine (stage 1), once computed. */
  typeCos: Float32Array | null;
  /** The stage-1 arrays' build those were computed for (`SemanticRouter.builds`). */
  stage1Build: number;
  /** The vector in the stage-1 projection, once computed (null without a projection). */
  projected: Float32Array | null;
  /** |q⊥|: the length of the vector without its background component (stage 1). */
  topicNorm: number;
  /** q·b: the vector's component along the background (stage 1). */
  backgroundDot: number;
  /** The projected vector's length beyond its first `BOUND_DIMS` dimensions (stage 1). */
  restNorm: number;
  readonly places: readonly string[];
  /** Two content words that stand together in it, as stems (`phrasesOf`). */
  readonly phrases: readonly string[];
  /** Media the intent names ("photo", "audio file"), in the order it names them. */
  readonly media: readonly Medium[];
  /** The intent brings an image or a sound of its own ("this recording", "my photo"). */
  readonly givenMedia: boolean;
  readonly typeScores: Map<string, { score: number; byExample: Map<TypeExample, number> }>;
  /** Why the intent has no embedding (its embedder failed), or null: then only words match. */
  readonly unembedded: string | null;
}

/** Placeholder until `route` sets a query's similarities. */
const NO_SIMILARITIES: QuerySimilarities = { rows: [], fill: () => 0, get: () => 0 };

function idWords(id: string): { name: string; provider: string } {
  const parts = id.split('/');
  return {
    provider: parts.length > 1 ? (parts[0] as string) : '',
    name: (parts.length > 1 ? parts.slice(1) : parts).join(' '),
  };
}

function metadataStrings(value: unknown, depth = 0): string[] {
  if (typeof value === 'string') return value.length <= 200 && !/^https?:/.test(value) ? [value] : [];
  if (Array.isArray(value) && depth < 2) return value.flatMap((v) => metadataStrings(v, depth + 1));
  return [];
}

function harmonic(a: number, b: number): number {
  return a + b > 0 ? (2 * a * b) / (a + b) : 0;
}

// ---- the router --------------------------------------------------------------------------------

export class SemanticRouter {
  private readonly embedder: Embedder;
  private readonly wordVectorSource: WordVectorProvider | null;
  private readonly log: Logger;
  private readonly threshold: number;
  private readonly typeThresholds: Readonly<Record<string, number>>;
  private readonly constraints: readonly RouteConstraint[];
  private readonly weights: () => RouteWeights;
  private readonly costOf: ((capability: Capability) => RouteCost) | undefined;
  private readonly typeExamples: Readonly<Record<string, readonly TypeExample[]>>;
  private readonly shortlist: number;
  private readonly top: number;
  private readonly projectionDims: number;

  private readonly entries = new Map<string, Entry>();
  private readonly df = new Map<string, number>();
  private readonly vocabulary = new Map<string, WordInfo>();
  private readonly placeHeads = new Map<string, number>();
  /** Stems of the first words of the index's tools' names (`transcribe`, `search`), with counts. */
  private readonly toolLeads = new Map<string, number>();
  private readonly typeProfiles = new Map<string, Promise<TypeProfile>>();
  /** Analyzed intents by text, least recently used first; emptied when the index changes. */
  private readonly analyses = new Map<string, Query>();
  /** Counts changes of the index (an analysis made across one is not kept). */
  private indexVersion = 0;
  private matcherPromise: Promise<WordMatcher> | null = null;
  /** The embedder failed on the last intent (logged once per outage). */
  private intentEmbedFailing = false;
  private readyMatcher: WordMatcher | null = null;
  private backgroundPromise: Promise<Float32Array> | null = null;
  /** The background direction once known (after the first `add`); zeros before. */
  private backgroundVector: Float32Array = new Float32Array(0);
  // Stage-1 arrays, rebuilt after the index changes: entries, their unit vectors in one matrix,
  // stem → entry positions, and each entry's type.
  private dirty = true;
  /** Counts builds of the stage-1 arrays. */
  private builds = 0;
  private list: Entry[] = [];
  private matrix = new Float32Array(0);
  private postings = new Map<string, number[]>();
  private listTypeProfiles: TypeProfile[] = [];
  private listTypeIndex = new Int32Array(0);
  private projection: Projection | null = null;
  /** Threshold per type (thresholds are fixed at construction). */
  private readonly thresholdCache = new Map<string, number>();
  /** Positions of the general-purpose models in `list`. */
  private generalists: number[] = [];
  /** Positions of the retrieval projects in `list`, their vectors' components along the background and the rest's lengths. */
  private retrievals: number[] = [];
  private retrievalBackground = new Float32Array(0);
  private retrievalNorm = new Float32Array(0);
  // Scratch, reused by every route (routing never awaits between filling and reading them).
  private scoreBuffer = new Float32Array(0);
  /** The scan's cosines (before the type examples' are taken into account). */
  private dotBuffer = new Float32Array(0);
  private topBuffer = new Int32Array(0);
  /** Bit j set: the entry has the intent's j-th word (`stage1`). */
  private wordBits = new Uint32Array(0);
  /** Each intent word's share of the intent (`stage1`). */
  private shareBuffer = new Float64Array(32);
  /** The route each entry was last scored for (`stage1`), and the current route's number. */
  private scoredAt = new Int32Array(0);
  private generation = 0;
  /** Tool selection's scratch: each tool's match of each word, and each tool's hint. */
  private matchBuffer = new Float64Array(64);
  private hintBuffer = new Float64Array(16);
  /** Each listed entry's length in the projection beyond its first `BOUND_DIMS` dimensions. */
  private restNorms = new Float32Array(0);
  /** Each listed entry's first `BOUND_DIMS` projected dimensions, one after another (for the bound). */
  private leadMatrix = new Float32Array(0);
  /** Every listed type's example vectors, one after another, and each row's type. */
  private exampleMatrix = new Float32Array(0);
  private exampleTypeIndex = new Int32Array(0);

  constructor(components: SemanticRouterComponents, init: SemanticRouterInit = {}) {
    this.embedder = components.embedder;
    this.wordVectorSource =
      components.wordVectors ?? (isWordVectorProvider(components.embedder) ? components.embedder : null);
    this.log = components.logger ?? silentLogger();
    this.threshold = init.threshold ?? DEFAULT_ROUTE_THRESHOLD;
    this.typeThresholds = init.typeThresholds ?? {};
    this.constraints = [requestedModelConstraint, requestedTypeConstraint, ...(init.constraints ?? [])];
    const weights = init.weights ?? DEFAULT_ROUTE_WEIGHTS;
    this.weights = typeof weights === 'function' ? weights : () => weights;
    this.costOf = init.cost;
    this.typeExamples = init.typeExamples ?? TYPE_EXAMPLES;
    this.shortlist = init.shortlist ?? 8;
    this.top = init.top ?? 5;
    this.projectionDims = init.projectionDims ?? PROJECTION_DIMS;
  }

  get embedderId(): string {
    return this.embedder.id;
  }

  /** How many capabilities are indexed. */
  get size(): number {
    return this.entries.size;
  }

  /** The indexed capabilities. */
  capabilities(): Capability[] {
    return [...this.entries.values()].map((e) => e.cap);
  }

  /** Adds capabilities, replacing any with the same node and id. Embeds their texts. */
  async add(capabilities: readonly Capability[], options: { signal?: AbortSignal } = {}): Promise<void> {
    if (capabilities.length === 0) return;
    const matcher = await this.matcher(options);
    const background = await this.background(options);
    const texts = capabilities.map((c) => this.profileText(c));
    const vectors = await this.embedder.embed(texts, options);
    const types = await Promise.all(capabilities.map((c) => this.typeProfile(c.type, matcher, options)));
    options.signal?.throwIfAborted();
    capabilities.forEach((cap, i) => {
      const key = capabilityKey(cap);
      this.removeKey(key);
      const entry = this.buildEntry(cap, key, matcher, unit(vectors[i]), types[i] as TypeProfile, background);
      this.entries.set(key, entry);
      for (const s of entry.stems) this.df.set(s, (this.df.get(s) ?? 0) + 1);
      for (const dw of entry.words) this.vocabulary.set(dw.word.text, dw.word);
      for (const head of this.headsOf(cap)) this.placeHeads.set(head, (this.placeHeads.get(head) ?? 0) + 1);
      for (const lead of toolLeadsOf(cap)) this.toolLeads.set(lead, (this.toolLeads.get(lead) ?? 0) + 1);
    });
    this.indexChanged();
    this.log.debug({ added: capabilities.length, indexed: this.entries.size }, 'capabilities indexed');
  }

  /** Removes one capability; returns whether it was indexed. */
  remove(nodeId: string, id: string): boolean {
    return this.removeKey(capabilityKey({ nodeId, id }));
  }

  /** Removes every capability of a node (it left, or was revoked); returns how many. */
  removeNode(nodeId: string): number {
    let n = 0;
    for (const e of [...this.entries.values()]) if (e.cap.nodeId === nodeId && this.removeKey(e.key)) n++;
    return n;
  }

  /** Routes an intent: ranked candidates and the decision (or "no capability"). */
  async route(
    request: string | RouteRequest,
    options: { signal?: AbortSignal; top?: number } = {},
  ): Promise<RouteDecision> {
    const req: RouteRequest = typeof request === 'string' ? { intent: request } : request;
    // Once loaded, the matcher is used without waiting a turn for its promise.
    const matcher = this.readyMatcher ?? (await this.matcher(options));
    const query = await this.prepare(req.intent, matcher, options);
    query.sims = matcher.forQuery(query.rows, query.alternatives, SYNONYM_WEIGHT);
    const top = Math.max(1, options.top ?? this.top);

    // Stage 1: cheap scores over the whole index.
    const shortlisted = this.stage1(query, Math.max(this.shortlist, top));

    // Stage 2: careful scores, constraints, threshold.
    const semantics: Semantic[] = [];
    // Specific beats general: a general-purpose model yields to any specialist that matches about
    // as well and could be chosen (clears its threshold), and keeps its score when none does.
    let bestSpecialist = 0;
    for (const entry of shortlisted) {
      const sem = this.semanticScore(query, entry);
      semantics.push(sem);
      if (!entry.generalist && sem.semantic >= this.thresholdFor(entry.cap.type))
        bestSpecialist = Math.max(bestSpecialist, sem.semantic);
    }
    const scored = shortlisted.map((entry, i) => {
      const sem = semantics[i] as Semantic;
      if (entry.generalist && bestSpecialist >= GENERALIST_DISCOUNT * sem.semantic) {
        sem.semantic *= GENERALIST_DISCOUNT;
        sem.notes |= NOTE_GENERAL_YIELDS;
      }
      const routeCost = this.costOf?.(entry.cap);
      return {
        entry,
        sem,
        semanticScore: sem.semantic,
        threshold: this.thresholdFor(entry.cap.type),
        constraints: this.constraints.map((c) => c.check(entry.cap, req)),
        cost: routeCost?.total,
        routeCost,
      };
    });
    const ranked = scoreCandidates(
      { text: req.intent },
      this.costOf ? withCriticalBatteryRule(scored) : scored,
      this.weights(),
    );

    const candidates: RouteCandidate[] = ranked.slice(0, top).map((c) => ({
      capabilityId: c.entry.cap.id,
      nodeId: c.entry.cap.nodeId,
      type: c.entry.cap.type,
      tool: this.chooseTool(query, c.entry),
      semanticScore: round(c.semanticScore),
      threshold: c.threshold,
      cost: c.costUsed,
      costKnown: c.routeCost?.known ?? false,
      ...(c.routeCost ? { costBreakdown: c.routeCost } : {}),
      score: round(c.score),
      eligible: c.eligible,
      constraints: c.constraints,
      reasons: [
        ...(query.unembedded === null ? [] : [query.unembedded]),
        ...this.reasonsOf(query, c.entry, c.sem),
        ...(c.routeCost ? [c.routeCost.note] : []),
        ...c.reasons,
      ],
    }));
    const best = candidates[0];
    const decision: RouteChoice | null =
      best && best.eligible
        ? {
            capabilityId: best.capabilityId,
            nodeId: best.nodeId,
            type: best.type,
            tool: best.tool?.name ?? null,
            toolKind: best.tool?.kind ?? null,
            score: best.score,
            semanticScore: best.semanticScore,
          }
        : null;
    return {
      intent: req.intent,
      form: query.analyzed.form,
      decision,
      candidates,
      embedderId: this.embedder.id,
      indexed: this.entries.size,
    };
  }

  /**
   * The `k` entries with the best cheap score: cosine of the whole-text embeddings (the
   * capability's, or its type's best example), plus the weighted share of intent words it contains
   * (inverted index). Over a large index the cosines use the projection onto the index's principal
   * directions. Scratch buffers are reused between routes.
   */
  private stage1(query: Query, k: number): Entry[] {
    this.rebuild();
    const n = this.list.length;
    if (this.scoreBuffer.length < n) {
      this.scoreBuffer = new Float32Array(Math.max(n, 2 * this.scoreBuffer.length));
      this.dotBuffer = new Float32Array(this.scoreBuffer.length);
    }
    if (this.wordBits.length !== n) {
      this.wordBits = new Uint32Array(n);
      this.scoredAt = new Int32Array(n);
    }
    // scoredAt[i] === generation: entry i is scored for this route.
    if (this.generation >= 0x3fffffff) {
      this.scoredAt.fill(0);
      this.generation = 0;
    }
    const generation = ++this.generation;
    const scoredAt = this.scoredAt;
    const scores = this.scoreBuffer;
    const dots = this.dotBuffer;
    if (query.stage1Build !== this.builds) this.prepareStage1(query);
    const qv = query.projected ?? query.vector;
    const dims = this.projection ? this.projection.k : this.embedder.dimensions;
    const typeCos = query.typeCos as Float32Array;
    const typeOf = this.listTypeIndex;
    // Which of the intent's words each entry has (bit j: the j-th posting list), and each word's
    // share of the intent, which its score adds.
    const all = this.intentPostings(query);
    // (An intent of more than 32 indexed words, which no one types, is scored without the bound.)
    const postings = all.length <= MAX_BOUND_WORDS ? all : [];
    const shares = this.shareBuffer;
    const words = this.wordBits;
    words.fill(0);
    for (let j = 0; j < postings.length; j++) {
      const [post, add] = postings[j] as [readonly number[], number];
      shares[j] = add;
      const bit = 1 << j;
      for (let p = 0; p < post.length; p++) {
        const i = post[p] as number;
        words[i] = (words[i] as number) | bit;
      }
    }
    if (postings !== all) {
      this.scoreAll(all, qv, dims, typeCos);
      scoredAt.fill(generation, 0, n);
    }
    // Partial selection: keep the k best in a small sorted buffer. Once it is full, an entry whose
    // score cannot beat the k-th best — its cosine bounded by its first projected dimensions plus
    // the product of the rest's lengths (Cauchy–Schwarz), plus its words' shares — is passed over
    // without the full product. The choice is the one scoring every entry makes.
    if (this.topBuffer.length < k) this.topBuffer = new Int32Array(k);
    const best = this.topBuffer;
    const restNorms = this.restNorms;
    const lead = this.leadMatrix;
    const queryRest = query.restNorm;
    const bounded = this.projection !== null && this.projection.k >= BOUND_DIMS && postings === all;
    // The bound's leading dimensions of the query, in locals (BOUND_DIMS = 8).
    const q0 = qv[0] as number;
    const q1 = qv[1] as number;
    const q2 = qv[2] as number;
    const q3 = qv[3] as number;
    const q4 = qv[4] as number;
    const q5 = qv[5] as number;
    const q6 = qv[6] as number;
    const q7 = qv[7] as number;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (scoredAt[i] !== generation) {
        if (bounded && count === k) {
          const at = i * BOUND_DIMS;
          let bound =
            queryRest * (restNorms[i] as number) +
            q0 * (lead[at] as number) +
            q1 * (lead[at + 1] as number) +
            q2 * (lead[at + 2] as number) +
            q3 * (lead[at + 3] as number) +
            q4 * (lead[at + 4] as number) +
            q5 * (lead[at + 5] as number) +
            q6 * (lead[at + 6] as number) +
            q7 * (lead[at + 7] as number);
          const t = typeCos[typeOf[i] as number] as number;
          if (t > bound) bound = t;
          let bits = words[i] as number;
          for (let j = 0; bits !== 0; j++, bits >>>= 1) if (bits & 1) bound += shares[j] as number;
          if (bound + BOUND_SLACK < (scores[best[k - 1] as number] as number)) continue;
        }
        this.scoreEntry(i, qv, dims, typeCos, postings.length);
        scoredAt[i] = generation;
      }
      const sc = scores[i] as number;
      if (count === k && sc <= (scores[best[k - 1] as number] as number)) continue;
      let at = count < k ? count++ : k - 1;
      while (at > 0 && (scores[best[at - 1] as number] as number) < sc) {
        best[at] = best[at - 1] as number;
        at--;
      }
      best[at] = i;
    }
    const out: Entry[] = [];
    for (let j = 0; j < count; j++) out.push(this.list[best[j] as number] as Entry);
    // A general-purpose model covers any topic, so the best one always gets a careful look (the
    // first of the best; one that cannot beat it, as bounded above, is passed over).
    let general = -1;
    for (const i of this.generalists) {
      if (scoredAt[i] !== generation) {
        if (
          bounded &&
          general >= 0 &&
          this.scoreBound(i, qv, queryRest, typeCos, postings.length) < (scores[general] as number)
        )
          continue;
        this.scoreEntry(i, qv, dims, typeCos, postings.length);
        scoredAt[i] = generation;
      }
      if (general < 0 || (scores[i] as number) > (scores[general] as number)) general = i;
    }
    if (general >= 0) {
      const g = this.list[general] as Entry;
      if (!out.includes(g)) out.push(g);
    }
    // So does the retrieval project nearest the intent's topic: it may share no word with it.
    // Its topic cosine follows from the scan's: for unit q, e and background b,
    // cos(q⊥, e⊥) = (q·e − (q·b)(e·b)) / (|q⊥| |e⊥|) — the same approximation as the scan's,
    // bounded as its cosine is.
    const qb = query.backgroundDot;
    const qn = query.topicNorm;
    let nearest = -1;
    let nearestCos = -Infinity;
    for (let j = 0; j < this.retrievals.length; j++) {
      const i = this.retrievals[j] as number;
      const background = qb * (this.retrievalBackground[j] as number);
      const norm = qn * (this.retrievalNorm[j] as number);
      if (scoredAt[i] !== generation) {
        if (bounded && nearest >= 0 && (this.cosineBound(i, qv, queryRest) - background) / norm < nearestCos)
          continue;
        this.scoreEntry(i, qv, dims, typeCos, postings.length);
        scoredAt[i] = generation;
      }
      const cos = ((dots[i] as number) - background) / norm;
      if (cos > nearestCos) {
        nearestCos = cos;
        nearest = i;
      }
    }
    if (nearest >= 0 && nearestCos > TOPIC_LOW) {
      const r = this.list[nearest] as Entry;
      if (!out.includes(r)) out.push(r);
    }
    return out;
  }

  /**
   * What stage 1 needs of an intent besides its vector, computed once per analyzed intent (the
   * index has not changed since: a change drops every analysis): each listed type's best example
   * cosine, the vector in the projection, and its background component.
   */
  private prepareStage1(query: Query): void {
    const fv = query.vector;
    const fullDims = this.embedder.dimensions;
    // Examples are few and what tells them apart is not what tells capabilities apart: they use
    // the full vectors.
    const typeCos = new Float32Array(this.listTypeProfiles.length);
    const em = this.exampleMatrix;
    const exampleType = this.exampleTypeIndex;
    for (let r = 0; r < exampleType.length; r++) {
      const dot = dotAt(fv, 0, em, r * fullDims, fullDims);
      const t = exampleType[r] as number;
      if (dot > (typeCos[t] as number)) typeCos[t] = dot;
    }
    query.typeCos = typeCos;
    query.stage1Build = this.builds;
    if (this.projection) {
      const projected = new Float32Array(this.projection.k);
      project(this.projection, fv, 0, projected, 0);
      query.projected = projected;
      let sq = 0;
      for (let d = BOUND_DIMS; d < projected.length; d++) sq += (projected[d] as number) ** 2;
      query.restNorm = Math.sqrt(sq);
    }
    // For the topic cosine of retrieval projects (`stage1`).
    const b = this.backgroundVector;
    let qb = 0;
    let qq = 0;
    for (let d = 0; d < b.length && d < fv.length; d++) qb += (fv[d] as number) * (b[d] as number);
    for (let d = 0; d < fv.length; d++) qq += (fv[d] as number) ** 2;
    query.backgroundDot = qb;
    query.topicNorm = Math.sqrt(Math.max(1e-12, qq - qb * qb));
  }

  /**
   * `scores[i]` (and `dots[i]`): the larger of its cosine and its type's best example's, plus the
   * share of each intent word it has — added in the words' order, rounded as a float32 each time.
   */
  private scoreEntry(i: number, qv: Float32Array, dims: number, typeCos: Float32Array, words: number): void {
    const dot = dotAt(qv, 0, this.matrix, i * dims, dims);
    const t = typeCos[this.listTypeIndex[i] as number] as number;
    this.dotBuffer[i] = dot;
    let s = Math.fround(dot > t ? dot : t);
    let bits = this.wordBits[i] as number;
    for (let j = 0; j < words && bits !== 0; j++, bits >>>= 1)
      if (bits & 1) s = Math.fround(s + (this.shareBuffer[j] as number));
    this.scoreBuffer[i] = s;
  }

  /** An upper bound of entry i's projected cosine (`stage1`; a projection of `BOUND_DIMS`+ dims). */
  private cosineBound(i: number, qv: Float32Array, queryRest: number): number {
    const m = this.leadMatrix;
    const at = i * BOUND_DIMS;
    let bound = queryRest * (this.restNorms[i] as number) + BOUND_SLACK;
    for (let d = 0; d < BOUND_DIMS; d++) bound += (qv[d] as number) * (m[at + d] as number);
    return bound;
  }

  /** An upper bound of entry i's stage-1 score (`stage1`, `scoreEntry`). */
  private scoreBound(
    i: number,
    qv: Float32Array,
    queryRest: number,
    typeCos: Float32Array,
    words: number,
  ): number {
    let bound = this.cosineBound(i, qv, queryRest);
    const t = (typeCos[this.listTypeIndex[i] as number] as number) + BOUND_SLACK;
    if (t > bound) bound = t;
    let bits = this.wordBits[i] as number;
    for (let j = 0; j < words && bits !== 0; j++, bits >>>= 1)
      if (bits & 1) bound += this.shareBuffer[j] as number;
    return bound;
  }

  /** Every entry's score, the intent's words added in order (intents of many words). */
  private scoreAll(
    postings: readonly [readonly number[], number][],
    qv: Float32Array,
    dims: number,
    typeCos: Float32Array,
  ): void {
    this.wordBits.fill(0);
    for (let i = 0; i < this.list.length; i++) this.scoreEntry(i, qv, dims, typeCos, 0);
    const scores = this.scoreBuffer;
    for (const [post, add] of postings)
      for (let j = 0; j < post.length; j++) {
        const i = post[j] as number;
        scores[i] = (scores[i] as number) + add;
      }
  }

  /** The postings of the intent's words (each stem once) and each one's share of the intent. */
  private intentPostings(query: Query): [readonly number[], number][] {
    const out: [readonly number[], number][] = [];
    let total = 0;
    for (const w of query.words) total += w.weight;
    if (total <= 0) return out;
    const seen = new Set<string>();
    for (const w of query.words) {
      if (seen.has(w.word.stem)) continue;
      seen.add(w.word.stem);
      const post = this.postings.get(w.word.stem);
      if (post) out.push([post, w.weight / total]);
    }
    return out;
  }

  private rebuild(): void {
    if (!this.dirty) return;
    this.builds++;
    const dims = this.embedder.dimensions;
    this.list = [...this.entries.values()];
    const n = this.list.length;
    const full = new Float32Array(n * dims);
    this.postings = new Map();
    this.listTypeProfiles = [...new Set(this.list.map((e) => e.typeProfile))];
    const typeIds = new Map(this.listTypeProfiles.map((p, i) => [p, i]));
    this.listTypeIndex = Int32Array.from(this.list, (e) => typeIds.get(e.typeProfile) ?? 0);
    this.generalists = [];
    this.retrievals = [];
    this.list.forEach((e, i) => {
      if (e.generalist) this.generalists.push(i);
      if (e.topic) this.retrievals.push(i);
      full.set(e.vector.subarray(0, dims), i * dims);
      for (const st of e.stems) {
        let post = this.postings.get(st);
        if (!post) this.postings.set(st, (post = []));
        post.push(i);
      }
    });
    // A large index is scanned in the projection onto its principal directions.
    if (n >= PROJECT_FROM && this.projectionDims > 0 && dims > this.projectionDims) {
      const p = principalDirections(full, n, dims, this.projectionDims);
      this.projection = p;
      this.matrix = new Float32Array(n * p.k);
      for (let i = 0; i < n; i++) project(p, full, i * dims, this.matrix, i * p.k);
    } else {
      this.projection = null;
      this.matrix = full;
    }
    this.restNorms = new Float32Array(n);
    this.leadMatrix = new Float32Array(0);
    if (this.projection && this.projection.k >= BOUND_DIMS) {
      const k = this.projection.k;
      this.leadMatrix = new Float32Array(n * BOUND_DIMS);
      for (let i = 0; i < n; i++)
        this.leadMatrix.set(this.matrix.subarray(i * k, i * k + BOUND_DIMS), i * BOUND_DIMS);
      for (let i = 0; i < n; i++) {
        let sq = 0;
        for (let d = BOUND_DIMS; d < k; d++) sq += (this.matrix[i * k + d] as number) ** 2;
        this.restNorms[i] = Math.sqrt(sq);
      }
    }
    // Each retrieval project's component along the background, and the length of the rest.
    const b = this.backgroundVector;
    this.retrievalBackground = new Float32Array(this.retrievals.length);
    this.retrievalNorm = new Float32Array(this.retrievals.length);
    this.retrievals.forEach((i, j) => {
      const v = (this.list[i] as Entry).vector;
      let eb = 0;
      for (let d = 0; d < b.length && d < v.length; d++) eb += (v[d] as number) * (b[d] as number);
      this.retrievalBackground[j] = eb;
      this.retrievalNorm[j] = Math.sqrt(Math.max(1e-12, 1 - eb * eb));
    });
    const rows = this.listTypeProfiles.reduce((sum, p) => sum + p.matrix.length / dims, 0);
    this.exampleMatrix = new Float32Array(rows * dims);
    this.exampleTypeIndex = new Int32Array(rows);
    let row = 0;
    this.listTypeProfiles.forEach((p, t) => {
      this.exampleMatrix.set(p.matrix, row * dims);
      const end = row + p.matrix.length / dims;
      this.exampleTypeIndex.fill(t, row, end);
      row = end;
    });
    this.dirty = false;
  }

  // ---- index maintenance ---------------------------------------------------------------------

  private matcher(options: { signal?: AbortSignal }): Promise<WordMatcher> {
    if (!this.matcherPromise) {
      const source = this.wordVectorSource;
      const p = source
        ? source.wordVectors(options).then((t) => new WordMatcher(t))
        : Promise.resolve(new WordMatcher(null));
      this.matcherPromise = p;
      p.then(
        (m) => {
          if (this.matcherPromise === p) this.readyMatcher = m;
        },
        () => undefined,
      );
      p.catch(() => {
        if (this.matcherPromise === p) this.matcherPromise = null;
      });
    }
    return this.matcherPromise;
  }

  /**
   * The direction every request shares whatever it asks — the mean of the type example
   * utterances' vectors, a few hundred requests of every kind (unit length; zeros without
   * examples). Averaged word vectors all lean this way, so raw cosines between any request and a
   * long description sit high; without it, cosines say what a text is about (`withoutBackground`).
   * Embedded once; a failed embed is retried on the next `add`.
   */
  private background(options: { signal?: AbortSignal }): Promise<Float32Array> {
    if (!this.backgroundPromise) {
      const texts = Object.values(this.typeExamples).flatMap((list) => list.map((e) => e.text));
      const p = (texts.length > 0 ? this.embedder.embed(texts, options) : Promise.resolve([])).then(
        (vectors) => {
          // Read after the embed: an embedder may learn its dimensions from its first reply.
          const dims = this.embedder.dimensions;
          const mean = new Float32Array(dims);
          for (const v of vectors) {
            const u = unit(v);
            for (let d = 0; d < dims && d < u.length; d++) mean[d] = (mean[d] as number) + (u[d] as number);
          }
          this.backgroundVector = unit(mean);
          return this.backgroundVector;
        },
      );
      this.backgroundPromise = p;
      p.catch(() => {
        if (this.backgroundPromise === p) this.backgroundPromise = null;
      });
    }
    return this.backgroundPromise;
  }

  /** The stage-1 arrays are stale, and so are analyzed intents (idf, vocabulary and places changed). */
  private indexChanged(): void {
    this.dirty = true;
    this.indexVersion++;
    this.analyses.clear();
  }

  private removeKey(key: string): boolean {
    const old = this.entries.get(key);
    if (!old) return false;
    this.entries.delete(key);
    this.indexChanged();
    for (const s of old.stems) {
      const n = (this.df.get(s) ?? 1) - 1;
      if (n <= 0) this.df.delete(s);
      else this.df.set(s, n);
    }
    for (const head of this.headsOf(old.cap)) {
      const n = (this.placeHeads.get(head) ?? 1) - 1;
      if (n <= 0) this.placeHeads.delete(head);
      else this.placeHeads.set(head, n);
    }
    for (const lead of toolLeadsOf(old.cap)) {
      const n = (this.toolLeads.get(lead) ?? 1) - 1;
      if (n <= 0) this.toolLeads.delete(lead);
      else this.toolLeads.set(lead, n);
    }
    return true;
  }

  private profileText(cap: Capability): string {
    const { name, provider } = idWords(cap.id);
    const parts = [name, provider, cap.type.replace(/\//g, ' '), withoutNegations(cap.description)];
    for (const a of [...cap.tools, ...cap.triggers]) parts.push(`${a.name} ${a.description}`);
    for (const v of Object.values(cap.metadata)) parts.push(...metadataStrings(v));
    return parts.join('. ');
  }

  private placesOf(cap: Capability): string[] {
    return PLACE_KEYS.flatMap((k) => metadataStrings(cap.metadata[k]));
  }

  /** The head word (last word) of each of the capability's place names, stemmed. */
  private headsOf(cap: Capability): string[] {
    const heads = new Set<string>();
    for (const p of this.placesOf(cap)) {
      const words = tokenize(p).filter((w) => !STOP_WORDS.has(w));
      const last = words[words.length - 1];
      if (last) heads.add(stemOf(last));
    }
    return [...heads];
  }

  private typeProfile(
    type: string,
    matcher: WordMatcher,
    options: { signal?: AbortSignal },
  ): Promise<TypeProfile> {
    let p = this.typeProfiles.get(type);
    if (!p) {
      const examples = examplesForType(type, this.typeExamples);
      p = (
        examples.length
          ? this.embedder.embed(
              examples.map((e) => e.text),
              options,
            )
          : Promise.resolve([])
      ).then((vectors) => ({
        type,
        matrix: concatUnit(vectors, this.embedder.dimensions),
        examples: examples.map((example, i) => {
          const words = contentInfos(example.text, matcher);
          const actionWords = actionInfos(example.text, matcher).filter((w) => !LIGHT_VERBS.has(w.text));
          return {
            example,
            words,
            doc: asDoc(words),
            verb: exampleVerb(example.text, matcher),
            actionWords,
            actionDoc: asDoc(actionWords),
            objectWords: exampleObject(example.text, matcher),
            vector: unit(vectors[i]),
          };
        }),
      }));
      this.typeProfiles.set(type, p);
      p.catch(() => this.typeProfiles.delete(type));
    }
    return p;
  }

  private buildEntry(
    cap: Capability,
    key: string,
    matcher: WordMatcher,
    vector: Float32Array,
    typeProfile: TypeProfile,
    background: Float32Array,
  ): Entry {
    const byWord = new Map<WordInfo, number>();
    const add = (text: string, field: number): void => {
      for (const w of contentInfos(text, matcher)) byWord.set(w, Math.max(byWord.get(w) ?? 0, field));
    };
    const { name, provider } = idWords(cap.id);
    add(name, FIELD_WEIGHT.name);
    add(provider, FIELD_WEIGHT.provider);
    add(cap.type.replace(/\//g, ' '), FIELD_WEIGHT.type);
    add(withoutNegations(cap.description), FIELD_WEIGHT.description);
    for (const [k, v] of Object.entries(cap.metadata))
      for (const s of metadataStrings(v))
        // Its declared domain says what it is about, as its name does.
        add(
          s,
          SPECIALTY_KEYS.includes(k)
            ? FIELD_WEIGHT.name
            : HOST_KEYS.includes(k)
              ? FIELD_WEIGHT.host
              : FIELD_WEIGHT.metadata,
        );
    const actions: ActionProfile[] = [];
    for (const [kind, list] of [
      ['tool', cap.tools],
      ['trigger', cap.triggers],
    ] as const) {
      list.forEach((a, poolIndex) => {
        add(`${a.name} ${a.description}`, FIELD_WEIGHT.action);
        const words = actionInfos(`${a.name} ${a.description}`, matcher);
        const lead = tokenize(a.name)[0] ?? '';
        actions.push({
          name: a.name,
          kind,
          words,
          doc: asDoc(words),
          nameWords: actionInfos(a.name, matcher),
          lead,
          describedBy: contentInfos(a.description, matcher)[0] ?? null,
          poolIndex,
          reads: READ_VERBS.has(lead),
          edits: /edit|modify/.test(a.name),
          sets:
            !READ_VERBS.has(lead) &&
            (/\d\s*%|\d-\d/.test(a.description) || words.some((w) => LEVEL_WORDS.has(w.stem))),
        });
      });
    }
    const words = [...byWord].map(([word, field]) => ({ word, field }));
    // Where it is: its place metadata, plus its own name ("front-door" camera) when it has a place.
    const places = new Set<string>();
    const placeNames = this.placesOf(cap);
    if (placeNames.length > 0) placeNames.push(name);
    for (const p of placeNames) for (const w of tokenize(p)) if (!STOP_WORDS.has(w)) places.add(stemOf(w));
    // What it can be asked to do: its tools' names and the verbs of its type's example commands.
    const actionWords = uniq([
      ...actions.filter((a) => a.kind === 'tool').flatMap((a) => a.nameWords),
      ...typeProfile.examples.flatMap((e) => (e.verb ? [e.verb] : [])),
    ]);
    const generalist = cap.type === 'llm/chat' && !SPECIALTY_KEYS.some((k) => cap.metadata[k] !== undefined);
    // A specialist model is for its domain ("code"). (Retrieval projects are not held to this:
    // their documents cover more than their domain's words say.)
    const domainWords =
      cap.type !== 'llm/chat'
        ? []
        : uniq(
            SPECIALTY_KEYS.flatMap((k) => metadataStrings(cap.metadata[k])).flatMap((t) =>
              contentInfos(t, matcher),
            ),
          );
    const nameWords = uniq([
      ...contentInfos(name, matcher),
      ...placeNames.flatMap((p) => contentInfos(p, matcher)),
    ]);
    const topicWords = isRetrieval(cap.type) ? topicWordsOf(cap, words, actions, matcher) : [];
    const hints: [ExampleProfile, number, number][] = [];
    for (const e of typeProfile.examples) {
      if (!e.example.hint) continue;
      actions.forEach((a, i) => {
        const m = hintMatch(e.example.hint as string, a.nameWords, matcher);
        if (m > 0) hints.push([e, i, m]);
      });
    }
    return {
      cap,
      key,
      words,
      wordIds: Int32Array.from(words, (d) => d.word.id),
      wordFields: Float64Array.from(words, (d) => d.field),
      stems: new Set(words.map((w) => w.word.stem)),
      places,
      actions,
      tools: actions.filter((a) => a.kind === 'tool'),
      triggers: actions.filter((a) => a.kind === 'trigger'),
      actionWords,
      typeProfile,
      vector,
      generalist,
      domainWords,
      media: mediaOfCapability(cap.type, words),
      producesOnly: producesOnly(cap.type, actions),
      generates: cap.type.split('/')[1] === 'generate',
      nameWords,
      typeWords: contentInfos(cap.type.replace(/\//g, ' '), matcher),
      phrases: new Set(
        [
          withoutNegations(cap.description),
          ...[...cap.tools, ...cap.triggers].flatMap((a) => [a.name, a.description]),
          ...Object.values(cap.metadata).flatMap((v) => metadataStrings(v)),
        ].flatMap(phrasesOf),
      ),
      answers: words.some((d) => ANSWER_STEMS.has(d.word.stem)),
      hints,
      topic: isRetrieval(cap.type) ? withoutBackground(vector, background) : null,
      topicWords,
      anchorable: Uint8Array.from(words, (d) =>
        !isRetrieval(cap.type) || topicWords.includes(d.word) ? 1 : 0,
      ),
      negatedWords: uniq(negationsOf(cap.description).flatMap((t) => contentInfos(t, matcher))),
    };
  }

  private idf(stemText: string): number {
    const n = this.entries.size;
    if (n < 2) return 1;
    const d = this.df.get(stemText) ?? 0;
    return 1 - IDF_SHARE + (IDF_SHARE * Math.log((n + 1) / (d + 1))) / Math.log(n + 1);
  }

  private thresholdFor(type: string): number {
    let found = this.thresholdCache.get(type);
    if (found === undefined) {
      found = this.threshold;
      for (let t = type; t; t = t.includes('/') ? t.slice(0, t.lastIndexOf('/')) : '') {
        const own = (k: string): number | undefined =>
          Object.hasOwn(this.typeThresholds, k) ? this.typeThresholds[k] : undefined;
        const exact = own(t) ?? own(`${t}/*`);
        if (exact !== undefined) {
          found = exact;
          break;
        }
      }
      this.thresholdCache.set(type, found);
    }
    return found;
  }

  // ---- scoring -------------------------------------------------------------------------------

  private async prepare(
    text: string,
    matcher: WordMatcher,
    options: { signal?: AbortSignal },
  ): Promise<Query> {
    const cached = this.analyses.get(text);
    if (cached) {
      // Most recently used last.
      this.analyses.delete(text);
      this.analyses.set(text, cached);
      return cached;
    }
    const version = this.indexVersion;
    const query = await this.analyze(text, matcher, options);
    // Not when the index changed meanwhile (idf, vocabulary, places), nor without a vector (the
    // embedder failed: the next route tries it again).
    if (version === this.indexVersion && query.unembedded === null) {
      this.analyses.set(text, query);
      if (this.analyses.size > ANALYSIS_CACHE_SIZE) {
        const oldest = this.analyses.keys().next().value;
        if (oldest !== undefined) this.analyses.delete(oldest);
      }
    }
    return query;
  }

  private async analyze(
    text: string,
    matcher: WordMatcher,
    options: { signal?: AbortSignal },
  ): Promise<Query> {
    const analyzed: AnalyzedIntent = Object.assign(analyzeIntent(rewritePhrases(text)), { text });
    const words: IntentWord[] = [];
    const actionWords: IntentWord[] = [];
    let verb: IntentWord | null = null;
    const object: IntentWord[] = [];
    const objectTokens = objectPhrase(analyzed);
    const rows: WordInfo[] = [];
    const seen = new Set<WordInfo>();
    for (const token of analyzed.tokens) {
      const isParticle = PARTICLES.has(token);
      if (STOP_WORDS.has(token) && !isParticle) continue;
      let w = matcher.word(token);
      let factor = 1;
      let specific = 1;
      if (!w.known && !this.vocabulary.has(w.text)) {
        const fixed = matcher.correct(token, this.vocabulary.values());
        if (fixed) {
          w = fixed;
          specific = CORRECTED_SPECIFICITY;
        } else if (synonymsOf(w).length === 0) factor = UNKNOWN_WORD_FACTOR;
        // (A word with stand-ins is a word whose meaning is known, not a name: "cria".)
      }
      if (seen.has(w)) continue;
      seen.add(w);
      // (A rarer first word is a verb too when it leads a tool's name: "transcribe", "summarize".)
      const isVerb =
        analyzed.verb === token &&
        !LIGHT_VERBS.has(token) &&
        w.known &&
        (w.weight <= COMMON_VERB_WEIGHT || this.toolLeads.has(w.stem));
      const isObject = objectTokens.has(token);
      const base = w.weight * this.idf(w.stem) * factor;
      const specificity = Math.min(1, base * specific);
      const iw = {
        word: w,
        weight: isVerb ? base * VERB_BOOST : base,
        specificity,
        nameSpecificity: specificity ** NAME_SPECIFICITY_EXPONENT,
        row: rows.length,
      };
      rows.push(w);
      if (isVerb) verb = iw;
      if (isObject) object.push(iw);
      actionWords.push(iw);
      if (!STOP_WORDS.has(token)) words.push(iw);
    }
    const media = mediaOf(analyzed.tokens);
    const givenMedia = givenMediumIn(analyzed.tokens);
    // Alternatives about a picture ("a husky or a malamute?") ask which label fits it.
    const choice = media.has('image') && analyzed.tokens.includes('or') ? CHOICE_WORDS : [];
    const implied = [...analyzed.implied, ...(analyzed.hasCode ? CODE_WORDS : []), ...choice];
    const impliedWords: IntentWord[] = [];
    for (const t of implied) {
      const w = matcher.word(t);
      if (seen.has(w)) continue;
      seen.add(w);
      // Source code in the request is decisive evidence; "who" → person is a hint.
      const weight = (CODE_WORDS.includes(t) ? 1 : IMPLIED_WEIGHT) * this.idf(w.stem);
      const iw = {
        word: w,
        weight,
        specificity: weight,
        nameSpecificity: weight ** NAME_SPECIFICITY_EXPONENT,
        row: rows.length,
      };
      rows.push(w);
      words.push(iw);
      actionWords.push(iw);
      impliedWords.push(iw);
    }
    // Stand-ins for words the vectors do not relate ("dim" → brightness): alternatives of their
    // word in the similarity memo, never words of their own.
    const alts: WordInfo[][] = rows.map((w) =>
      synonymsOf(w)
        .map((t) => matcher.word(t))
        .filter((sw) => !seen.has(sw)),
    );
    const altTexts = alts.flat().map((w) => w.text);
    const { vector, unembedded } = await this.embedIntent(
      [analyzed.body, ...implied, ...altTexts].join(' '),
      options,
    );
    const places = new Set<string>();
    // A place some capability is at, or any room of a home: a device in the kitchen does not serve
    // "the bathroom fan", whether or not anything is in the bathroom.
    for (const w of words)
      if (this.placeHeads.has(w.word.stem) || ROOM_STEMS.has(w.word.stem)) places.add(w.word.stem);
    const placeList = [...places];
    return {
      analyzed,
      words,
      actionWords,
      vector: vector ?? new Float32Array(this.embedder.dimensions),
      topic: withoutBackground(vector ?? new Float32Array(this.embedder.dimensions), this.backgroundVector),
      verb,
      implied: impliedWords,
      object,
      sims: NO_SIMILARITIES,
      rows,
      alternatives: alts,
      typeCos: null,
      stage1Build: -1,
      projected: null,
      topicNorm: 0,
      backgroundDot: 0,
      restNorm: 0,
      media: [...media],
      givenMedia,
      switchTo: switchParticle(analyzed),
      places: placeList,
      phrases: phrasesOf(analyzed.body),
      typeScores: new Map(),
      unembedded,
    };
  }

  /**
   * The intent's vector. When the embedder fails (a model server that stopped answering), the
   * route goes on without it — on words, type examples' words and places — rather than failing;
   * the reason says so. An abort is not a failure of the embedder and is rethrown.
   */
  private async embedIntent(
    text: string,
    options: { signal?: AbortSignal },
  ): Promise<{ vector: Float32Array | undefined; unembedded: string | null }> {
    try {
      const [vector] = await this.embedder.embed([text], options);
      if (this.intentEmbedFailing) {
        this.intentEmbedFailing = false;
        this.log.info({ embedder: this.embedder.id }, 'the embedder answers again');
      }
      return { vector, unembedded: null };
    } catch (err) {
      if (options.signal?.aborted === true || (err as { code?: unknown } | null)?.code === 'aborted')
        throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (!this.intentEmbedFailing) {
        this.intentEmbedFailing = true;
        this.log.warn(
          { embedder: this.embedder.id, err: message },
          'cannot embed intents: routing on words alone until the embedder answers again',
        );
      }
      return {
        vector: undefined,
        unembedded: `intent not embedded by ${this.embedder.id} (${message}): matched on words alone`,
      };
    }
  }

  /** Weighted share of the intent's words that `doc` covers. */
  private align(words: readonly IntentWord[], doc: readonly DocWord[], sims: QuerySimilarities): number {
    let num = 0;
    let den = 0;
    for (const q of words) {
      let best = 0;
      for (const d of doc) {
        const s = similarityOf(sims, q.row, d.word) * d.field;
        if (s > best) {
          best = s;
          if (best >= 1) break;
        }
      }
      num += q.weight * best;
      den += q.weight;
    }
    return den > 0 ? num / den : 0;
  }

  /** Share of `words` (by their own weight) that the intent covers. */
  private coverage(
    words: readonly WordInfo[],
    intent: readonly IntentWord[],
    sims: QuerySimilarities,
  ): number {
    let num = 0;
    let den = 0;
    for (const w of words) {
      let best = 0;
      for (const q of intent) best = Math.max(best, similarityOf(sims, q.row, w));
      num += w.weight * best;
      den += w.weight;
    }
    return den > 0 ? num / den : 0;
  }

  private typeScore(
    query: Query,
    profile: TypeProfile,
  ): { score: number; byExample: Map<TypeExample, number> } {
    let t = query.typeScores.get(profile.type);
    if (!t) {
      let score = 0;
      const byExample = new Map<TypeExample, number>();
      for (const e of profile.examples) {
        const s = harmonic(
          this.align(query.words, e.doc, query.sims),
          this.coverage(e.words, query.words, query.sims),
        );
        byExample.set(e.example, s);
        score = Math.max(score, s);
      }
      t = { score, byExample };
      query.typeScores.set(profile.type, t);
    }
    return t;
  }

  private semanticScore(query: Query, entry: Entry): Semantic {
    const sims = query.sims;
    const form = query.analyzed.form;
    // One pass: how much of the intent its words cover, and the strongest single piece of evidence —
    // a rare, specific word it shares ("alpaca", "venv"). A word of its name says what it is, so it
    // counts as more specific than the word alone.
    let num = 0;
    let den = 0;
    let anchor = 0;
    let anchorWord = '';
    let second = 0;
    const words = entry.words;
    const ids = entry.wordIds;
    const fields = entry.wordFields;
    const anchorable = entry.anchorable;
    const intentWords = query.words;
    const placeless = entry.places.size === 0 && query.places.length > 0;
    for (let qi = 0; qi < intentWords.length; qi++) {
      const q = intentWords[qi] as IntentWord;
      const row = sims.rows[q.row] as SimilarityRow;
      // A place the intent names matches a capability that is at no place only word for word
      // ("office" in "the GPU workstation in the home office"), not by a nearby word ("upstairs"
      // for "living-room", where a chat model's computer stands).
      const literal = placeless && query.places.includes(q.word.stem);
      let best = 0;
      let a = 0;
      for (let k = 0; k < ids.length; k++) {
        let m = row[ids[k] as number] as number;
        if (!(m >= 0)) m = sims.fill(q.row, (words[k] as DocWord).word);
        if (m === 0 || (literal && m < SAME)) continue;
        const field = fields[k] as number;
        const covered = m * field;
        if (covered > best) best = covered;
        if (anchorable[k] !== 1) continue;
        const ev = m * (field >= FIELD_WEIGHT.name ? q.nameSpecificity : q.specificity * field);
        if (ev > a) a = ev;
      }
      num += q.weight * best;
      den += q.weight;
      if (a > anchor) {
        second = anchor;
        anchor = a;
        anchorWord = q.word.text;
      } else if (a > second) {
        second = a;
      }
    }
    const matched = den > 0 ? num / den : 0;
    // A general-purpose model takes any topic — but a command only when its verb is a language
    // task it does ("write", "summarize"), not "book" or "order".
    let general = entry.generalist;
    if (general && form === 'command' && query.verb)
      general = bestOf(sims, query.verb.row, entry.actionWords) >= CLEAR;
    const floor = form === 'question' ? GENERALIST_QUESTION_FLOOR : GENERALIST_FLOOR;
    const own = general ? floor + (1 - floor) * matched : matched;
    const examples = this.typeScore(query, entry.typeProfile).score;
    // A retrieval project is about a topic: how near the intent is to it, as a whole text.
    let topic = 0;
    if (entry.topic) {
      let dot = 0;
      const t = entry.topic;
      const qt = query.topic;
      for (let d = 0; d < t.length; d++) dot += (t[d] as number) * (qt[d] as number);
      topic = Math.max(0, Math.min(1, (dot - TOPIC_LOW) / (TOPIC_HIGH - TOPIC_LOW)));
    }
    let s = Math.max(
      (Math.max(own, 0.9 * examples) + 0.3 * Math.min(own, examples)) / 1.3,
      ANCHOR_SHARE * (anchor + SECOND_ANCHOR_SHARE * second * (1 - anchor)),
      TOPIC_SHARE * topic,
    );
    // Any question is the general model's topic: it answers at least at its floor.
    if (general && form === 'question') s = Math.max(s, GENERALIST_QUESTION_FLOOR);
    // A command whose verb is what the capability is (its type) and that says one of its tools'
    // names ("*search* for ..." to `search/web`, "*transcribe* ..."; not "*find* reviews" for
    // `find_free_slot`, nor "*send* flowers" to `notify/push`) asks for it, whatever else it
    // names — but the factors below still apply.
    const verb = query.verb;
    if (
      form === 'command' &&
      verb &&
      bestOf(sims, verb.row, entry.typeWords) >= SAME &&
      entry.tools.some((a) => this.namesTool(query, a))
    )
      s = Math.max(s, VERB_TOOL_FLOOR);
    let notes = 0;
    // Two of its words side by side, as the intent has them ("opening hours"), say more than each.
    if (query.phrases.some((p) => entry.phrases.has(p))) {
      s += PHRASE_BONUS * (1 - s);
      notes |= NOTE_PHRASE;
    }
    if (entry.generalist)
      for (const medium of query.media)
        if (!entry.media.has(medium)) {
          s *= MEDIUM_MISS;
          notes |= NOTE_MEDIUM_TEXT;
        }

    if (query.analyzed.explains && !entry.answers) {
      s *= NOT_ANSWERING;
      notes |= NOTE_NOT_ANSWERING;
    }
    let negatedWord = '';
    if (entry.negatedWords.length > 0) {
      // Asking for what it says it cannot do ("the latest news" of a model with "no knowledge of
      // recent events"): the best-matching such word decides.
      let n = 0;
      for (const q of intentWords)
        for (const w of entry.negatedWords) {
          const m = similarityOf(sims, q.row, w);
          if (m > n) {
            n = m;
            negatedWord = w.text;
          }
        }
      if (n >= CLEAR) {
        s *= NEGATED;
        notes |= NOTE_NEGATED;
      }
    }
    if (entry.domainWords.length > 0 && form !== 'subscribe') {
      let d = 0;
      for (const w of entry.domainWords)
        for (const q of intentWords) d = Math.max(d, similarityOf(sims, q.row, w));
      if (d < CLEAR) {
        s *= OFF_SPECIALTY + ((1 - OFF_SPECIALTY) * d) / CLEAR;
        notes |= NOTE_OFF_SPECIALTY;
      }
    }
    if (entry.topic) {
      // A retrieval project answers about its documents' topic: some word besides the verb
      // ("explain", "find") has to be one of its words.
      let d = 0;
      for (const q of intentWords) {
        if (q === query.verb || LIGHT_VERBS.has(q.word.text)) continue;
        d = Math.max(d, bestOf(sims, q.row, entry.topicWords));
      }
      // A question with a word clearly of its topic ("refinance my *mortgage*") is as much its
      // to answer as the general model's: it answers at least at that model's floor.
      if (form === 'question' && d >= CLEAR) s = Math.max(s, GENERALIST_QUESTION_FLOOR);
      // A stand-in ("cria" → alpaca) is evidence enough, and so is the whole intent being on its topic.
      d = Math.max(d, topic);
      if (d < SYNONYM_WEIGHT) {
        s *= OFF_DOMAIN + ((1 - OFF_DOMAIN) * d) / SYNONYM_WEIGHT;
        notes |= NOTE_OFF_TOPIC;
      }
    }
    if (form === 'subscribe') {
      let t = -1;
      for (const a of entry.actions)
        if (a.kind === 'trigger') t = Math.max(t, this.align(intentWords, a.doc, sims));
      if (t < 0) {
        s *= NO_TRIGGER;
        notes |= NOTE_NO_TRIGGERS;
      } else {
        s = (1 - TRIGGER_SHARE) * s + TRIGGER_SHARE * t;
      }
    } else if (query.verb) {
      // A command must be something one of its tools does: its verb (in a tool's name, or leading
      // its description), or its object in a tool's name — unless the verb is a specific action that
      // leads another capability's tool's name ("*summarize* this email" is not for `send_email`).
      let v = bestOf(sims, query.verb.row, entry.actionWords);
      const specificVerb =
        query.verb.word.weight > COMMON_VERB_WEIGHT && this.toolLeads.has(query.verb.word.stem);
      for (const a of entry.actions) {
        if (a.kind !== 'tool') continue;
        if (a.describedBy)
          v = Math.max(v, TOOL_DESCRIPTION_SHARE * similarityOf(sims, query.verb.row, a.describedBy));
        if (specificVerb) continue;
        // Every content word of its name must be there: "reviews" alone is not `review_code`.
        let covered = 0;
        let count = 0;
        for (const n of a.nameWords) {
          let m = 0;
          for (const q of intentWords) m = Math.max(m, similarityOf(sims, q.row, n));
          if (!LIGHT_VERBS.has(n.text) && !PARTICLES.has(n.text)) {
            covered += m;
            count++;
          }
          v = Math.max(v, 0.85 * 0.9 * m);
        }
        if (count > 0) v = Math.max(v, (0.9 * covered) / count);
      }
      if (v < CLEAR) {
        s *= VERB_MISS + ((1 - VERB_MISS) * v) / CLEAR;
        notes |= NOTE_VERB_MISS;
      }
    }
    // "start the washing machine", "set ...": a command to act, to a capability that only reads.
    if (
      form === 'command' &&
      query.analyzed.verb !== null &&
      ACTING_LIGHT_VERBS.has(query.analyzed.verb) &&
      entry.tools.length > 0 &&
      entry.tools.every((a) => a.reads)
    ) {
      s *= READ_ONLY;
      notes |= NOTE_READ_ONLY;
    }
    if (query.switchTo && !switches(entry, query.switchTo)) {
      s *= VERB_MISS;
      notes |= NOTE_SWITCH_MISS;
    }
    // What a light-verb command acts on has to be something the capability knows; so does what any
    // command acts on for a device at a place ("unlock *my car*" is not for the front door's lock) —
    // not for a service, whose object is content ("email *my boss*").
    const lightVerb = query.analyzed.verb !== null && LIGHT_VERBS.has(query.analyzed.verb);
    if (
      query.object.length > 0 &&
      !entry.generalist &&
      form === 'command' &&
      (lightVerb || entry.places.size > 0)
    ) {
      // Any word of the object phrase will do ("a watercolor-style *logo*").
      let o = 0;
      for (const object of query.object) {
        for (const d of words) o = Math.max(o, similarityOf(sims, object.row, d.word));
        for (const e of entry.typeProfile.examples) o = Math.max(o, bestOf(sims, object.row, e.objectWords));
      }
      // What is put *on the calendar* need not be anything it knows: the intent names the kind of
      // capability it goes to, outside the object and the verb.
      if (o < CLEAR) {
        for (const q of intentWords)
          if (
            !query.object.includes(q) &&
            q.word.text !== query.analyzed.verb &&
            bestOf(sims, q.row, entry.typeWords) >= SAME
          ) {
            o = CLEAR;
            break;
          }
      }
      if (o < CLEAR) {
        s *= OBJECT_MISS + ((1 - OBJECT_MISS) * o) / CLEAR;
        notes |= NOTE_OBJECT_MISS;
      }
    }
    if (query.media.length > 0 && !entry.generalist) {
      if (query.media.some((m) => entry.media.has(m))) {
        if (query.givenMedia && entry.producesOnly) {
          s *= OTHER_MEDIUM;
          notes |= NOTE_GIVEN_MEDIUM;
        } else if (query.givenMedia && form === 'question' && entry.generates) {
          // A question about a picture it is given ("is this a sunset?") is not one to draw.
          s *= NOT_ANSWERING;
          notes |= NOTE_ASKED_GENERATOR;
        } else {
          s += MEDIUM_BONUS * (1 - s);
          notes |= NOTE_MEDIUM_BONUS;
        }
      } else if (entry.media.size > 0) {
        s *= OTHER_MEDIUM;
        notes |= NOTE_OTHER_MEDIUM;
      }
    }
    if (query.places.length > 0 && entry.places.size > 0) {
      if (query.places.every((p) => hasPlace(entry.places, p))) {
        // It is where the intent says ("the upstairs *hall*" of the upstairs hallway's sensor).
        s += PLACE_BONUS * (1 - s);
        notes |= NOTE_PLACE_MATCH;
      } else {
        s *= PLACE_MISMATCH;
        notes |= NOTE_PLACE_MISMATCH;
      }
    }
    return {
      semantic: Math.max(0, Math.min(1, s)),
      own,
      examples,
      anchor,
      anchorWord,
      topic,
      notes,
      negatedWord,
    };
  }

  /** Whether the command's verb is the first word of the tool's name and it says the rest too. */
  private namesTool(query: Query, tool: ActionProfile): boolean {
    const verb = query.verb;
    const [lead, ...rest] = tool.nameWords;
    if (!verb || !lead || similarityOf(query.sims, verb.row, lead) < SAME) return false;
    return rest.every((n) => query.words.some((q) => similarityOf(query.sims, q.row, n) >= SAME));
  }

  /** The reasons for a semantic score, in the order its factors applied. */
  private reasonsOf(query: Query, entry: Entry, sem: Semantic): string[] {
    const reasons = [
      `matches its description ${formatScore(sem.own)}, examples of ${entry.cap.type} ${formatScore(sem.examples)}` +
        (sem.anchor > 0.3 ? `, strongest word "${sem.anchorWord}" ${formatScore(sem.anchor)}` : '') +
        (sem.topic > 0 ? `, its topic ${formatScore(sem.topic)}` : ''),
    ];
    const notes = sem.notes;
    if (notes & NOTE_PHRASE)
      reasons.push(
        `shares "${query.phrases.filter((p) => entry.phrases.has(p)).join('", "')}" word for word`,
      );
    if (notes & NOTE_MEDIUM_TEXT)
      for (const medium of query.media)
        if (!entry.media.has(medium)) reasons.push(`the intent is about ${medium}; it works with text`);
    if (notes & NOTE_NOT_ANSWERING)
      reasons.push('the intent asks for an explanation; it does not answer questions');
    if (notes & NOTE_NEGATED) reasons.push(`its description says it does not do "${sem.negatedWord}"`);
    if (notes & NOTE_OFF_SPECIALTY)
      reasons.push(
        `a specialist in ${entry.domainWords.map((w) => w.text).join(' ')}; the intent is not about it`,
      );
    if (notes & NOTE_OFF_TOPIC) reasons.push('no word of the intent besides its verb is about its documents');
    if (notes & NOTE_NO_TRIGGERS)
      reasons.push('asks to be told when something happens, but it has no triggers');
    if (notes & NOTE_VERB_MISS) reasons.push(`none of its tools does "${query.verb?.word.text ?? ''}"`);
    if (notes & NOTE_READ_ONLY)
      reasons.push(`asks it to ${query.analyzed.verb ?? ''} something; its tools only read`);
    if (notes & NOTE_SWITCH_MISS) reasons.push(`none of its tools switches "${query.switchTo ?? ''}"`);
    if (notes & NOTE_OBJECT_MISS)
      reasons.push(`it knows nothing like "${query.object.map((w) => w.word.text).join(' ')}"`);
    const media = query.media.join(' and ');
    if (notes & NOTE_GIVEN_MEDIUM) reasons.push(`the intent brings its own ${media}; it only makes new ones`);
    if (notes & NOTE_ASKED_GENERATOR)
      reasons.push(`the intent asks about its own ${media}; it makes new ones`);
    if (notes & NOTE_MEDIUM_BONUS) reasons.push(`works with ${media}, as the intent asks`);
    if (notes & NOTE_OTHER_MEDIUM) reasons.push(`the intent is about ${media}; it works with another medium`);
    if (notes & NOTE_PLACE_MATCH) reasons.push(`it is at ${query.places.join(', ')}, as the intent says`);
    if (notes & NOTE_PLACE_MISMATCH) {
      const missing = query.places.filter((p) => !hasPlace(entry.places, p));
      reasons.push(`intent names ${missing.join(', ')}; it is elsewhere`);
    }
    if (notes & NOTE_GENERAL_YIELDS)
      reasons.push('general-purpose: yields to a specialist that matches about as well');
    return reasons;
  }

  private chooseTool(query: Query, entry: Entry): ToolChoice | null {
    let pool = query.analyzed.form === 'subscribe' ? entry.triggers : entry.tools;
    if (pool.length === 0) pool = entry.tools;
    const only = pool[0];
    if (!only) return null;
    if (pool.length === 1) return { name: only.name, kind: only.kind, score: 1 };
    // "lamp on": the tool named for switching on, whatever else the intent's words match.
    if (query.switchTo && only.kind === 'tool') {
      const to = query.switchTo;
      const named = pool.find((a) => a.nameWords.some((w) => w.text === to));
      if (named) return { name: named.name, kind: named.kind, score: 1 };
    }
    const poolKind = only.kind;
    const sims = query.sims;
    // Words that tell tools apart: not light verbs ("turn"), not the capability's own name or place
    // — unless the word is what a command does or the intent implies, and names one of the tools
    // ("*translate* this" to nllb/translate; not "did I *lock* the door?").
    const words = query.actionWords.filter(
      (q) =>
        !LIGHT_VERBS.has(q.word.text) &&
        (bestOf(sims, q.row, entry.nameWords) < SAME ||
          ((q.word.text === query.analyzed.verb || query.implied.includes(q)) &&
            pool.some((a) => bestOf(sims, q.row, a.nameWords) >= SAME))),
    );
    const nw = words.length;
    const np = pool.length;
    // A word of the tool's name says more than a word of its description: matches[i * nw + j].
    if (this.matchBuffer.length < np * nw) this.matchBuffer = new Float64Array(2 * np * nw);
    const matches = this.matchBuffer;
    for (let i = 0; i < np; i++) {
      const a = pool[i] as ActionProfile;
      for (let j = 0; j < nw; j++) {
        const row = (words[j] as IntentWord).row;
        let m = bestOf(sims, row, a.nameWords);
        for (const w of a.words) m = Math.max(m, TOOL_DESCRIPTION_SHARE * similarityOf(sims, row, w));
        matches[i * nw + j] = m;
      }
    }
    let total = 0;
    for (const q of words) total += q.weight;
    total = total || 1;
    // Example utterances of the type that name a tool kind ("dim the lights → set_brightness"),
    // compared with particles kept, so "lights on" and "lights off" differ. (An entry's hints come
    // grouped by example.)
    const hints =
      this.hintBuffer.length < np ? (this.hintBuffer = new Float64Array(2 * np)) : this.hintBuffer;
    hints.fill(0, 0, np);
    let lastExample: ExampleProfile | null = null;
    let es = 0;
    for (const [e, i, m] of entry.hints) {
      const a = entry.actions[i] as ActionProfile;
      if (a.kind !== poolKind) continue;
      const at = a.poolIndex;
      if (e !== lastExample) {
        es = harmonic(this.align(words, e.actionDoc, sims), this.coverage(e.actionWords, words, sims));
        lastExample = e;
      }
      hints[at] = Math.max(hints[at] as number, es * m);
    }
    const numbered =
      query.analyzed.form === 'command' &&
      query.analyzed.tokens.some((t) => /^\d+$/.test(t) || t === 'percent');
    let bestAt = -1;
    let bestRaw = -Infinity;
    let bestAbs = 0;
    for (let i = 0; i < np; i++) {
      const a = pool[i] as ActionProfile;
      // Each word counts by how much better this tool matches it than the tools on average.
      let lex = 0;
      let abs = 0;
      for (let j = 0; j < nw; j++) {
        const q = words[j] as IntentWord;
        const m = matches[i * nw + j] as number;
        let mean = 0;
        for (let r = 0; r < np; r++) mean += matches[r * nw + j] as number;
        mean /= np;
        lex += q.weight * (m - mean);
        abs += q.weight * m;
      }
      const hint = hints[i] as number;
      let raw = lex / total + HINT_SHARE * hint;
      // A question asks to read something ("is the door locked?"), not to change it.
      if (query.analyzed.form === 'question' && a.kind === 'tool' && a.reads) raw += QUESTION_READ_BONUS;
      // A number in a command is a level to set ("set the heat to 70").
      if (numbered && a.sets) raw += NUMBER_LEVEL_BONUS;
      // Editing needs a picture or sound to edit.
      if (!query.givenMedia && a.edits) raw -= EDIT_WITHOUT_MEDIUM;
      if (raw > bestRaw) {
        bestRaw = raw;
        bestAt = i;
        bestAbs = abs;
      }
    }
    if (bestAt < 0) return null;
    const chosen = pool[bestAt] as ActionProfile;
    return {
      name: chosen.name,
      kind: chosen.kind,
      score: round(Math.min(1, 0.6 * (bestAbs / total) + 0.4 * (hints[bestAt] as number))),
    };
  }
}

// ---- helpers -----------------------------------------------------------------------------------

/** Each two content words that stand side by side in a text (no punctuation between), as "stem stem". */
function phrasesOf(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[.,;:!?()]/)) {
    const t = tokenize(part);
    for (let i = 1; i < t.length; i++) {
      const a = t[i - 1] as string;
      const b = t[i] as string;
      if (!STOP_WORDS.has(a) && !STOP_WORDS.has(b) && !/\d/.test(a + b))
        out.push(`${stemOf(a)} ${stemOf(b)}`);
    }
  }
  return out;
}

/** The stems of the first words of a capability's tools' names, each once. */
function toolLeadsOf(cap: Capability): string[] {
  return [...new Set(cap.tools.flatMap((a) => tokenize(a.name).slice(0, 1)).map(stemOf))];
}

/** The best similarity of query word number `row` to any of `words` (0 for none). */
function bestOf(sims: QuerySimilarities, row: number, words: readonly WordInfo[]): number {
  let best = 0;
  for (let k = 0; k < words.length; k++) {
    const m = similarityOf(sims, row, words[k] as WordInfo);
    if (m > best) best = m;
  }
  return best;
}

/**
 * Whether one of its tools switches `on` or `off`: by its name (`turn_off`), or its description
 * names it as a setting ("Set the mode: heat, cool, auto or off").
 */
function switches(entry: Entry, to: string): boolean {
  for (const a of entry.actions)
    if (a.kind === 'tool') for (const w of a.words) if (w.text === to) return true;
  return false;
}

// Maps, not the object: an intent word such as "constructor" must not find Object's.
const SYNONYMS_BY_WORD = new Map<string, readonly string[]>(Object.entries(SYNONYMS));
const SYNONYMS_BY_STEM = new Map<string, readonly string[]>(
  Object.entries(SYNONYMS).map(([k, v]) => [stemOf(k), v]),
);

function synonymsOf(word: WordInfo): readonly string[] {
  return SYNONYMS_BY_WORD.get(word.text) ?? SYNONYMS_BY_STEM.get(word.stem) ?? [];
}

/**
 * A description without what it says the capability does not do ("Offline: no web access",
 * "No bounding boxes", "not a substitute for a lawyer"): those words are no evidence for it.
 */
export function withoutNegations(text: string): string {
  return text.replace(NEGATION, ' ');
}

const NEGATION = /\b(?:no|not|without|never|cannot|can't|doesn't|does not)\b[^.;:,()]*/gi;

/** What a description says the capability does not do: the phrases `withoutNegations` drops. */
export function negationsOf(text: string): string[] {
  return text.match(NEGATION) ?? [];
}

const MEDIUM_BY_WORD = new Map<string, Medium>(
  (Object.entries(MEDIUM_WORDS) as [Medium, readonly string[]][]).flatMap(([medium, list]) =>
    list.map((w) => [w, medium] as const),
  ),
);

/** The medium a word (or its stem) names, if any. */
function mediumOf(token: string): Medium | undefined {
  return MEDIUM_BY_WORD.get(token) ?? MEDIUM_BY_WORD.get(stemOf(token));
}

const ROOM_STEMS: ReadonlySet<string> = new Set(ROOM_WORDS.map(stemOf));

/** Whether a place (a stem) is among `places`, or a short form of one of them ("hall" → hallway). */
function hasPlace(places: ReadonlySet<string>, place: string): boolean {
  if (places.has(place)) return true;
  for (const p of places)
    if (Math.min(p.length, place.length) >= 4 && (p.startsWith(place) || place.startsWith(p))) return true;
  return false;
}

/** Words after which a medium is what something is for or about, not what is worked on. */
const MEDIUM_ASIDE = new Set(['for', 'about']);

/**
 * Media the intent works on or asks for ("this *recording*", "into an *audio* file", "a *logo*") —
 * not those it only mentions after "for" or "about" ("a name for my *podcast*").
 */
function mediaOf(tokens: readonly string[]): Set<Medium> {
  const media = new Set<Medium>();
  let aside = false;
  for (const t of tokens) {
    if (MEDIUM_ASIDE.has(t)) aside = true;
    else if (t === 'into' || t === 'as' || t === 'and') aside = false;
    if (aside) continue;
    const medium = mediumOf(t);
    if (medium) media.add(medium);
  }
  return media;
}

const GIVEN = new Set(['this', 'that', 'these', 'those', 'attached', 'my', 'the']);
/**
 * Function words that may stand between "this" and the medium ("is this *a* picture"); any other
 * one word may ("this *old* photo", "these *vacation* photos").
 */
const GIVEN_MODIFIERS = new Set(['a', 'an']);

/** Whether the intent brings a picture or sound of its own: "this recording", "the attached photo". */
function givenMediumIn(tokens: readonly string[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    if (!GIVEN.has(tokens[i] as string)) continue;
    for (let j = i + 1; j <= i + 2 && j < tokens.length; j++) {
      const t = tokens[j] as string;
      if (
        j === i + 2 &&
        STOP_WORDS.has(tokens[i + 1] as string) &&
        !GIVEN_MODIFIERS.has(tokens[i + 1] as string)
      )
        break;
      if (mediumOf(t)) return true;
    }
  }
  return false;
}

/**
 * A capability that only makes new pictures or sounds (a camera, a microphone, a generator without
 * an edit tool), so it cannot work on one the intent brings.
 */
function producesOnly(type: string, actions: readonly ActionProfile[]): boolean {
  const kind = type.split('/')[1] ?? '';
  const producer = kind === 'capture' || kind === 'generate' || kind === 'camera';
  return producer && !actions.some((a) => a.kind === 'tool' && /edit|modify/.test(a.name));
}

/** Whether a capability works in a medium: its type family, or its own words name the medium. */
function mediaOfCapability(type: string, words: readonly DocWord[]): Set<Medium> {
  const out = new Set<Medium>();
  for (const medium of ALL_MEDIA) {
    const list = MEDIUM_WORDS[medium];
    if (
      MEDIUM_FAMILIES[medium].some((f) => type === f || type.startsWith(`${f}/`)) ||
      words.some((d) => list.includes(d.word.text) || list.includes(d.word.stem))
    )
      out.add(medium);
  }
  return out;
}

const OBJECT_END = new Set(['for', 'to', 'with', 'in', 'at', 'on', 'of', 'from', 'by', 'about', 'so', 'and']);

/**
 * The object phrase of a command: the content words after the verb up to a preposition
 * ("make me a *watercolor style logo* for ..."); after "into" when there is one ("turn this story
 * into an *audio file*").
 */
function objectPhrase(analyzed: AnalyzedIntent): Set<string> {
  const out = new Set<string>();
  if (analyzed.form !== 'command' || !analyzed.verb) return out;
  const t = analyzed.tokens;
  let at = t.indexOf(analyzed.verb) + 1;
  const into = t.indexOf('into', at);
  if (into >= 0) at = into + 1;
  for (let i = at; i < t.length && out.size < 3; i++) {
    const w = t[i] as string;
    if (out.size > 0 && (OBJECT_END.has(w) || STOP_WORDS.has(w))) break;
    if (STOP_WORDS.has(w) || PARTICLES.has(w) || /\d/.test(w)) continue;
    out.add(w);
  }
  return out;
}

/** Verbs that switch something with "on" or "off" — not "put" ("put a haircut *on* the calendar"). */
const SWITCH_VERBS = new Set(['turn', 'switch', 'flip', 'shut', 'power', 'flick', 'kill', 'cut']);

/** "on"/"off" directly after a leading switching verb ("switch off the fan", "turn the fan off"). */
function switchParticle(analyzed: AnalyzedIntent): string | null {
  const t = analyzed.tokens;
  if (analyzed.form === 'command' && analyzed.verb === null) {
    // A thing named and switched: "desk lamp off", "lamp on please".
    for (let i = t.length - 1; i > 0; i--) {
      const w = t[i] as string;
      if (w === 'on' || w === 'off') return w;
    }
    return null;
  }
  if (analyzed.form !== 'command' || !analyzed.verb || !SWITCH_VERBS.has(analyzed.verb)) return null;
  const at = t.indexOf(analyzed.verb);
  for (let i = at + 1; i < Math.min(t.length, at + 5); i++) {
    const w = t[i] as string;
    if (w === 'on' || w === 'off') return w;
  }
  return null;
}

/**
 * What an example utterance acts on: its content words up to the first preposition, light verbs
 * left out ("lower *the lights* for a movie", "turn on *the air conditioner*") — not the words of
 * what it is for ("movie"), which say nothing of what a capability of the type can act on.
 */
function exampleObject(text: string, matcher: WordMatcher): WordInfo[] {
  const out: WordInfo[] = [];
  for (const t of tokenize(text)) {
    if (out.length > 0 && OBJECT_END.has(t)) break;
    if (STOP_WORDS.has(t) || PARTICLES.has(t) || LIGHT_VERBS.has(t) || /^\d+$/.test(t)) continue;
    out.push(matcher.word(t));
    if (out.length === 4) break;
  }
  return uniq(out);
}

function exampleVerb(text: string, matcher: WordMatcher): WordInfo | null {
  const { verb } = analyzeIntent(text);
  return verb && !LIGHT_VERBS.has(verb) ? matcher.word(verb) : null;
}

function contentInfos(text: string, matcher: WordMatcher): WordInfo[] {
  return uniq(
    tokenize(text)
      .filter((t) => !STOP_WORDS.has(t))
      .map((t) => matcher.word(t)),
  );
}

function actionInfos(text: string, matcher: WordMatcher): WordInfo[] {
  return uniq(
    tokenize(text)
      .filter((t) => !STOP_WORDS.has(t) || PARTICLES.has(t))
      .map((t) => matcher.word(t)),
  );
}

function asDoc(words: readonly WordInfo[]): DocWord[] {
  return words.map((word) => ({ word, field: 1 }));
}

function uniq<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** How well a type example's hint (`set_temp`, `on`) names a tool (`set_temperature`, `turn_on`). */
function hintMatch(hint: string, nameWords: readonly WordInfo[], matcher: WordMatcher): number {
  const hintWords = tokenize(hint).map((t) => matcher.word(t));
  if (hintWords.length === 0 || nameWords.length === 0) return 0;
  let matched = 0;
  for (const h of hintWords) {
    let best = 0;
    // A hint may shorten a name's word (`temp` of `set_temperature`).
    for (const n of nameWords)
      best = Math.max(best, h.text.length >= 3 && n.text.startsWith(h.text) ? 1 : matcher.similarity(h, n));
    matched += best >= SAME ? 1 : 0;
  }
  return (
    (matched / hintWords.length) * (0.5 + (0.5 * Math.min(matched, nameWords.length)) / nameWords.length)
  );
}

/**
 * What a retrieval project's documents are about: the words of its name, description and metadata
 * but its tools' names, and none that only its tools' descriptions use ("summarize" of "Summarize
 * an uploaded contract" says what it does) — see `Entry`.
 */
function topicWordsOf(
  cap: Capability,
  words: readonly DocWord[],
  actions: readonly ActionProfile[],
  matcher: WordMatcher,
): WordInfo[] {
  const stems = (texts: readonly string[]): Set<string> =>
    new Set(texts.flatMap((t) => contentInfos(t, matcher)).map((w) => w.stem));
  const domain = stems(SPECIALTY_KEYS.flatMap((k) => metadataStrings(cap.metadata[k])));
  const { name } = idWords(cap.id);
  const about = stems([
    name,
    withoutNegations(cap.description),
    ...Object.entries(cap.metadata)
      .filter(([k]) => !HOST_KEYS.includes(k))
      .flatMap(([, v]) => metadataStrings(v)),
  ]);
  const doing = new Set(actions.flatMap((a) => a.nameWords).map((w) => w.stem));
  return words
    .map((d) => d.word)
    .filter((w) => domain.has(w.stem) || (about.has(w.stem) && !doing.has(w.stem)));
}

/** A retrieval project (`rag`, `rag/...`): it answers from documents about a topic. */
function isRetrieval(type: string): boolean {
  return type === 'rag' || type.startsWith('rag/');
}

/** `v` without its component along the unit vector `background`, unit length (a new array). */
function withoutBackground(v: Float32Array, background: Float32Array): Float32Array {
  let dot = 0;
  const n = Math.min(v.length, background.length);
  for (let d = 0; d < n; d++) dot += (v[d] as number) * (background[d] as number);
  const out = Float32Array.from(v);
  for (let d = 0; d < n; d++) out[d] = (out[d] as number) - dot * (background[d] as number);
  return unit(out);
}

/** The vectors scaled to unit length, one after another in one array. */
function concatUnit(vectors: readonly Float32Array[], dims: number): Float32Array {
  const out = new Float32Array(vectors.length * dims);
  vectors.forEach((v, i) => out.set(unit(v).subarray(0, dims), i * dims));
  return out;
}

/** The vector scaled to unit length (a copy); zeros when missing or zero. */
function unit(v: Float32Array | undefined): Float32Array {
  const out = v ? Float32Array.from(v) : new Float32Array(0);
  let sq = 0;
  for (let d = 0; d < out.length; d++) sq += (out[d] as number) ** 2;
  if (sq > 0) {
    const inv = 1 / Math.sqrt(sq);
    for (let d = 0; d < out.length; d++) out[d] = (out[d] as number) * inv;
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** A node on critical battery fails a constraint while a capable alternative exists (cost model). */
function withCriticalBatteryRule<
  T extends {
    readonly semanticScore: number;
    readonly threshold: number;
    readonly constraints: readonly ConstraintResult[];
    readonly routeCost: RouteCost | undefined;
  },
>(scored: readonly T[]): T[] {
  const excluded = criticalBatteryExclusions(
    scored.map((s) => ({ ...s, critical: s.routeCost?.critical === true })),
  );
  return scored.map((s, i) =>
    excluded[i]
      ? Object.assign({}, s, {
          constraints: [
            ...s.constraints,
            {
              name: 'critical-battery',
              ok: false,
              reason: 'its node is on critical battery and another node can do this',
            },
          ],
        })
      : s,
  );
}
