/**
 * `config.yaml` in the home directory: reading it with line-accurate errors, resolving it with the
 * environment and flags into one read-only config (defaults < file < `ATMOSPHERE_*` env < flags),
 * and changing it without losing the owner's comments (YAML Document API, atomic writes).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Document } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { ConfigInput, ConfigIssue, ResolvedConfig } from '../core/index.js';
import { ConfigError, ConfigKeyNotFoundError, configSchema } from '../core/index.js';
import { readEnvConfig } from './config-env.js';
import type { ConfigPath } from './config-keys.js';
import { requireConfigKey, valueAt } from './config-keys.js';
import type { ConfigLocator } from './config-validate.js';
import { coerceTextValue, isPlainObject, parseYamlValue, validateLayer } from './config-validate.js';
import { atomicWriteFileSync } from './fs-atomic.js';

// The config module's other files, surfaced through this one so `node/index.ts` needs one line.
export type { EnvConfig } from './config-env.js';
export { CONFIG_ENV_PREFIX, envVarToKey, keyToEnvVar, readEnvConfig } from './config-env.js';
export type { ConfigKeyInfo } from './config-keys.js';
export { configKeys, configLeafKeys } from './config-keys.js';
export { defaultConfigSchemaUrl, defaultConfigYaml } from './config-default.js';
export { CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from './config-json-schema.js';

export interface LoadedConfigFile {
  readonly path: string;
  /** False when there is no file (every key takes its default). */
  readonly exists: boolean;
  readonly text: string;
  /** The file's contents, validated (empty values dropped). */
  readonly input: ConfigInput;
}

/** `atmosphere start` flags and the keys they set (docs/CONFIG.md lists the same table). */
export const CONFIG_FLAG_KEYS: Readonly<Record<string, string>> = Object.freeze({
  '--host': 'api.host',
  '--port': 'api.port',
  '--p2p-port': 'mesh.tcp_port',
  '--ws-port': 'mesh.ws_port',
  '--p2p-host': 'mesh.listen_host',
  '--name': 'node.name',
  '--no-mdns': 'mesh.mdns',
  '--relay': 'mesh.relay',
  '--log-level': 'log.level',
});

const YAML_OUTPUT_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

// ---- reading and validating --------------------------------------------------------------------

interface ParsedText {
  readonly doc: Document;
  readonly input: unknown;
  readonly issues: ConfigIssue[];
  readonly locate: ConfigLocator;
}

function parseConfigText(text: string, source: string): ParsedText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = documentLocator(doc, lineCounter);
  const syntax = [...doc.errors, ...doc.warnings].map((e): ConfigIssue => ({
    source,
    key: '',
    message: firstLine(e.message),
    ...position(e.pos[0]),
  }));
  if (syntax.length > 0) return { doc, input: {}, issues: syntax, locate };
  if (doc.contents === null) return { doc, input: {}, issues: [], locate };
  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents) ? 'a list' : 'a single value';
    const at =
      doc.contents.range === undefined || doc.contents.range === null ? {} : position(doc.contents.range[0]);
    return {
      doc,
      locate,
      input: {},
      issues: [
        {
          source,
          key: '',
          message: `expected a mapping of sections (node:, api:, ...), got ${found}`,
          ...at,
        },
      ],
    };
  }
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return {
      doc,
      locate,
      input: {},
      issues: [{ source, key: '', message: (err as Error).message, line: 1, column: 1 }],
    };
  }
  const checked = validateLayer(input, source, locate);
  return { doc, locate, input: checked.input, issues: checked.issues };
}

/** Finds a key or its value in a parsed document; falls back to the deepest part of the path found. */
function documentLocator(doc: Document, lineCounter: LineCounter): ConfigLocator {
  return (path, at) => {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    let matched = 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        keyNode = undefined;
        node = node.items[segment];
      } else {
        break;
      }
      matched++;
    }
    const wantKey = at === 'key' && matched === path.length;
    const target = wantKey || rangeStart(node) === undefined ? keyNode : node;
    const offset = rangeStart(target) ?? rangeStart(doc.contents);
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0];
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** Every problem in a config text: YAML syntax, wrong types, bad values and unknown keys, with lines. */
export function validateConfigText(text: string, source: string): ConfigIssue[] {
  return parseConfigText(text, source).issues;
}

/**
 * Reads a config file. A missing file is not an error (`exists: false`, every key defaults); an
 * unreadable or invalid one throws ConfigError naming the file, line, key and what was expected.
 */
export function readConfigFile(path: string): LoadedConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false, text: '', input: {} };
    throw new ConfigError(
      [{ source: path, key: '', message: `cannot read the file: ${(err as Error).message}` }],
      {
        cause: err,
      },
    );
  }
  const parsed = parseConfigText(text, path);
  if (parsed.issues.length > 0) throw new ConfigError(parsed.issues);
  return { path, exists: true, text, input: parsed.input as ConfigInput };
}

