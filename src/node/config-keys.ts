/**
 * The key space of the config schema: which dotted keys exist, their descriptions and defaults, and
 * suggestions for a misspelt key. Derived from `configSchema` by walking it, so it cannot drift.
 */
import { z } from 'zod';
import { ConfigKeyNotFoundError, configSchema } from '../core/index.js';

export type ConfigPath = readonly (string | number)[];

export interface ConfigKeyInfo {
  /** Dotted key, e.g. `api.port`. */
  readonly key: string;
  /** A section groups keys (`api`, `expose.models`); a leaf holds a value. */
  readonly kind: 'section' | 'leaf';
  readonly description: string;
  /** The resolved default; `undefined` when the key is unset unless given (e.g. `cost.pin.cpu_load`). */
  readonly default: unknown;
  /** Accepted for compatibility but moved elsewhere at resolution (`expose.limits`). */
  readonly deprecated: boolean;
}

/** One wrapper that does not change the shape of a value (default, optional, nullable), or undefined. */
function unwrapOnce(schema: z.ZodType): z.ZodType | undefined {
  if (
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable
  ) {
    return schema.unwrap() as z.ZodType;
  }
  return undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let inner = unwrapOnce(s); inner !== undefined; inner = unwrapOnce(s)) s = inner;
  return s;
}

/** The first description found while unwrapping (`.describe()` may sit inside or outside `.default()`). */
function describeOf(schema: z.ZodType): { description: string; deprecated: boolean } {
  for (let s: z.ZodType | undefined = schema; s !== undefined; s = unwrapOnce(s)) {
    const meta = s.meta();
    if (meta?.description !== undefined) {
      return { description: meta.description, deprecated: meta.deprecated === true };
    }
  }
  return { description: '', deprecated: false };
}

/**
 * The schema of the value at `path`, or undefined when no such key exists. Record entries (the
 * names under `expose.services`) are keys too.
 */
export function schemaAtPath(path: ConfigPath): z.ZodType | undefined {
  let s: z.ZodType = configSchema;
  for (const segment of path) {
    const inner = unwrap(s);
    if (inner instanceof z.ZodObject) {
      const shape = inner.shape as Record<string, z.ZodType>;
      if (typeof segment !== 'string' || !Object.hasOwn(shape, segment)) return undefined;
      s = shape[segment] as z.ZodType;
    } else if (inner instanceof z.ZodRecord) {
      s = inner.valueType as z.ZodType;
    } else if (inner instanceof z.ZodArray && typeof segment === 'number') {
      s = inner.element as z.ZodType;
    } else {
      return undefined;
    }
  }
  return s;
}

/** `a.b.c` → `['a', 'b', 'c']`; an empty segment makes the key invalid. */
export function splitConfigKey(key: string): string[] | undefined {
  const parts = key.split('.');
  return parts.every((p) => p.length > 0) ? parts : undefined;
}

export function isConfigSection(path: ConfigPath): boolean {
  const s = schemaAtPath(path);
  return s !== undefined && unwrap(s) instanceof z.ZodObject;
}

/** The key names of the section at `path` (empty when it is not a section). */
export function shapeKeysAt(path: ConfigPath): string[] {
  const s = schemaAtPath(path);
  const inner = s === undefined ? undefined : unwrap(s);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function computeConfigKeys(): readonly ConfigKeyInfo[] {
  const defaults = freezeDeep(configSchema.parse({}));
  const out: ConfigKeyInfo[] = [];
  const walk = (schema: z.ZodObject, prefix: string[], parentDeprecated: boolean): void => {
    const shape: Record<string, z.ZodType> = schema.shape;
    for (const [name, child] of Object.entries(shape)) {
      const path = [...prefix, name];
      const { description, deprecated } = describeOf(child);
      const inner = unwrap(child);
      out.push(
        Object.freeze({
          key: path.join('.'),
          kind: inner instanceof z.ZodObject ? 'section' : 'leaf',
          description,
          default: valueAt(defaults, path),
          deprecated: deprecated || parentDeprecated,
        }),
      );
      if (inner instanceof z.ZodObject) walk(inner, path, deprecated || parentDeprecated);
    }
  };
  walk(configSchema, [], false);
  return Object.freeze(out);
}

function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) freezeDeep(child);
    Object.freeze(value);
  }
  return value;
}

/** Derived once from the schema; read-only. */
const CONFIG_KEYS = computeConfigKeys();

/** Every section and leaf of the schema in declaration order (defaults are frozen). */
export function configKeys(): readonly ConfigKeyInfo[] {
  return CONFIG_KEYS;
}

/** Every leaf key (a value you can `config get` or `config set`), deprecated ones included. */
export function configLeafKeys(): string[] {
  return configKeys()
    .filter((k) => k.kind === 'leaf')
    .map((k) => k.key);
}

export function valueAt(root: unknown, path: ConfigPath): unknown {
  let v: unknown = root;
  for (const segment of path) {
    if (v === null || typeof v !== 'object') return undefined;
    const rec = v as Record<string | number, unknown>;
    if (!Object.hasOwn(rec, segment)) return undefined;
    v = rec[segment];
  }
  return v;
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** Names from `candidates` close enough to `name` to be what was meant, best first. */
export function closestNames(name: string, candidates: readonly string[], max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  return candidates
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()) }))
    .filter(({ c, d }) => d <= limit || c.endsWith(`.${name}`) || c.startsWith(`${name}.`))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map(({ c }) => c);
}

/** The keys directly inside a section (`api` → `api.host`, `api.port`, ...). */
export function keysInSection(path: ConfigPath): string[] {
  const prefix = path.length === 0 ? '' : `${path.join('.')}.`;
  const depth = path.length + 1;
  return configKeys()
    .filter((k) => !k.deprecated && k.key.startsWith(prefix) && k.key.split('.').length === depth)
    .map((k) => k.key);
}

/**
 * Checks that `key` names something in the schema and returns its path; otherwise throws
 * ConfigKeyNotFoundError naming the closest keys and the keys of the nearest valid section.
 */
export function requireConfigKey(key: string): string[] {
  const path = splitConfigKey(key);
  if (path !== undefined && schemaAtPath(path) !== undefined) return path;
  const segments = path ?? key.split('.').filter((p) => p.length > 0);
  let parent: string[] = [];
  while (parent.length < segments.length && schemaAtPath([...parent, segments[parent.length] as string])) {
    parent = [...parent, segments[parent.length] as string];
  }
  const nearby = keysInSection(parent);
  const suggestions = closestNames(
    key,
    configKeys()
      .filter((k) => !k.deprecated)
      .map((k) => k.key),
  );
  const hint =
    suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : '';
  const where = parent.length === 0 ? 'sections' : `keys in ${parent.join('.')}`;
  throw new ConfigKeyNotFoundError(`unknown config key "${key}"${hint} (${where}: ${nearby.join(', ')})`, {
    details: { key, suggestions, validKeys: nearby },
  });
}
