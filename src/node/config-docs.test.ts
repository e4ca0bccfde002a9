import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CONFIG_FLAG_KEYS } from './config-file.js';
import { configKeys } from './config-keys.js';

const docs = readFileSync(fileURLToPath(new URL('../../docs/CONFIG.md', import.meta.url)), 'utf8');
/** Every table row, as trimmed cells (prettier may pad the columns). */
const rows = docs
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );

/** The table row that documents `key`: key, type, default, meaning, example. */
function rowOf(key: string): string[] | undefined {
  return rows.find((cells) => cells[0] === `\`${key}\``);
}

describe('docs/CONFIG.md', () => {
  const leaves = configKeys().filter((k) => k.kind === 'leaf');

  it('has a row with type, default, meaning and example for every leaf key of the schema', () => {
    const missing = leaves.filter((k) => rowOf(k.key) === undefined).map((k) => k.key);
    expect(missing).toEqual([]);
    for (const { key } of leaves) {
      const cells = rowOf(key) as string[];
      expect(cells, key).toHaveLength(5);
      expect(
        cells.every((c) => c.length > 0),
        key,
      ).toBe(true);
    }
  });

  it('gives the default the schema really has', () => {
    for (const { key, default: value } of leaves) {
      const documented = (rowOf(key) as string[])[2];
      const expected =
        value === undefined
          ? 'unset'
          : `\`${stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false }).trim()}\``;
      expect(documented, key).toBe(expected);
    }
  });

  it('documents no key the schema does not have', () => {
    const known = new Set(leaves.map((k) => k.key));
    const documented = rows.map((cells) => /^`([a-z_]+\.[a-z_.]+)`$/.exec(cells[0] ?? '')?.[1]);
    expect(documented.filter((k) => k !== undefined && !known.has(k))).toEqual([]);
  });

  it('lists every start flag with the key it sets', () => {
    for (const [flag, key] of Object.entries(CONFIG_FLAG_KEYS)) {
      // `--port <n>` → --port
      const row = rows.find((cells) => cells[0]?.replace(/^`([^ `]+)( <[a-z]+>)?`$/, '$1') === flag);
      expect(row?.[1], flag).toMatch(new RegExp(`^\`${key.replace('.', '\\.')}\``));
    }
  });
});
