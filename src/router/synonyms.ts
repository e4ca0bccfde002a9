/**
 * General-purpose lexical knowledge the word vectors lack: a small hand-written map from common
 * words people use with devices and services to the words capability descriptions and tool names
 * tend to use ("dim" → brightness, "buzz" → notify), and the media words that say an intent is about
 * images or sound. Written for any catalog — never from a particular device or an evaluation item.
 */

/**
 * Each word's stand-ins: added to an intent that uses the word, at a lower weight than the word
 * itself. Keys are lowercase tokens (plurals and -ing/-ed forms are matched by stem).
 */
export const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  // Light and level.
  dim: ['brightness', 'darker'],
  dimmer: ['brightness'],
  brighten: ['brightness', 'brighter'],
  brighter: ['brightness'],
  darker: ['brightness'],
  dark: ['brightness', 'dim'],
  bright: ['brightness'],
  // Sound out loud.
  aloud: ['speak', 'voice'],
  loud: ['aloud', 'volume'],
  pronounce: ['speak', 'speech'],
  narrate: ['speak', 'speech'],
  say: ['speech', 'speak'],
  said: ['speech'],
  // Words on screen for what is said.
  caption: ['subtitles'],
  subtitle: ['subtitles'],
  transcript: ['transcribe'],
  // Slang for switching.
  kill: ['off', 'stop'],
  cut: ['off'],
  // Sound level.
  quiet: ['noise', 'sound'],
  noisy: ['noise', 'loud'],
  decibel: ['noise', 'sound'],
  // Notification.
  buzz: ['notify', 'notification'],
  ping: ['notify', 'notification'],
  nudge: ['notify', 'reminder'],
  remind: ['reminder', 'notify'],
  // Temperature words.
  freezing: ['cold'],
  roasting: ['hot'],
  sweltering: ['hot'],
  scorching: ['hot'],
  stuffy: ['hot', 'warm'],
  chilly: ['cold'],
  boiling: ['hot'],
  humid: ['humidity'],
  overheat: ['hot', 'temperature'],
  overheating: ['hot', 'temperature'],
  ac: ['air', 'cooling', 'conditioning'],
  aircon: ['air', 'cooling', 'conditioning'],
  heater: ['heating', 'furnace'],
  muggy: ['humidity'],
  damp: ['humidity'],
  // Seeing and pictures.
  pic: ['picture', 'image'],
  photo: ['image', 'picture'],
  picture: ['image', 'photo'],
  selfie: ['photo', 'image'],
  snapshot: ['image', 'photo'],
  logo: ['image', 'design'],
  icon: ['image', 'design'],
  drawing: ['image', 'draw'],
  illustration: ['image', 'draw'],
  painting: ['image', 'paint'],
  sketch: ['image', 'draw'],
  wallpaper: ['image'],
  // Finding and looking things up.
  google: ['search', 'web'],
  find: ['search'],
  lookup: ['search'],
  online: ['web', 'internet'],
  // Code work.
  port: ['convert', 'rewrite'],
  convert: ['rewrite'],
  debug: ['bug', 'fix'],
  // Things written or made up: a language model's work.
  idea: ['brainstorming', 'writing'],
  slogan: ['brainstorming', 'writing'],
  tagline: ['brainstorming', 'writing'],
  nickname: ['brainstorming'],
  pun: ['writing', 'joke'],
  poem: ['writing'],
  haiku: ['poem', 'writing'],
  limerick: ['poem', 'writing'],
  essay: ['writing'],
  story: ['writing'],
  lyrics: ['writing', 'poem'],
  // Words of programming work.
  function: ['code'],
  method: ['code'],
  variable: ['code'],
  bug: ['code', 'fix'],
  snippet: ['code'],
  script: ['code'],
  compile: ['code'],
  compiler: ['code'],
  syntax: ['code'],
  repo: ['code'],
  api: ['code'],
  json: ['code'],
  yaml: ['code', 'config'],
  dockerfile: ['code', 'config'],
  programming: ['code'],
  // Programming languages and tools stand for code.
  bash: ['code', 'script', 'shell'],
  shell: ['script', 'code'],
  javascript: ['code'],
  typescript: ['code'],
  java: ['code'],
  rust: ['code'],
  golang: ['code'],
  sql: ['code', 'query'],
  regex: ['code'],
  html: ['code'],
  css: ['code'],
  php: ['code'],
  kotlin: ['code'],
  swift: ['code'],
  // The young of animals, which word vectors rarely tie to their species.
  cria: ['alpaca', 'llama'],
  foal: ['horse'],
  calf: ['cow', 'cattle'],
  lamb: ['sheep'],
  piglet: ['pig'],
  puppy: ['dog'],
  kitten: ['cat'],
  chick: ['chicken'],
  duckling: ['duck'],
  fawn: ['deer'],
  // Setting a level.
  adjust: ['brightness', 'temperature', 'volume', 'level'],
  // A stretch of time asks for history or a range, not the current value.
  week: ['range', 'history', 'period'],
  month: ['range', 'history', 'period'],
  year: ['range', 'history', 'period'],
  yesterday: ['range', 'history', 'past'],
  weekend: ['range', 'period'],
  lately: ['history', 'recent'],
  // Calendar and time.
  appointment: ['event', 'calendar'],
  meeting: ['event', 'calendar'],
  schedule: ['calendar', 'event'],
  // Household money: accounts and documents the word vectors do not tie to finance.
  ira: ['retirement'],
  roth: ['retirement'],
  '401k': ['retirement'],
  pension: ['retirement'],
  paycheck: ['income', 'salary'],
  deductible: ['tax'],
  deduction: ['tax'],
  groceries: ['spending', 'expenses'],
  spent: ['spend', 'spending'],
  restaurant: ['spending', 'dining'],
  utilities: ['bills', 'expenses'],
  // Security.
  burglar: ['intrusion', 'security'],
  intruder: ['intrusion', 'security'],
  prowler: ['intrusion', 'security'],
  trespasser: ['intrusion', 'security'],
  suspicious: ['security', 'incident'],
  // Showing where things are in a picture.
  locate: ['detect', 'find'],
  pinpoint: ['detect', 'locate'],
  mark: ['detect', 'label'],
};

