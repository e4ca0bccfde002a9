/**
 * The `ATMOSPHERE_*` environment as a config layer. `ATMOSPHERE_<SECTION>__<KEY>[__<SUBKEY>]`:
 * a double underscore separates levels, names are case-insensitive and become snake_case keys
 * (`ATMOSPHERE_LIMITS__MAX_CONCURRENT=3` → `limits.max_concurrent: 3`). Values are read as YAML
 * scalars or flow collections (`ATMOSPHERE_ACCESS__MESH_IDS='[a, b]'`). Variables without `__`
 * (`ATMOSPHERE_HOME`) are not config; an empty value counts as unset.
 */
import type { ConfigInput, ConfigIssue } from '../core/index.js';
import { valueAt } from './config-keys.js';
import { coerceTextValue, isPlainObject, parseYamlValue, validateLayer } from './config-validate.js';

export const CONFIG_ENV_PREFIX = 'ATMOSPHERE_';
export const CONFIG_ENV_SEPARATOR = '__';

export interface EnvConfig {
  /** The valid part of the layer (variables with issues are left out). */
  readonly input: ConfigInput;
  /** Dotted key → the variable that set it. */
  readonly sources: ReadonlyMap<string, string>;
  /** One or more per bad variable, each with source `env ATMOSPHERE_X`. */
  readonly issues: readonly ConfigIssue[];
}

/** The dotted key an environment variable sets, or undefined when it is not a config variable. */
export function envVarToKey(name: string): string[] | undefined {
  if (name.slice(0, CONFIG_ENV_PREFIX.length).toUpperCase() !== CONFIG_ENV_PREFIX) return undefined;
  const rest = name.slice(CONFIG_ENV_PREFIX.length);
  if (!rest.includes(CONFIG_ENV_SEPARATOR)) return undefined;
  return rest.split(CONFIG_ENV_SEPARATOR).map((s) => s.toLowerCase());
}

/** The variable name that sets a dotted key: `api.port` → `ATMOSPHERE_API__PORT`. */
export function keyToEnvVar(key: string): string {
  return CONFIG_ENV_PREFIX + key.split('.').join(CONFIG_ENV_SEPARATOR).toUpperCase();
}

export function readEnvConfig(env: NodeJS.ProcessEnv): EnvConfig {
  const input: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const vars = Object.entries(env)
    .map(([name, value]) => ({ name, value, path: envVarToKey(name) }))
    .filter(
      (v): v is { name: string; value: string; path: string[] } =>
        v.path !== undefined && v.value !== undefined,
    )
    // parents before children, so ATMOSPHERE_EXPOSE__MODELS__CLOUD refines ATMOSPHERE_EXPOSE__MODELS
    .sort((a, b) => a.path.length - b.path.length || a.name.localeCompare(b.name));
  for (const { name, value, path } of vars) {
    const source = `env ${name}`;
    const key = path.join('.');
    if (path.some((s) => s.length === 0)) {
      issues.push({
        source,
        key,
        message: `empty key segment in the name (levels are separated by one "__")`,
      });
      continue;
    }
    if (value === '') continue;
    let parsed: unknown;
    try {
      parsed = parseYamlValue(value);
    } catch (err) {
      issues.push({ source, key, message: `not a valid YAML value: ${firstLine((err as Error).message)}` });
      continue;
    }
    const layer = nest(path, coerceTextValue(path, value, parsed));
    const checked = validateLayer(layer, source);
    if (checked.issues.length > 0) {
      issues.push(...checked.issues);
      continue;
    }
    // an empty value (`~`) for a key that does not take null is dropped: it means "the default"
    if (valueAt(checked.input, path) === undefined) continue;
    mergeInto(input, checked.input);
    sources.set(key, name);
  }
  return { input: input, sources, issues };
}

function nest(path: readonly string[], value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i] as string]: out };
  return out as Record<string, unknown>;
}

function mergeInto(target: Record<string, unknown>, source: unknown): void {
  if (!isPlainObject(source)) return;
  for (const [k, v] of Object.entries(source)) {
    const existing = target[k];
    if (isPlainObject(v) && isPlainObject(existing)) mergeInto(existing, v);
    else target[k] = isPlainObject(v) ? structuredClone(v) : v;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
