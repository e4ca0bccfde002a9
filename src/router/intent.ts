/**
 * Intent analysis: what form a request takes (a command, a question, a statement, or a request to be
 * told when something happens), which verb leads a command, and which parts are payload (quoted
 * text, code) rather than words that say what to do. English only; pure.
 */
import { normalizeText, tokenize } from './text.js';

export type IntentForm = 'subscribe' | 'command' | 'question' | 'statement';

export interface AnalyzedIntent {
  /** The intent as given. */
  readonly text: string;
  readonly form: IntentForm;
  /** The words to match capabilities against: the intent without subscription phrasing or payload. */
  readonly body: string;
  /** Every token of `body`, stop words included (tool selection needs `on`, `off`, `up` ...). */
  readonly tokens: readonly string[];
  /** Quoted text and trailing payload ("translate this: ..."), removed from `body`. */
  readonly payload: readonly string[];
  /** The request carries source code (in its payload or inline). */
  readonly hasCode: boolean;
  /** The leading verb of a command, when the intent is one. */
  readonly verb: string | null;
  /** Extra concept words implied by the phrasing: `who` → person, `how many` → count. */
  readonly implied: readonly string[];
  /**
   * It asks for an explanation or a definition ("why ...", "what's the difference between ...",
   * "how does X work", "what is a ...", "explain ..."): only something that answers questions can.
   */
  readonly explains: boolean;
}

const NOTIFY_VERBS = 'tell|let|notify|alert|warn|ping|text|message|inform|buzz|page|call|remind';
const WHEN_WORDS = 'when|whenever|if|once|as soon as|the moment|each time|every time|in case|before';
const SUBSCRIBE_LEAD = new RegExp(
  `^(?:please\\s+)?(?:(?:can|could|would|will)\\s+you\\s+)?(?:${NOTIFY_VERBS})\\s+(?:me|us)(?:\\s+know)?\\s+(?:${WHEN_WORDS})\\b`,
);
const SUBSCRIBE_TRAIL = new RegExp(
  `^(?:${WHEN_WORDS})\\b(.+?)(?:,\\s*|\\s+then\\s+|\\s+)(?:please\\s+)?(?:${NOTIFY_VERBS})\\s+(?:me|us)\\b`,
);
/** Words after which "who" or "where" asks a question ("see *who* is there") rather than relates. */
const ASKING = new Set([
  'see',
  'check',
  'know',
  'tell',
  'show',
  'find',
  'guess',
  'wonder',
  'me',
  'out',
  'and',
]);

/**
 * Whether a question word asks (leads the request, or follows "see", "check", "tell me" ...) —
 * not a relative pronoun after a noun ("a gift for my dad *who* likes hiking").
 */
function asks(tokens: readonly string[], word: string): boolean {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== word) continue;
    if (i === 0 || ASKING.has(tokens[i - 1] as string)) return true;
  }
  return false;
}

const WATCH_LEAD = /^(?:please\s+)?(?:watch|monitor|keep an eye|keep watch|listen)\s+(?:out\s+)?(?:for|on)\b/;
/** "fire an event whenever ...", "send me an alert if ...": a request for an event, not an action now. */
const EVENT_LEAD = new RegExp(
  `^(?:please\\s+)?(?:(?:can|could|would|will)\\s+you\\s+)?(?:fire|trigger|raise|send|emit|give|push|sound|set up|create)\\s+(?:me\\s+|us\\s+)?(?:an?\\s+)?(?:event|alert|alarm|notification|signal|ping|message|warning|heads up)s?\\s+(?:${WHEN_WORDS})\\b`,
);
/** "I want to know when ...", "keep me posted if ...". */
const WANT_LEAD = new RegExp(
  `^(?:i\\s+(?:want|would like|wanna|need)\\s+to\\s+(?:know|hear|be\\s+(?:told|notified|alerted|warned))|keep\\s+me\\s+(?:posted|updated|informed))\\s+(?:${WHEN_WORDS})\\b`,
);