/**
 * Multi-word expressions rewritten to one word before anything else ("come up with" → brainstorm),
 * matched on whole words of the lowercased intent.
 */
export const PHRASES: readonly (readonly [RegExp, string])[] = [
  [/\bcome up with\b/gi, 'brainstorm'],
  [/\btl;? ?dr\b/gi, 'summarize'],
  // "write down what was said", "type out everything she says": a transcript.
  [
    /\b(?:write|type|jot|put)(?: (?:down|out|up))?\b((?: [\w']+){0,2}?) (?:what|everything|all)(?: that)? (?:(?:was|were|is|got|gets) (?:said|spoken)|(?:[\w']+ ){1,3}?(?:said|says|say|saying))\b/gi,
    'transcribe$1 speech',
  ],
  [/\bwhat (?:does|do|did) (.+?) (?:do|mean)\b/gi, 'explain $1'],
  [/\bthink up\b/gi, 'brainstorm'],
  [/\bout loud\b/gi, 'aloud'],
  [/\bread\b(.*)\baloud\b/gi, 'speak$1aloud'],
  [/\blook up\b/gi, 'search'],
  // "turn it up", "bump the thermostat up", "crank up the heat": a level, whatever the verb.
  [/\b(?:turn|bump|crank|dial|kick|knock|ramp|jack|push) (?:up|down)\b/gi, 'adjust'],
  [
    /\b(?:turn|bump|crank|dial|kick|knock|ramp|jack|push) ((?:(?!up\b|down\b)[\w']+ ){0,3}?)(?:up|down)\b/gi,
    'adjust $1',
  ],
];

/** The intent with `PHRASES` rewritten (case and everything else kept as is). */
export function rewritePhrases(text: string): string {
  let out = text;
  for (const [re, to] of PHRASES) out = out.replace(re, to);
  return out;
}

/**
 * Rooms and places of a home, one word each. An intent that names one is about that place: a
 * capability placed elsewhere is not for it, even when no capability is there.
 */
export const ROOM_WORDS: readonly string[] = [
  'kitchen',
  'bathroom',
  'bedroom',
  'nursery',
  'hallway',
  'hall',
  'garage',
  'basement',
  'attic',
  'porch',
  'patio',
  'deck',
  'balcony',
  'yard',
  'backyard',
  'garden',
  'driveway',
  'office',
  'study',
  'den',
  'lounge',
  'pantry',
  'laundry',
  'closet',
  'cellar',
  'loft',
  'foyer',
  'entryway',
  'playroom',
  'shed',
  'upstairs',
  'downstairs',
];

/** How much a stand-in counts against the word it stands in for. */
export const SYNONYM_WEIGHT = 0.7;

export type Medium = 'image' | 'audio';

/** Words that say an intent is about a picture or a sound, whatever else it says. */
export const MEDIUM_WORDS: Readonly<Record<Medium, readonly string[]>> = {
  image: [
    'image',
    'picture',
    'photo',
    'pic',
    'photograph',
    'selfie',
    'logo',
    'icon',
    'drawing',
    'illustration',
    'painting',
    'sketch',
    'wallpaper',
    'poster',
    'watercolor',
    'draw',
    'paint',
    'jpeg',
    'jpg',
    'png',
  ],
  audio: [
    'audio',
    'sound',
    'voice',
    'speech',
    'spoken',
    'aloud',
    'loud',
    'recording',
    'podcast',
    'mp3',
    'wav',
    'listen',
    'hear',
    'narrate',
    'narration',
    'voicemail',
  ],
};

/** Capability type families that work in each medium. */
export const MEDIUM_FAMILIES: Readonly<Record<Medium, readonly string[]>> = {
  image: ['vision', 'sensor/camera'],
  audio: ['audio'],
};