// ---- resolving ------------------------------------------------------------------------------

/**
 * Applies the layers over the defaults: file < env < flags. Every invalid value in any layer is
 * collected into one ConfigError. The result is deep-frozen; `warnings` explain what was adjusted.
 */
export function resolveConfig(layers: {
  file?: LoadedConfigFile;
  env?: NodeJS.ProcessEnv;
  flags?: ConfigInput;
}): {
  config: ResolvedConfig;
  warnings: string[];
} {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const inputs: unknown[] = [];

  if (layers.file !== undefined) {
    const { file } = layers;
    const checked = validateLayer(file.input, file.path);
    if (checked.issues.length > 0) {
      // a hand-built or stale LoadedConfigFile: re-read its text for line numbers
      const fromText = file.text === '' ? [] : validateConfigText(file.text, file.path);
      issues.push(...(fromText.length > 0 ? fromText : checked.issues));
    }
    inputs.push(moveExposeLimits(checked.input, file.path, warnings));
  }
  if (layers.env !== undefined) {
    const env = readEnvConfig(layers.env);
    issues.push(...env.issues);
    inputs.push(moveExposeLimits(env.input, 'environment', warnings));
  }
  if (layers.flags !== undefined) {
    const checked = validateLayer(coerceFlagText(layers.flags, []), 'flag');
    issues.push(...checked.issues.map((i) => ({ ...i, source: flagSource(i.key) })));
    inputs.push(moveExposeLimits(checked.input, 'flags', warnings));
  }
  if (issues.length > 0) throw new ConfigError(issues);

  // The defaults are the first layer, so mappings of names (expose.services) gain entries from
  // later layers instead of losing the default ones.
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const merged = inputs.reduce<Record<string, unknown>>((acc, layer) => deepMerge(acc, layer), defaults);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    // every layer was valid on its own, so this is a bug in merging rather than in the owner's input
    throw new ConfigError(
      result.error.issues.map((i) => ({
        source: 'resolved config',
        key: i.path.join('.'),
        message: i.message,
      })),
    );
  }
  const { limits: _moved, ...expose } = result.data.expose;
  return { config: deepFreeze({ ...result.data, expose }), warnings };
}

/** Reads the file at `path` and resolves it with the environment and flags. */
export function loadConfig(options: { path: string; env?: NodeJS.ProcessEnv; flags?: ConfigInput }): {
  config: ResolvedConfig;
  file: LoadedConfigFile;
  warnings: string[];
} {
  const file = readConfigFile(options.path);
  const { config, warnings } = resolveConfig({ file, env: options.env, flags: options.flags });
  return { config, file, warnings };
}

function flagSource(key: string): string {
  const flag = Object.entries(CONFIG_FLAG_KEYS).find(([, k]) => k === key)?.[0];
  return flag === undefined ? 'flag' : `flag ${flag}`;
}

/** Flags may arrive as the text the user typed; read text as YAML where the key wants another type. */
function coerceFlagText(value: unknown, path: string[]): unknown {
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerceFlagText(v, [...path, k])]));
  }
  if (typeof value !== 'string') return value;
  let parsed: unknown;
  try {
    parsed = parseYamlValue(value);
  } catch {
    return value;
  }
  return coerceTextValue(path, value, parsed);
}

/**
 * The seed's example nests `limits` under `expose`; the schema accepts it there and resolution moves
 * it to top-level `limits`, where a key set in both places keeps the top-level value.
 */
function moveExposeLimits(input: unknown, label: string, warnings: string[]): unknown {
  if (!isPlainObject(input) || !isPlainObject(input.expose) || input.expose.limits === undefined)
    return input;
  const { limits: nested, ...expose } = input.expose;
  const nestedLimits = isPlainObject(nested) ? nested : {};
  const top = isPlainObject(input.limits) ? input.limits : {};
  const ignored = Object.keys(nestedLimits).filter((k) => Object.hasOwn(top, k));
  const moved = Object.keys(nestedLimits).filter((k) => !Object.hasOwn(top, k));
  let warning = `${label}: expose.limits is deprecated, use top-level limits instead`;
  if (moved.length > 0) warning += `; moved ${moved.map((k) => `expose.limits.${k}`).join(', ')} to limits`;
  if (ignored.length > 0) {
    warning += `; ignored ${ignored.map((k) => `expose.limits.${k}`).join(', ')} (limits sets ${ignored.length === 1 ? 'it' : 'them'} too)`;
  }
  warnings.push(warning);
  return { ...input, expose, limits: { ...nestedLimits, ...top } };
}

