/**
 * Validation of one config layer against the schema, with issues a person can act on: the key, what
 * was expected, what was found, and (for files) the line and column.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from '../core/index.js';
import { configSchema } from '../core/index.js';
import type { ConfigPath } from './config-keys.js';
import { closestNames, isConfigSection, schemaAtPath, shapeKeysAt } from './config-keys.js';

/** Finds the line and column of a key (`at: 'key'`) or its value (`at: 'value'`) in a source. */
export type ConfigLocator = (
  path: ConfigPath,
  at: 'key' | 'value',
) => { readonly line: number; readonly column: number } | undefined;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy of `input` without empty values (`key:` with nothing after it, which YAML reads as null)
 * where the schema does not accept null: an empty value means "use the default", so a section whose
 * keys are all commented out is not an error. `undefined` values are dropped too.
 */
export function dropEmptyValues(input: unknown, path: ConfigPath = []): unknown {
  if (!isPlainObject(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const childPath = [...path, key];
    if (value === null) {
      const schema = schemaAtPath(childPath);
      if (schema !== undefined && !schema.safeParse(null).success) continue;
    }
    out[key] = dropEmptyValues(value, childPath);
  }
  return out;
}

/**
 * A value typed as text (in an env var, a flag or `config set`) is read as YAML; when the key wants a
 * string but YAML saw a number or boolean (`node.name: 2024`), the text itself is used instead.
 */
export function coerceTextValue(path: ConfigPath, raw: string, parsed: unknown): unknown {
  const schema = schemaAtPath(path);
  if (schema === undefined || schema.safeParse(parsed).success) return parsed;
  return schema.safeParse(raw).success ? raw : parsed;
}

/** Reads `raw` as a YAML scalar or flow collection; throws the YAML error's message. */
export function parseYamlValue(raw: string): unknown {
  return parseYaml(raw, { prettyErrors: false }) as unknown;
}

/**
 * Validates one layer against the schema. Returns the cleaned input and every issue, each naming
 * `source` and, when `locate` is given, the line and column.
 */
export function validateLayer(
  input: unknown,
  source: string,
  locate?: ConfigLocator,
): { input: unknown; issues: ConfigIssue[] } {
  const cleaned = dropEmptyValues(input);
  const result = configSchema.safeParse(cleaned, { reportInput: true });
  if (result.success) return { input: cleaned, issues: [] };
  const issues = result.error.issues.flatMap((i) => toConfigIssues(i, source, locate));
  // in file order, so the list reads top to bottom like the file
  issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return { input: cleaned, issues };
}

function toConfigIssues(issue: z.core.$ZodIssue, source: string, locate?: ConfigLocator): ConfigIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((name) => {
      const keyPath = [...path, name];
      return withLocation(
        { source, key: keyPath.join('.'), message: unknownKeyMessage(path, name) },
        locate?.(keyPath, 'key'),
      );
    });
  }
  return [
    withLocation({ source, key: path.join('.'), message: describeIssue(issue) }, locate?.(path, 'value')),
  ];
}

function withLocation(issue: ConfigIssue, at: { line: number; column: number } | undefined): ConfigIssue {
  return at === undefined ? issue : { ...issue, line: at.line, column: at.column };
}

function unknownKeyMessage(parent: ConfigPath, name: string): string {
  const known = shapeKeysAt(parent).filter(
    (k) => !(parent.length === 1 && parent[0] === 'expose' && k === 'limits'),
  );
  const guess = closestNames(name, known, 1)[0];
  const where = parent.length === 0 ? 'a section' : `a key of ${parent.join('.')}`;
  const expected = known.length > 0 ? ` (expected ${where}: ${known.join(', ')})` : '';
  return `unknown key${guess === undefined ? '' : `, did you mean "${guess}"?`}${expected}`;
}

/** "expected an integer, got "abc"" and friends. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const got = issue.input === undefined ? '' : `, got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type': {
      const hint =
        issue.expected === 'array' && typeof issue.input === 'string'
          ? ' (write a list, e.g. [a, b] on one line)'
          : issue.expected === 'object' && isConfigSection(issue.path as ConfigPath)
            ? ' (a section holds keys, one per indented line)'
            : '';
      return `expected ${typeName(issue.expected)}${got}${hint}`;
    }
    case 'invalid_value':
      return `expected ${orList(issue.values.map((v) => JSON.stringify(v)))}${got}`;
    case 'invalid_union': {
      const alternatives = issue.errors.flatMap((errs) => {
        const first = errs[0];
        if (first === undefined) return [];
        if (first.code === 'invalid_type')
          return first.expected === 'boolean' ? ['true', 'false'] : [typeName(first.expected)];
        if (first.code === 'invalid_value') return first.values.map((v) => JSON.stringify(v));
        return [first.message];
      });
      return alternatives.length > 0 ? `expected ${orList(alternatives)}${got}` : `${issue.message}${got}`;
    }
    case 'too_small':
      return `${boundText('at least', issue.origin, issue.minimum, issue.inclusive)}${got}`;
    case 'too_big':
      return `${boundText('at most', issue.origin, issue.maximum, issue.inclusive)}${got}`;
    case 'invalid_format':
      return issue.format === 'regex' ? `${issue.message}${got}` : `expected a valid ${issue.format}${got}`;
    case 'invalid_key':
      return `invalid name${got}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** `a`, `a or b`, `a, b or c`. */
function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function boundText(
  word: 'at least' | 'at most',
  origin: string,
  bound: number | bigint,
  inclusive = true,
): string {
  const relation = inclusive ? word : word === 'at least' ? 'more than' : 'less than';
  if (origin === 'string') return `expected ${relation} ${bound} characters`;
  if (origin === 'array' || origin === 'set') return `expected ${relation} ${bound} items`;
  return `expected a number ${relation} ${bound}`;
}

function typeName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'null':
      return 'null';
    default:
      return expected;
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return typeof value;
}
