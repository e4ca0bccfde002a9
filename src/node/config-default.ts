/**
 * The starter `config.yaml` that `atmosphere init` writes: every section with its defaults, each key
 * commented with its description from the schema (so the file and the schema cannot disagree).
 */
import { Document, isMap, isPair, isScalar } from 'yaml';
import type { YAMLMap } from 'yaml';
import { configSchema } from '../core/index.js';
import { configKeys } from './config-keys.js';
import { CONFIG_JSON_SCHEMA_FILE } from './config-json-schema.js';

const HEADER = [
  ' Atmosphere node configuration. Every key is described in docs/CONFIG.md.',
  ' Precedence: defaults < this file < ATMOSPHERE_<SECTION>__<KEY> environment variables < flags.',
  ' Check it with `atmosphere config validate`; change one key with `atmosphere config set KEY VALUE`.',
  ' An empty value (`key:` with nothing after it) means "use the default".',
];

/** The installed package's JSON Schema as a file URL, or undefined when it cannot be located. */
export function defaultConfigSchemaUrl(): string | undefined {
  try {
    // src/node/ and dist/node/ both sit two levels below the package root, beside schema/
    return new URL(`../../${CONFIG_JSON_SCHEMA_FILE}`, import.meta.url).href;
  } catch {
    return undefined;
  }
}

/**
 * A commented starter file. `name` fills `node.name`; `schemaUrl` (default: the installed package's
 * schema, `null` for none) is written as a `yaml-language-server` comment so editors check the file.
 */
export function defaultConfigYaml(options: { name?: string; schemaUrl?: string | null } = {}): string {
  const defaults = configSchema.parse({ node: { name: options.name ?? '' } });
  const doc = new Document(defaults);
  const descriptions = new Map(configKeys().map((k) => [k.key, k]));
  const schemaUrl = options.schemaUrl === undefined ? defaultConfigSchemaUrl() : options.schemaUrl;
  doc.commentBefore = [...(schemaUrl ? [` yaml-language-server: $schema=${schemaUrl}`] : []), ...HEADER].join(
    '\n',
  );

  const annotate = (map: YAMLMap, prefix: string[]): void => {
    for (const item of map.items) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      const path = [...prefix, String(item.key.value)];
      const info = descriptions.get(path.join('.'));
      if (info === undefined) continue; // record entries (expose.services.ollama)
      const lines = [info.description];
      if (isMap(item.value) && item.value.items.length === 0) {
        const children = configKeys()
          .filter((k) => k.key.startsWith(`${info.key}.`))
          .map((k) => k.key.slice(info.key.length + 1));
        if (children.length > 0) lines.push(`keys: ${children.join(', ')}`);
      }
      item.key.commentBefore = lines
        .filter((l) => l !== '')
        .map((l) => ` ${l}`)
        .join('\n');
      if (prefix.length === 0 && item !== map.items[0]) item.key.spaceBefore = true;
      if (isMap(item.value)) annotate(item.value, path);
    }
  };
  if (isMap(doc.contents)) annotate(doc.contents, []);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
