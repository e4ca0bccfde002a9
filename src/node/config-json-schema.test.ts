import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from './config-json-schema.js';
import { configKeys } from './config-keys.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: unknown;
  description?: string;
  default?: unknown;
  deprecated?: boolean;
}

function nodeAt(schema: JsonSchemaNode, key: string): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = schema;
  for (const part of key.split('.')) node = node?.properties?.[part];
  return node;
}

describe('schema/config.schema.json', () => {
  it('matches what the generator produces from the zod schema now (run `npm run schema` if not)', () => {
    const committed = readFileSync(`${repoRoot}/${CONFIG_JSON_SCHEMA_FILE}`, 'utf8');
    expect(committed).toBe(configJsonSchemaText());
  });

  it('describes every key, with its default, and rejects unknown keys', () => {
    const schema = configJsonSchema() as JsonSchemaNode;
    expect(schema.additionalProperties).toBe(false);
    for (const info of configKeys()) {
      const node = nodeAt(schema, info.key);
      expect(node, info.key).toBeDefined();
      expect(node?.description, info.key).toBe(info.description);
      if (info.kind === 'section') expect(node?.additionalProperties, info.key).toBe(false);
      if (info.kind === 'leaf' && info.default !== undefined)
        expect(node?.default, info.key).toEqual(info.default);
    }
    expect(nodeAt(schema, 'expose.limits')?.deprecated).toBe(true);
  });
});