const QUESTION_STARTS = new Set(
  `what whats how why who whos when where which whose whom is are am was were do does did can could should
   would will has have any anyone anybody anything`
    .split(/\s+/)
    .filter(Boolean),
);
/** Words that start a sentence that is not a command. */
const NON_VERB_STARTS = new Set(
  `i im my me we our us you your it its this that these those there here he she his her they their the a an
   so and but or maybe perhaps today tonight tomorrow yesterday now`
    .split(/\s+/)
    .filter(Boolean),
);
const POLITE =
  /^(?:please|kindly|hey|ok|okay|so|now|just|quickly|(?:can|could|would|will)\s+you(?:\s+please)?)\s+/;

/** Verbs that carry little meaning of their own ("turn the light off", "make an image"). */
export const LIGHT_VERBS: ReadonlySet<string> = new Set(
  `turn make set get put take give do have show let keep switch go bring help start try use run tell see look
   check grab`
    .split(/\s+/)
    .filter(Boolean),
);

const CODE_CHARS = /[{}()[\];=$<>|&*\\]/g;

function looksLikeCode(text: string): boolean {
  const symbols = text.match(CODE_CHARS)?.length ?? 0;
  return (
    symbols >= 3 ||
    /\b[a-z_]\w*\([^)]*\)/i.test(text) ||
    /(^|\s)--?[a-z][\w-]*/.test(text) ||
    /\*\.\w+/.test(text) ||
    /=>|::|\+\+|&&|\|\|/.test(text)
  );
}

