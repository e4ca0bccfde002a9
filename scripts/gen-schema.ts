// Writes schema/config.schema.json from the zod config schema (`npm run schema`). A unit test
// (src/node/config-json-schema.test.ts) fails when the committed file differs from this output.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchemaText } from '../src/node/config-json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, CONFIG_JSON_SCHEMA_FILE);
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, configJsonSchemaText());
console.log(`wrote ${CONFIG_JSON_SCHEMA_FILE}`);
