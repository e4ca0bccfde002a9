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
import type { Capability, ConstraintResult, Embedder, Logger, RouteWeights } from '../core/index.js';
import {
  capabilityKey,
  cosineSimilarity,
  DEFAULT_ROUTE_WEIGHTS,
  scoreCandidates,
  silentLogger,
} from '../core/index.js';
import { isWordVectorProvider } from './builtin-embedder.js';
import type { RouteConstraint, RouteRequest } from './constraints.js';
import { requestedModelConstraint, requestedTypeConstraint } from './constraints.js';
import type { AnalyzedIntent, IntentForm } from './intent.js';
import { analyzeIntent, LIGHT_VERBS } from './intent.js';
import { stem as stemOf, STOP_WORDS, tokenize } from './text.js';
import type { TypeExample } from './type-examples.js';
import { examplesForType, TYPE_EXAMPLES } from './type-examples.js';
import type { QuerySimilarities, WordInfo } from './words.js';
import { WordMatcher } from './words.js';

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
  /** Dynamic cost; 0 until the cost model is wired in (`costKnown` false). */
  readonly cost: number;
  readonly costKnown: boolean;
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
  readonly logger?: Logger;
}

export interface SemanticRouterInit {
  /** Semantic score a candidate must reach to be chosen. Default `DEFAULT_ROUTE_THRESHOLD`. */
  readonly threshold?: number;
  /** Per-type thresholds (`family/*` patterns allowed), overriding `threshold`. Default none. */
  readonly typeThresholds?: Readonly<Record<string, number>>;
  /** Hard constraints, run in order after the request's own (model, types). Default none. */
  readonly constraints?: readonly RouteConstraint[];
  /** Weights of semantic score and cost. Default `DEFAULT_ROUTE_WEIGHTS`. */
  readonly weights?: RouteWeights;
  /** Example utterances per type. Default `TYPE_EXAMPLES`. */
  readonly typeExamples?: Readonly<Record<string, readonly TypeExample[]>>;
  /** How many capabilities stage 1 passes to stage 2. Default 16. */
  readonly shortlist?: number;
  /** How many candidates a decision lists. Default 5. */
  readonly top?: number;
}

export const DEFAULT_ROUTE_THRESHOLD = 0.4;

// ---- internals ---------------------------------------------------------------------------------

const FIELD_WEIGHT = {
  name: 1,
  provider: 0.5,
  type: 0.6,
  description: 0.9,
  metadata: 0.7,
  action: 0.9,
} as const;
const PLACE_KEYS = ['room', 'location', 'area', 'zone', 'place', 'floor'];
/** Metadata keys that make a chat model a specialist rather than a general-purpose one. */
const SPECIALTY_KEYS = ['specialty', 'domain'];
/** How much of any intent a general-purpose chat model covers without sharing a word with it. */
const GENERALIST_FLOOR = 0.35;
/** A general-purpose chat model yields to any specialist that matches about as well. */
const GENERALIST_DISCOUNT = 0.9;
/** Words kept for tool selection although they are stop words for topics. */
const PARTICLES = new Set(['on', 'off', 'up', 'down', 'in', 'out', 'open', 'close', 'start', 'stop']);
/** What source code in a request stands for. */
const CODE_WORDS = ['code', 'programming'];
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
const HINT_SHARE = 0.25;
/** Factor for a capability that knows nothing like a light-verb command's object. */
const OBJECT_MISS = 0.5;
/** Factor for a capability that is not at a place the intent names. */
const PLACE_MISMATCH = 0.6;
/** Similarity at which a word clearly stands for another (verb, object checks). */
const CLEAR = 0.75;
/** Factor for a command whose verb none of its tools does. */
const VERB_MISS = 0.4;
/** Factor for "tell me when ..." to a capability without triggers. */
const NO_TRIGGER = 0.6;
/** Share of the best trigger's match in the score of "tell me when ..." intents. */
const TRIGGER_SHARE = 0.4;
/** How far a single strong word can carry a match on its own. */
const ANCHOR_SHARE = 0.8;

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
  readonly vector: Float32Array;
}

