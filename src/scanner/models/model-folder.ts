/**
 * Reads what a transformers-style model folder says about itself — `config.json`, the model card's
 * front matter (`README.md`), `modules.json` (sentence-transformers) and `model_index.json`
 * (diffusers) — for a HuggingFace cache snapshot and a model folder on disk alike. Files that are
 * missing or not what they claim are treated as silent: the folder is still a finding.
 */
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ScanEnv } from '../scan-env.js';
import type { TransformersFacts } from './classify.js';
import { NO_FACTS } from './classify.js';

/** Config files larger than this are not read (a real `config.json` is a few KiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Only the start of a model card is read: its front matter comes first. */
export const MAX_MODEL_CARD_BYTES = 64 * 1024;

const text = z.string().nullish().catch(null);
const positiveInt = z.number().int().positive().nullish().catch(null);

const configSchema = z.object({
  architectures: z.array(z.string()).nullish().catch(null),
  model_type: text,
  torch_dtype: text,
  dtype: text,
  max_position_embeddings: positiveInt,
  n_positions: positiveInt,
  max_seq_len: positiveInt,
  seq_length: positiveInt,
  vision_config: z.unknown().optional(),
  text_config: z.object({ max_position_embeddings: positiveInt, model_type: text }).nullish().catch(null),
  quantization_config: z
    .object({
      quant_method: text,
      bits: positiveInt,
      load_in_4bit: z.boolean().nullish().catch(null),
      load_in_8bit: z.boolean().nullish().catch(null),
    })
    .nullish()
    .catch(null),
});

const cardSchema = z.object({
  pipeline_tag: text,
  library_name: text,
  tags: z
    .union([z.array(z.unknown()), z.string()])
    .nullish()
    .catch(null),
});

const modelIndexSchema = z.object({ _class_name: text });

/** What a model folder tells: the facts to classify it, and the numbers for its finding. */
export interface ModelFolderInfo {
  readonly facts: TransformersFacts;
  /** A `config.json` (or a diffusers `model_index.json`) was found and read. */
  readonly hasConfig: boolean;
  readonly family: string | null;
  readonly quantization: string | null;
  readonly contextLength: number | null;
}

/** The names in a folder that mark it as a transformers or diffusers model folder. */
export function isModelFolder(names: readonly string[]): boolean {
  if (names.includes('model_index.json')) return true;
  return names.includes('config.json') && names.some(isWeightsFile);
}

/** A transformers weights file: `*.safetensors`, `pytorch_model.bin` or one of its shards. */
export function isWeightsFile(name: string): boolean {
  return /\.safetensors$/i.test(name) || /^pytorch_model(-\d+-of-\d+)?\.bin$/i.test(name);
}

async function readJson(env: ScanEnv, path: string, signal: AbortSignal | undefined): Promise<unknown> {
  const content = await env.readText(path, { maxBytes: MAX_CONFIG_BYTES, ...(signal ? { signal } : {}) });
  if (content === null) return null;
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return null;
  }
}

/** The YAML front matter of a model card (`---` … `---` at its top), or null. */
export function modelCardFrontMatter(card: string): unknown {
  const match = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(card);
  if (match === null) return null;
  try {
    return parseYaml(match[1]!) as unknown;
  } catch {
    return null;
  }
}

const DTYPE_NAMES: Readonly<Record<string, string>> = {
  float16: 'F16',
  bfloat16: 'BF16',
  float32: 'F32',
};

function quantizationOf(config: z.infer<typeof configSchema>): string | null {
  const q = config.quantization_config;
  if (q != null) {
    const bits = q.bits ?? (q.load_in_4bit === true ? 4 : q.load_in_8bit === true ? 8 : null);
    const method = q.quant_method ?? null;
    if (method !== null) return bits === null ? method.toUpperCase() : `${method.toUpperCase()} ${bits}-bit`;
  }
  const dtype = config.torch_dtype ?? config.dtype ?? null;
  return dtype === null ? null : (DTYPE_NAMES[dtype] ?? dtype);
}

/**
 * Reads a model folder. `names` are the folder's entries when the caller has listed it already.
 */
export async function readModelFolder(
  env: ScanEnv,
  dir: string,
  options: { readonly names?: readonly string[]; readonly signal?: AbortSignal } = {},
): Promise<ModelFolderInfo> {
  const { signal } = options;
  const names = options.names ?? ((await env.list(dir)) ?? []).map((e) => e.name);
  const has = (name: string): boolean => names.includes(name);

  const [configRaw, cardText, indexRaw] = await Promise.all([
    has('config.json') ? readJson(env, join(dir, 'config.json'), signal) : null,
    has('README.md')
      ? env.readText(join(dir, 'README.md'), {
          maxBytes: MAX_MODEL_CARD_BYTES,
          ...(signal ? { signal } : {}),
        })
      : null,
    has('model_index.json') ? readJson(env, join(dir, 'model_index.json'), signal) : null,
  ]);

  const configParsed = configSchema.safeParse(configRaw);
  const config = configParsed.success ? configParsed.data : null;
  const cardParsed = cardSchema.safeParse(cardText === null ? null : modelCardFrontMatter(cardText));
  const card = cardParsed.success ? cardParsed.data : null;
  const indexParsed = modelIndexSchema.safeParse(indexRaw);
  const diffusersClass = indexParsed.success ? (indexParsed.data._class_name ?? null) : null;

  const tags = card?.tags == null ? [] : typeof card.tags === 'string' ? [card.tags] : card.tags;
  const facts: TransformersFacts = {
    ...NO_FACTS,
    architectures: config?.architectures ?? [],
    modelType: config?.model_type ?? null,
    pipelineTag: card?.pipeline_tag ?? null,
    libraryName: card?.library_name ?? null,
    tags: tags.filter((t): t is string => typeof t === 'string'),
    sentenceTransformers: has('modules.json') || has('config_sentence_transformers.json'),
    diffusersClass,
    hasVisionConfig: config?.vision_config != null,
  };
  const contextLength =
    config === null
      ? null
      : (config.max_position_embeddings ??
        config.n_positions ??
        config.max_seq_len ??
        config.seq_length ??
        config.text_config?.max_position_embeddings ??
        null);
  return {
    facts,
    hasConfig: config !== null || diffusersClass !== null,
    family: config?.model_type ?? config?.text_config?.model_type ?? null,
    quantization: config === null ? null : quantizationOf(config),
    contextLength,
  };
}