function deepMerge(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (!isPlainObject(over)) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const existing = out[k];
    out[k] = isPlainObject(v) && isPlainObject(existing) ? deepMerge(existing, v) : v;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// ---- reading one key ------------------------------------------------------------------------

/** The resolved value of a dotted key (`api.port`); an unknown key throws ConfigKeyNotFoundError. */
export function getConfigValue(config: ResolvedConfig, key: string): unknown {
  const path = requireUsableKey(key);
  return valueAt(config, path);
}

function requireUsableKey(key: string): string[] {
  const path = requireConfigKey(key);
  if (path[0] === 'expose' && path[1] === 'limits') {
    const rest = path.slice(2).join('.');
    throw new ConfigKeyNotFoundError(
      `"${key}" is deprecated: expose.limits moved to top-level limits (use "limits${rest === '' ? '' : `.${rest}`}")`,
      { details: { key, suggestions: [`limits${rest === '' ? '' : `.${rest}`}`] } },
    );
  }
  return path;
}

// ---- writing --------------------------------------------------------------------------------

/** Validates `text` and writes it atomically (0600); an invalid text throws and leaves the old file. */
export function writeConfigText(path: string, text: string): void {
  const issues = validateConfigText(text, path);
  if (issues.length > 0) throw new ConfigError(issues);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  atomicWriteFileSync(path, text, { mode: 0o600 });
}

/**
 * Sets one key in the file, keeping every comment and other key. `rawValue` is read as YAML (`8080`,
 * `true`, `[a, b]`, `{ollama: true}`); a key that wants a string takes the text as typed. The whole
 * resulting file is validated before it is written; the file is created when missing.
 */
export function setConfigValue(path: string, key: string, rawValue: string): void {
  const keyPath = requireUsableKey(key);
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(
        [{ source: path, key: '', message: `cannot read the file: ${(err as Error).message}` }],
        {
          cause: err,
        },
      );
    }
  }
  const current = parseConfigText(text, path);
  const syntax = current.issues.filter((i) => i.key === '');
  if (syntax.length > 0) throw new ConfigError(syntax);

  let parsed: unknown;
  try {
    parsed = parseYamlValue(rawValue);
  } catch (err) {
    throw new ConfigError([
      { source: 'config set', key, message: `not a valid YAML value: ${firstLine((err as Error).message)}` },
    ]);
  }
  const value = coerceTextValue(keyPath, rawValue, parsed);
  const { doc } = current;
  prepareParents(current, keyPath, path);
  doc.setIn(keyPath, value);
  writeConfigText(path, doc.toString(YAML_OUTPUT_OPTIONS));
}

/**
 * Replaces whole top-level sections (`expose`, `limits`, `access` ...) in the file, keeping every
 * other section and its comments; a section given as `undefined` is left alone. The resulting file
 * is validated before it is written (atomically, 0600): invalid values throw ConfigError and the
 * file is unchanged. Used by `atmosphere approve` and `PUT /api/exposure`.
 */
export function setConfigSections(path: string, sections: Readonly<Record<string, unknown>>): void {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(
        [{ source: path, key: '', message: `cannot read the file: ${(err as Error).message}` }],
        { cause: err },
      );
    }
  }
  const current = parseConfigText(text, path);
  const syntax = current.issues.filter((i) => i.key === '');
  if (syntax.length > 0) throw new ConfigError(syntax);
  const { doc } = current;
  if (doc.contents === null) doc.contents = doc.createNode({});
  for (const [section, value] of Object.entries(sections)) {
    if (value === undefined) continue;
    const existing = doc.get(section, true);
    const node = doc.createNode(value);
    if (
      existing !== undefined &&
      existing !== null &&
      typeof existing === 'object' &&
      'commentBefore' in existing
    ) {
      (node as { commentBefore?: string | null }).commentBefore =
        (existing as { commentBefore?: string | null }).commentBefore ?? null;
    }
    doc.set(section, node);
  }
  writeConfigText(path, doc.toString(YAML_OUTPUT_OPTIONS));
}

/** Turns empty parents (`api:` with nothing under it) into mappings; refuses to overwrite a value. */
function prepareParents(current: ParsedText, keyPath: ConfigPath, source: string): void {
  const { doc } = current;
  for (let i = 1; i < keyPath.length; i++) {
    const prefix = keyPath.slice(0, i);
    const node = doc.getIn(prefix, true);
    if (node === undefined || isMap(node)) continue;
    if (isScalar(node) && node.value === null) {
      // keep what the owner wrote there (usually commented-out keys)
      const map = doc.createNode({});
      map.commentBefore = node.commentBefore;
      map.comment = node.comment;
      doc.setIn(prefix, map);
      continue;
    }
    const at = current.locate(prefix, 'value');
    throw new ConfigError([
      {
        source,
        key: prefix.join('.'),
        message: 'expected a mapping of keys; fix this value before setting a key inside it',
        ...(at === undefined ? {} : { line: at.line, column: at.column }),
      },
    ]);
  }
}
