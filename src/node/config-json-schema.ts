/**
 * The JSON Schema of `config.yaml`, generated from the zod schema (input side: what a file may hold,
 * with descriptions and defaults). `npm run schema` writes it to `schema/config.schema.json`, which
 * editors use through a `# yaml-language-server: $schema=...` comment.
 */
import { z } from 'zod';
import { configSchema } from '../core/index.js';

/** Where the generated file lives in the repository and in the installed package. */
export const CONFIG_JSON_SCHEMA_FILE = 'schema/config.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'throw',
  });
  const { $schema, ...rest } = generated;
  return { $schema, title: 'Atmosphere config.yaml', ...rest };
}

/** The schema as the committed file holds it: two-space JSON with a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