/** Splits off quoted strings and a trailing payload ("... this: <payload>"). */
function splitPayload(text: string): { rest: string; payload: string[] } {
  const payload: string[] = [];
  let rest = text;
  const colon = /^(.*?\b(?:this|these|following|it|below|text|code|snippet|do|mean|say))\s*:\s+(.+)$/is.exec(
    rest,
  );
  if (colon) {
    payload.push((colon[2] as string).trim());
    rest = colon[1] as string;
  } else {
    const anyColon = /^(.*?):\s+(.+)$/s.exec(rest);
    if (anyColon && looksLikeCode(anyColon[2] as string)) {
      payload.push((anyColon[2] as string).trim());
      rest = anyColon[1] as string;
    }
  }
  rest = rest.replace(
    /(^|[\s(])(['"\u201c\u2018])([^'"\u201d\u2019]*\s[^'"\u201d\u2019]*|[^'"\u201d\u2019\s]+)(['"\u201d\u2019])(?=[\s,.?!:;)]|$)/g,
    (m, pre: string, _o, inner: string) => {
      if (!inner.trim()) return m;
      payload.push(inner.trim());
      return `${pre} `;
    },
  );
  return { rest, payload };
}

/** Words that end a terse command without changing it ("lamp on *please*"). */
const TRAILING_COURTESY = new Set(['please', 'pls', 'plz', 'now', 'thanks', 'thx']);
/** Words that, after a verb, begin its object ("shut *the* lamp off"). */
const OBJECT_STARTS = new Set(
  'the a an my your our his her their its it this that these those all everything them him us'.split(' '),
);

/**
 * A terse command that names a thing and says "on" or "off" ("desk lamp off", "lamp on please"):
 * its first word names the thing, it is not a verb — unlike "shut the lamp off" or "turn lights off".
 */
function isNamedSwitch(tokens: readonly string[]): boolean {
  let end = tokens.length;
  while (end > 0 && TRAILING_COURTESY.has(tokens[end - 1] as string)) end--;
  const last = tokens[end - 1];
  if (end < 2 || end > 4 || (last !== 'on' && last !== 'off')) return false;
  const first = tokens[0] as string;
  return !LIGHT_VERBS.has(first) && !OBJECT_STARTS.has(tokens[1] as string);
}

function sentenceForm(sentence: string): { form: IntentForm; verb: string | null } {
  let s = sentence.trim().toLowerCase();
  for (let prev = ''; prev !== s;) {
    prev = s;
    s = s.replace(POLITE, '');
  }
  const tokens = tokenize(s);
  const first = tokens[0] ?? '';
  if (sentence.trim().endsWith('?') || QUESTION_STARTS.has(first)) return { form: 'question', verb: null };
  if (!first || NON_VERB_STARTS.has(first) || /\d/.test(first)) return { form: 'statement', verb: null };
  if (isNamedSwitch(tokens)) return { form: 'command', verb: null };
  return { form: 'command', verb: first };
}

/** A web address: what it points to is payload, and asks for the web. */
const URL =
  /\b(?:https?:\/\/|www\.)[^\s"'<>]+|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|edu|gov|co\.uk)\b(?![@.\w-])(?:\/[^\s"'<>]*)?/gi;
/** An error message or exception name ("ModuleNotFoundError", "NullPointerException", "Traceback"). */
const ERROR_MESSAGE = /\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bTraceback\b|\bSegmentation fault\b|\berrno\b/;
/** Languages people ask to translate into or from. */
const LANGUAGES =
  'english|spanish|french|german|italian|portuguese|dutch|swedish|norwegian|danish|finnish|polish|czech|greek|turkish|russian|ukrainian|arabic|hebrew|persian|farsi|hindi|urdu|bengali|punjabi|tamil|thai|vietnamese|indonesian|malay|tagalog|filipino|chinese|mandarin|cantonese|japanese|korean|swahili|latin|hungarian|romanian|catalan|irish|welsh';
/** "in Spanish", "into French", "from German": the request is about a language. */
const IN_LANGUAGE = new RegExp(`\\b(?:in|into|to|from)\\s+(?:${LANGUAGES})\\b`);

/** Questions that ask why, what the difference is, how something works, or what a thing is. */
const EXPLAIN_QUESTION =
  /^(?:why\b|(?:what|whats)(?: is| are)? (?:a|an)\b|how (?:does|do|did|can|could) .+ work\b)|\bdifference between\b/;
const EXPLAIN_VERBS = new Set(['explain', 'define']);

/**
 * Whether a question asks only for an explanation: one of its clauses does, and none asks after a
 * state ("why is atlas so slow, *is the CPU maxed out*?").
 */
function explanatory(body: string): boolean {
  let found = false;
  for (const clause of body.split(/[,;.?!]+/)) {
    const words = tokenize(clause).join(' ');
    if (EXPLAIN_QUESTION.test(words)) found = true;
    else if (QUESTION_STARTS.has(words.split(' ')[0] ?? '')) return false;
  }
  return found;
}

export function analyzeIntent(text: string): AnalyzedIntent {
  const urls = text.match(URL) ?? [];
  const { rest, payload } = splitPayload(urls.length > 0 ? text.replace(URL, ' ').trim() : text.trim());
  payload.push(...urls);
  let body = rest;
  let form: IntentForm | null = null;
  let verb: string | null = null;

  const lower = normalizeText(body).replace(/\s+/g, ' ').trim();
  const lead = SUBSCRIBE_LEAD.exec(lower);
  const trail = SUBSCRIBE_TRAIL.exec(lower);
  const watch = WATCH_LEAD.exec(lower);
  const event = EVENT_LEAD.exec(lower) ?? WANT_LEAD.exec(lower);
  if (lead) {
    form = 'subscribe';
    body = lower.slice(lead[0].length);
  } else if (trail) {
    form = 'subscribe';
    body = trail[1] as string;
  } else if (watch) {
    form = 'subscribe';
    body = lower.slice(watch[0].length);
  } else if (event) {
    form = 'subscribe';
    body = lower.slice(event[0].length);
  } else {
    // The first command among the sentences decides ("Did I leave it on? Turn it off").
    const sentences = body.split(/(?<=[.?!;])\s+/).filter((s) => s.trim());
    const forms = sentences.map(sentenceForm);
    const command = forms.find((f) => f.form === 'command');
    const chosen = command ?? forms[0] ?? { form: 'statement' as const, verb: null };
    form = chosen.form;
    verb = chosen.verb;
  }

  const tokens = tokenize(body);
  const implied: string[] = [];
  if (asks(tokens, 'who')) implied.push('person');
  if (asks(tokens, 'where')) implied.push('location');
  if (/\bhow many\b/.test(tokens.join(' '))) implied.push('count');
  if (form === 'question' && tokens[0] === 'when') implied.push('time');
  if (urls.length > 0) implied.push('url', 'web');
  if (ERROR_MESSAGE.test(text)) implied.push('error');
  if (IN_LANGUAGE.test(tokens.join(' '))) implied.push('translate', 'language');
  const hasCode = payload.some(looksLikeCode) || looksLikeCode(rest);
  const explains =
    (form === 'question' && explanatory(body)) ||
    (form === 'command' && verb !== null && EXPLAIN_VERBS.has(verb));
  return { text, form, body, tokens, payload, hasCode, verb, implied, explains };
}