interface TypeProfile {
  readonly type: string;
  readonly examples: readonly ExampleProfile[];
}

interface Entry {
  readonly cap: Capability;
  readonly key: string;
  readonly words: readonly DocWord[];
  readonly stems: ReadonlySet<string>;
  readonly places: ReadonlySet<string>;
  readonly actions: readonly ActionProfile[];
  readonly actionWords: readonly WordInfo[];
  readonly typeProfile: TypeProfile;
  readonly vector: Float32Array;
  /** A general-purpose chat model: any topic is its topic. */
  readonly generalist: boolean;
  /** Words of its name and place: they pick the capability, not one of its tools. */
  readonly nameWords: readonly WordInfo[];
  /** Type examples whose hint names one of its actions, with how well: [example, action index, match]. */
  readonly hints: readonly (readonly [ExampleProfile, number, number])[];
}

interface IntentWord {
  readonly word: WordInfo;
  /** Weight in the alignment (a command's verb boosted). */
  readonly weight: number;
  /** How specific the word is on its own: corpus rarity × rarity in the index. */
  readonly specificity: number;
  /** Its row in the query's similarity memo. */
  readonly row: number;
}

/** Per-route scratch: the analyzed intent and memoized type scores. */
interface Query {
  readonly analyzed: AnalyzedIntent;
  readonly words: readonly IntentWord[];
  /** Intent words plus action particles, for tool selection. */
  readonly actionWords: readonly IntentWord[];
  readonly vector: Float32Array;
  readonly verb: IntentWord | null;
  /** A light-verb command's object ("turn on the *tv*"): what it acts on has to be there. */
  readonly object: IntentWord | null;
  /** "on" or "off" right after a light verb ("turn *off* the fan"): it needs a tool by that name. */
  readonly switchTo: string | null;
  /** Similarities of the intent's words to any word; valid until the next query (no awaits after it). */
  readonly sims: QuerySimilarities;
  readonly places: ReadonlySet<string>;
  readonly typeScores: Map<string, { score: number; byExample: Map<TypeExample, number> }>;
  readonly typeCosines: Map<string, number>;
}

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
  private readonly log: Logger;
  private readonly threshold: number;
  private readonly typeThresholds: Readonly<Record<string, number>>;
  private readonly constraints: readonly RouteConstraint[];
  private readonly weights: RouteWeights;
  private readonly typeExamples: Readonly<Record<string, readonly TypeExample[]>>;
  private readonly shortlist: number;
  private readonly top: number;

  private readonly entries = new Map<string, Entry>();
  private readonly df = new Map<string, number>();
  private readonly vocabulary = new Map<string, WordInfo>();
  private readonly placeHeads = new Map<string, number>();
  private readonly typeProfiles = new Map<string, Promise<TypeProfile>>();
  private matcherPromise: Promise<WordMatcher> | null = null;
  // Stage-1 arrays, rebuilt after the index changes: entries, their unit vectors in one matrix,
  // stem → entry positions, and each entry's type.
  private dirty = true;
  private list: Entry[] = [];
  private matrix = new Float32Array(0);
  private postings = new Map<string, number[]>();
  private listTypeProfiles: TypeProfile[] = [];
  private listTypeIndex = new Int32Array(0);

  constructor(components: SemanticRouterComponents, init: SemanticRouterInit = {}) {
    this.embedder = components.embedder;
    this.log = (components.logger ?? silentLogger()).child('atmosphere:router');
    this.threshold = init.threshold ?? DEFAULT_ROUTE_THRESHOLD;
    this.typeThresholds = init.typeThresholds ?? {};
    this.constraints = [requestedModelConstraint, requestedTypeConstraint, ...(init.constraints ?? [])];
    this.weights = init.weights ?? DEFAULT_ROUTE_WEIGHTS;
    this.typeExamples = init.typeExamples ?? TYPE_EXAMPLES;
    this.shortlist = init.shortlist ?? 16;
    this.top = init.top ?? 5;
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
    const texts = capabilities.map((c) => this.profileText(c));
    const vectors = await this.embedder.embed(texts, options);
    const types = await Promise.all(capabilities.map((c) => this.typeProfile(c.type, matcher, options)));
    options.signal?.throwIfAborted();
    capabilities.forEach((cap, i) => {
      const key = capabilityKey(cap);
      this.removeKey(key);
      const entry = this.buildEntry(cap, key, matcher, unit(vectors[i]), types[i] as TypeProfile);
      this.entries.set(key, entry);
      this.dirty = true;
      for (const s of entry.stems) this.df.set(s, (this.df.get(s) ?? 0) + 1);
      for (const dw of entry.words) this.vocabulary.set(dw.word.text, dw.word);
      for (const head of this.headsOf(cap)) this.placeHeads.set(head, (this.placeHeads.get(head) ?? 0) + 1);
    });
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
    const matcher = await this.matcher(options);
    const query = await this.prepare(req.intent, matcher, options);
    const top = Math.max(1, options.top ?? this.top);

    // Stage 1: cheap scores over the whole index.
    const shortlisted = this.stage1(query, Math.max(this.shortlist, top));

    // Stage 2: careful scores, constraints, threshold.
    const scored = shortlisted.map((entry) => {
      const { semantic, reasons } = this.semanticScore(query, entry);
      const constraints = this.constraints.map((c) => c.check(entry.cap, req));
      return {
        entry,
        semanticScore: semantic,
        threshold: this.thresholdFor(entry.cap.type),
        constraints,
        cost: undefined,
        why: reasons,
      };
    });
    const ranked = scoreCandidates({ text: req.intent }, scored, this.weights);

    const candidates: RouteCandidate[] = ranked.slice(0, top).map((c) => ({
      capabilityId: c.entry.cap.id,
      nodeId: c.entry.cap.nodeId,
      type: c.entry.cap.type,
      tool: this.chooseTool(query, c.entry),
      semanticScore: round(c.semanticScore),
      threshold: c.threshold,
      cost: c.costUsed,
      costKnown: false,
      score: round(c.score),
      eligible: c.eligible,
      constraints: c.constraints,
      reasons: [...c.why, ...c.reasons],
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
   * capability's, or its type's best example), plus the weighted share of intent words it contains.
   */
  private stage1(query: Query, k: number): Entry[] {
    this.rebuild();
    const n = this.list.length;
    const dims = this.embedder.dimensions;
    const scores = new Float32Array(n);
    const qv = query.vector;
    const m = this.matrix;
    const typeCos = this.listTypeProfiles.map((p) => this.typeCosine(query, p));
    const typeOf = this.listTypeIndex;
    const tail = dims - (dims % 4);
    for (let i = 0; i < n; i++) {
      // Unrolled by four: the hot loop of routing over a large index.
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      const base = i * dims;
      for (let d = 0; d < tail; d += 4) {
        d0 += (qv[d] as number) * (m[base + d] as number);
        d1 += (qv[d + 1] as number) * (m[base + d + 1] as number);
        d2 += (qv[d + 2] as number) * (m[base + d + 2] as number);
        d3 += (qv[d + 3] as number) * (m[base + d + 3] as number);
      }
      for (let d = tail; d < dims; d++) d0 += (qv[d] as number) * (m[base + d] as number);
      const dot = d0 + d1 + d2 + d3;
      const t = typeCos[typeOf[i] as number] as number;
      scores[i] = dot > t ? dot : t;
    }
    let total = 0;
    for (const w of query.words) total += w.weight;
    if (total > 0) {
      const seen = new Set<string>();
      for (const w of query.words) {
        if (seen.has(w.word.stem)) continue;
        seen.add(w.word.stem);
        const post = this.postings.get(w.word.stem);
        if (post) for (const i of post) scores[i] = (scores[i] as number) + w.weight / total;
      }
    }
    // Partial selection: keep the k best in a small sorted array.
    const best: number[] = [];
    for (let i = 0; i < n; i++) {
      const sc = scores[i] as number;
      if (best.length === k && sc <= (scores[best[k - 1] as number] as number)) continue;
      let at = best.length;
      while (at > 0 && (scores[best[at - 1] as number] as number) < sc) at--;
      best.splice(at, 0, i);
      if (best.length > k) best.pop();
    }
    return best.map((i) => this.list[i] as Entry);
  }

  private rebuild(): void {
    if (!this.dirty) return;
    const dims = this.embedder.dimensions;
    this.list = [...this.entries.values()];
    this.matrix = new Float32Array(this.list.length * dims);
    this.postings = new Map();
    this.listTypeProfiles = [...new Set(this.list.map((e) => e.typeProfile))];
    const typeIds = new Map(this.listTypeProfiles.map((p, i) => [p, i]));
    this.listTypeIndex = Int32Array.from(this.list, (e) => typeIds.get(e.typeProfile) ?? 0);
    this.list.forEach((e, i) => {
      this.matrix.set(e.vector.subarray(0, dims), i * dims);
      for (const st of e.stems) {
        let post = this.postings.get(st);
        if (!post) this.postings.set(st, (post = []));
        post.push(i);
      }
    });
    this.dirty = false;
  }

  // ---- index maintenance ---------------------------------------------------------------------

  private matcher(options: { signal?: AbortSignal }): Promise<WordMatcher> {
    if (!this.matcherPromise) {
      const e = this.embedder;
      const p = isWordVectorProvider(e)
        ? e.wordVectors(options).then((t) => new WordMatcher(t))
        : Promise.resolve(new WordMatcher(null));
      this.matcherPromise = p;
      p.catch(() => {
        if (this.matcherPromise === p) this.matcherPromise = null;
      });
    }
    return this.matcherPromise;
  }

  private removeKey(key: string): boolean {
    const old = this.entries.get(key);
    if (!old) return false;
    this.entries.delete(key);
    this.dirty = true;
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
    return true;
  }

  private profileText(cap: Capability): string {
    const { name, provider } = idWords(cap.id);
    const parts = [name, provider, cap.type.replace(/\//g, ' '), cap.description];
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
  ): Entry {
    const byWord = new Map<WordInfo, number>();
    const add = (text: string, field: number): void => {
      for (const w of contentInfos(text, matcher)) byWord.set(w, Math.max(byWord.get(w) ?? 0, field));
    };
    const { name, provider } = idWords(cap.id);
    add(name, FIELD_WEIGHT.name);
    add(provider, FIELD_WEIGHT.provider);
    add(cap.type.replace(/\//g, ' '), FIELD_WEIGHT.type);
    add(cap.description, FIELD_WEIGHT.description);
    for (const v of Object.values(cap.metadata))
      for (const s of metadataStrings(v)) add(s, FIELD_WEIGHT.metadata);
    const actions: ActionProfile[] = [];
    for (const [kind, list] of [
      ['tool', cap.tools],
      ['trigger', cap.triggers],
    ] as const) {
      for (const a of list) {
        add(`${a.name} ${a.description}`, FIELD_WEIGHT.action);
        const words = actionInfos(`${a.name} ${a.description}`, matcher);
        actions.push({
          name: a.name,
          kind,
          words,
          doc: asDoc(words),
          nameWords: actionInfos(a.name, matcher),
        });
      }
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
    const nameWords = uniq([
      ...contentInfos(name, matcher),
      ...placeNames.flatMap((p) => contentInfos(p, matcher)),
    ]);
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
      stems: new Set(words.map((w) => w.word.stem)),
      places,
      actions,
      actionWords,
      typeProfile,
      vector,
      generalist,
      nameWords,
      hints,
    };
  }

  private idf(stemText: string): number {
    const n = this.entries.size;
    if (n < 2) return 1;
    const d = this.df.get(stemText) ?? 0;
    return 1 - IDF_SHARE + (IDF_SHARE * Math.log((n + 1) / (d + 1))) / Math.log(n + 1);
  }

  private thresholdFor(type: string): number {
    for (let t = type; t; t = t.includes('/') ? t.slice(0, t.lastIndexOf('/')) : '') {
      const exact = this.typeThresholds[t] ?? this.typeThresholds[`${t}/*`];
      if (exact !== undefined) return exact;
    }
    return this.threshold;
  }

  // ---- scoring -------------------------------------------------------------------------------

  private async prepare(
    text: string,
    matcher: WordMatcher,
    options: { signal?: AbortSignal },
  ): Promise<Query> {
    const analyzed = analyzeIntent(text);
    const words: IntentWord[] = [];
    const actionWords: IntentWord[] = [];
    let verb: IntentWord | null = null;
    let object: IntentWord | null = null;
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
        } else factor = UNKNOWN_WORD_FACTOR;
      }
      if (seen.has(w)) continue;
      seen.add(w);
      const isVerb =
        analyzed.verb === token && !LIGHT_VERBS.has(token) && w.known && w.weight <= COMMON_VERB_WEIGHT;
      const isObject =
        analyzed.form === 'command' &&
        analyzed.verb !== null &&
        LIGHT_VERBS.has(analyzed.verb) &&
        object === null &&
        token !== analyzed.verb &&
        !isParticle &&
        !/\d/.test(token);
      const base = w.weight * this.idf(w.stem) * factor;
      const iw = {
        word: w,
        weight: isVerb ? base * VERB_BOOST : base,
        specificity: Math.min(1, base * specific),
        row: rows.length,
      };
      rows.push(w);
      if (isVerb) verb = iw;
      if (isObject) object = iw;
      actionWords.push(iw);
      if (!STOP_WORDS.has(token)) words.push(iw);
    }
    const implied = [...analyzed.implied, ...(analyzed.hasCode ? CODE_WORDS : [])];
    for (const t of implied) {
      const w = matcher.word(t);
      if (seen.has(w)) continue;
      seen.add(w);
      // Source code in the request is decisive evidence; "who" → person is a hint.
      const weight = (CODE_WORDS.includes(t) ? 1 : IMPLIED_WEIGHT) * this.idf(w.stem);
      const iw = { word: w, weight, specificity: weight, row: rows.length };
      rows.push(w);
      words.push(iw);
      actionWords.push(iw);
    }
    const [vector] = await this.embedder.embed([[analyzed.body, ...implied].join(' ')], options);
    const places = new Set<string>();
    for (const w of words) if (this.placeHeads.has(w.word.stem)) places.add(w.word.stem);
    return {
      analyzed,
      words,
      actionWords,
      vector: vector ?? new Float32Array(this.embedder.dimensions),
      verb,
      object,
      sims: matcher.forQuery(rows),
      switchTo: switchParticle(analyzed),
      places,
      typeScores: new Map(),
      typeCosines: new Map(),
    };
  }

  private typeCosine(query: Query, profile: TypeProfile): number {
    let c = query.typeCosines.get(profile.type);
    if (c === undefined) {
      c = 0;
      for (const e of profile.examples) c = Math.max(c, cosineSimilarity(query.vector, e.vector));
      query.typeCosines.set(profile.type, c);
    }
    return c;
  }

  /** Weighted share of the intent's words that `doc` covers. */
  private align(words: readonly IntentWord[], doc: readonly DocWord[], sims: QuerySimilarities): number {
    let num = 0;
    let den = 0;
    for (const q of words) {
      let best = 0;
      for (const d of doc) {
        const s = sims.get(q.row, d.word) * d.field;
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
      for (const q of intent) best = Math.max(best, sims.get(q.row, w));
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

  private semanticScore(query: Query, entry: Entry): { semantic: number; reasons: string[] } {
    const reasons: string[] = [];
    const sims = query.sims;
    // One pass: how much of the intent its words cover, and the strongest single piece of evidence —
    // a rare, specific word it shares ("alpaca", "venv"). A word of its name says what it is, so it
    // counts as more specific than the word alone.
    let num = 0;
    let den = 0;
    let anchor = 0;
    let anchorWord = '';
    for (const q of query.words) {
      let best = 0;
      let a = 0;
      const nameSpecificity = Math.sqrt(q.specificity);
      for (const d of entry.words) {
        const m = sims.get(q.row, d.word);
        if (m === 0) continue;
        const covered = m * d.field;
        if (covered > best) best = covered;
        const ev = m * (d.field >= FIELD_WEIGHT.name ? nameSpecificity : q.specificity * d.field);
        if (ev > a) a = ev;
      }
      num += q.weight * best;
      den += q.weight;
      if (a > anchor) {
        anchor = a;
        anchorWord = q.word.text;
      }
    }
    const matched = den > 0 ? num / den : 0;
    // A general-purpose model takes any topic — but a command only when its verb is a language
    // task it does ("write", "summarize"), not "book" or "order".
    let general = entry.generalist;
    if (general && query.analyzed.form === 'command' && query.verb) {
      let v = 0;
      for (const w of entry.actionWords) v = Math.max(v, sims.get(query.verb.row, w));
      general = v >= CLEAR;
    }
    const own = general ? GENERALIST_FLOOR + (1 - GENERALIST_FLOOR) * matched : matched;
    const examples = this.typeScore(query, entry.typeProfile).score;
    let s = Math.max(
      (Math.max(own, 0.9 * examples) + 0.3 * Math.min(own, examples)) / 1.3,
      ANCHOR_SHARE * anchor,
    );
    reasons.push(
      `matches its description ${round(own)}, examples of ${entry.cap.type} ${round(examples)}` +
        (anchor > 0.3 ? `, strongest word "${anchorWord}" ${round(anchor)}` : ''),
    );
    if (entry.generalist) {
      s *= GENERALIST_DISCOUNT;
      reasons.push('general-purpose: a specialist that matches as well wins');
    }

    if (query.analyzed.form === 'subscribe') {
      let t = -1;
      for (const a of entry.actions)
        if (a.kind === 'trigger') t = Math.max(t, this.align(query.words, a.doc, sims));
      if (t < 0) {
        s *= NO_TRIGGER;
        reasons.push('asks to be told when something happens, but it has no triggers');
      } else {
        s = (1 - TRIGGER_SHARE) * s + TRIGGER_SHARE * t;
      }
    } else if (query.verb) {
      // A command must be something one of its tools does: its verb, or its object in a tool's name.
      const verb = query.verb;
      let v = 0;
      for (const w of entry.actionWords) v = Math.max(v, sims.get(verb.row, w));
      for (const a of entry.actions) {
        if (a.kind !== 'tool') continue;
        for (const n of a.nameWords) for (const q of query.words) v = Math.max(v, 0.9 * sims.get(q.row, n));
      }
      if (v < CLEAR) {
        s *= VERB_MISS + ((1 - VERB_MISS) * v) / CLEAR;
        reasons.push(`none of its tools does "${verb.word.text}"`);
      }
    }
    if (
      query.switchTo &&
      !entry.actions.some((a) => a.kind === 'tool' && a.nameWords.some((w) => w.text === query.switchTo))
    ) {
      s *= VERB_MISS;
      reasons.push(`none of its tools switches "${query.switchTo}"`);
    }
    if (query.object && !entry.generalist && query.analyzed.form === 'command') {
      const object = query.object;
      let o = 0;
      for (const d of entry.words) o = Math.max(o, sims.get(object.row, d.word));
      for (const e of entry.typeProfile.examples)
        for (const w of e.words) o = Math.max(o, sims.get(object.row, w));
      if (o < CLEAR) {
        s *= OBJECT_MISS + ((1 - OBJECT_MISS) * o) / CLEAR;
        reasons.push(`it knows nothing like "${object.word.text}"`);
      }
    }
    if (query.places.size > 0 && entry.places.size > 0) {
      const missing = [...query.places].filter((p) => !entry.places.has(p));
      if (missing.length > 0) {
        s *= PLACE_MISMATCH;
        reasons.push(`intent names ${missing.join(', ')}; it is elsewhere`);
      }
    }
    return { semantic: Math.max(0, Math.min(1, s)), reasons };
  }

  private chooseTool(query: Query, entry: Entry): ToolChoice | null {
    const want: ActionKind = query.analyzed.form === 'subscribe' ? 'trigger' : 'tool';
    let pool = entry.actions.filter((a) => a.kind === want);
    if (pool.length === 0) pool = entry.actions.filter((a) => a.kind === 'tool');
    const only = pool[0];
    if (!only) return null;
    if (pool.length === 1) return { name: only.name, kind: only.kind, score: 1 };
    const sims = query.sims;
    // Words that tell tools apart: not light verbs ("turn"), not the capability's own name or place.
    const words = query.actionWords.filter(
      (q) => !LIGHT_VERBS.has(q.word.text) && !entry.nameWords.some((n) => sims.get(q.row, n) >= 0.9),
    );
    const matches = pool.map((a) =>
      words.map((q) => a.words.reduce((m, w) => Math.max(m, sims.get(q.row, w)), 0)),
    );
    const total = words.reduce((sum, q) => sum + q.weight, 0) || 1;
    // Example utterances of the type that name a tool kind ("dim the lights → set_brightness"),
    // compared with particles kept, so "lights on" and "lights off" differ.
    const hintOf = new Map<ActionProfile, number>();
    const exampleScore = new Map<ExampleProfile, number>();
    for (const [e, i, m] of entry.hints) {
      const a = entry.actions[i] as ActionProfile;
      if (!pool.includes(a)) continue;
      let es = exampleScore.get(e);
      if (es === undefined) {
        es = harmonic(this.align(words, e.actionDoc, sims), this.coverage(e.actionWords, words, sims));
        exampleScore.set(e, es);
      }
      hintOf.set(a, Math.max(hintOf.get(a) ?? 0, es * m));
    }
    let best: ToolChoice | null = null;
    let bestRaw = -Infinity;
    pool.forEach((a, i) => {
      // Each word counts by how much better this tool matches it than the tools on average.
      let lex = 0;
      let abs = 0;
      words.forEach((q, j) => {
        const m = (matches[i] as number[])[j] as number;
        let mean = 0;
        for (const row of matches) mean += row[j] as number;
        mean /= matches.length;
        lex += q.weight * (m - mean);
        abs += q.weight * m;
      });
      const hint = hintOf.get(a) ?? 0;
      const raw = lex / total + HINT_SHARE * hint;
      if (raw > bestRaw) {
        bestRaw = raw;
        best = { name: a.name, kind: a.kind, score: round(Math.min(1, 0.6 * (abs / total) + 0.4 * hint)) };
      }
    });
    return best;
  }
}

// ---- helpers -----------------------------------------------------------------------------------

/** "on"/"off" directly after a leading light verb ("switch off the fan", "turn the fan off"). */
function switchParticle(analyzed: AnalyzedIntent): string | null {
  if (analyzed.form !== 'command' || !analyzed.verb || !LIGHT_VERBS.has(analyzed.verb)) return null;
  const t = analyzed.tokens;
  const at = t.indexOf(analyzed.verb);
  for (let i = at + 1; i < Math.min(t.length, at + 5); i++) {
    const w = t[i] as string;
    if (w === 'on' || w === 'off') return w;
  }
  return null;
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
    for (const n of nameWords) best = Math.max(best, matcher.similarity(h, n));
    matched += best >= 0.9 ? 1 : 0;
  }
  return (
    (matched / hintWords.length) * (0.5 + (0.5 * Math.min(matched, nameWords.length)) / nameWords.length)
  );
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
